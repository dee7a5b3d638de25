"""The builder's recorded calls: one build's planner, coder and fixer models, every exchange kept.

Calls run through `invoke_structured`, recording every exchange verbatim (messages, tools,
response, usage, timing) for the build's `calls/` directory. The output schemas are in
`builder_schemas`, the messages in `builder_messages`. Nothing here reads files or the environment
on its own: callers pass everything in, which is what keeps builds isolated.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    convert_to_openai_messages,
)
from langchain_core.outputs import ChatGeneration, LLMResult
from pydantic import BaseModel

from charter.agents.builder_messages import BUILDER_ROLES, Message
from charter.agents.settings import ModelSettings

T = TypeVar("T", bound=BaseModel)


def to_langchain(messages: Sequence[Message]) -> list[BaseMessage]:
    """Plain role/content dicts as LangChain messages."""
    kinds = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
    return [kinds[m["role"]](content=m["content"]) for m in messages]


# -- recorded calls --------------------------------------------------------------------------


@dataclass
class Exchange:
    """One request to the endpoint and its response, as recorded for `calls/`."""

    messages: list[dict[str, Any]]
    params: dict[str, Any]
    started: str
    duration_ms: float = 0.0
    response: dict[str, Any] | None = None
    usage: dict[str, int] = field(default_factory=dict)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict."""
        return {
            "started": self.started,
            "duration_ms": round(self.duration_ms, 3),
            "params": self.params,
            "messages": self.messages,
            "response": self.response,
            "usage": self.usage,
            "error": self.error,
        }


_SINK: contextvars.ContextVar[list[Exchange] | None] = contextvars.ContextVar(
    "charter_builder_sink", default=None
)
# Invocation parameters worth keeping; anything else (clients, secrets) is never copied.
_PARAM_KEYS = (
    "model",
    "model_name",
    "temperature",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "response_format",
    "stream",
    "max_tokens",
    "seed",
)


class ExchangeRecorder(BaseCallbackHandler):
    """Callback that records each chat-model request and response into the current sink."""

    run_inline = True

    def __init__(self) -> None:
        """Track in-flight calls by run id."""
        self._open: dict[UUID, tuple[Exchange, float, list[Exchange]]] = {}
        self._lock = threading.Lock()

    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        invocation_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Open an exchange with the messages and the parameters actually sent."""
        sink = _SINK.get()
        if sink is None:
            return
        params = {k: v for k, v in (invocation_params or {}).items() if k in _PARAM_KEYS}
        sent = convert_to_openai_messages(messages[0]) if messages else []
        exchange = Exchange(
            messages=list(sent) if isinstance(sent, list) else [sent],
            params=params,
            started=datetime.now(UTC).isoformat(timespec="milliseconds"),
        )
        with self._lock:
            self._open[run_id] = (exchange, time.perf_counter(), sink)

    def _close(self, run_id: UUID) -> tuple[Exchange, list[Exchange]] | None:
        """Take the open exchange of `run_id` off the books, with its duration set."""
        with self._lock:
            opened = self._open.pop(run_id, None)
        if opened is None:
            return None
        exchange, t0, sink = opened
        exchange.duration_ms = (time.perf_counter() - t0) * 1000
        return exchange, sink

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        """Close the exchange with the response message and its usage."""
        closed = self._close(run_id)
        if closed is None:
            return
        exchange, sink = closed
        generation = response.generations[0][0] if response.generations else None
        if isinstance(generation, ChatGeneration):
            message = generation.message
            exchange.response = convert_to_openai_messages(message)  # type: ignore[assignment]
            usage = getattr(message, "usage_metadata", None) or {}
            exchange.usage = {
                "prompt_tokens": int(usage.get("input_tokens", 0)),
                "completion_tokens": int(usage.get("output_tokens", 0)),
                "total_tokens": int(usage.get("total_tokens", 0)),
            }
        sink.append(exchange)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """Close the exchange with the error's type (the message may name the endpoint only)."""
        closed = self._close(run_id)
        if closed is None:
            return
        exchange, sink = closed
        exchange.error = type(error).__name__
        sink.append(exchange)


class BuilderModels:
    """The planner, coder and fixer models of one build, with every exchange recorded."""

    def __init__(self, settings: ModelSettings, env: Mapping[str, str] | None = None) -> None:
        """Resolve roles lazily; `env` defaults to the process environment. No usage_db:
        a build never opens the workspace's state.db."""
        from charter.agents.llm import ModelFactory

        self.factory = ModelFactory(settings, env=env, usage_db=None)
        self._models: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._recorder = ExchangeRecorder()

    def identity(self, role: str) -> dict[str, Any]:
        """What about the model decides its answers (part of request and input hashes)."""
        resolved = self.factory.resolve(role)
        return {
            "role": role,
            "name": resolved.name,
            # The same model name on another server is another model (credentials stripped).
            "endpoint": resolved.endpoint,
            "temperature": resolved.temperature,
            "structured_method": resolved.structured_method.value,
            "repairs": resolved.repairs,
        }

    def secrets(self) -> tuple[str, ...]:
        """The key values in use, so records can be checked against them."""
        out = []
        for role in BUILDER_ROLES:
            try:
                name = self.factory.resolve(role).api_key_env
            except Exception:
                continue
            value = self.factory.env.get(name)
            if value:
                out.append(value)
        return tuple(out)

    def _model(self, role: str) -> Any:
        """The role's ChatOpenAI, built once and shared by the build's threads."""
        with self._lock:
            model = self._models.get(role)
            if model is None:
                model = self.factory.chat(role)
                model.callbacks = [*(model.callbacks or []), self._recorder]
                self._models[role] = model
            return model

    def call(
        self, role: str, schema: type[T], messages: Sequence[Message], sink: list[Exchange]
    ) -> T:
        """Ask `role` for a `schema` answer; every exchange (repairs included) lands in `sink`."""
        from charter.agents.structured import invoke_structured

        model = self._model(role)
        resolved = self.factory.resolve(role)
        token = _SINK.set(sink)
        try:
            result = invoke_structured(
                model,
                schema,
                to_langchain(messages),
                method=resolved.structured_method,
                repairs=resolved.repairs,
            )
        finally:
            _SINK.reset(token)
        return result  # type: ignore[return-value]
