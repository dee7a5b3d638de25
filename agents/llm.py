"""The model factory: one configured `ChatOpenAI` per role, from `charter.toml` and the environment.

Precedence, per value (highest first):

1. the role's override in the file (`[model.roles.<role>]`): a deliberate per-role choice;
2. the environment (`CHARTER_MODEL`, `OPENAI_BASE_URL`): the user's per-shell choice, so it beats
   the file's shared values;
3. the file's shared `[model]` values;
4. the defaults in `agents.settings.ModelSettings`.

The key is read from the variable named by `api_key_env` (default `OPENAI_API_KEY`) and is never
stored, logged or returned. With a custom `base_url` (Ollama, vLLM, LM Studio, llama.cpp's server)
a missing key is allowed and the placeholder `"not-needed"` is sent; with OpenAI's own endpoint
(no base_url) a missing key is a `ModelConfigError`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, SecretStr

from charter.agents.errors import (
    DEFAULT_ENDPOINT,
    ModelConfigError,
    empty_reply_error,
    model_errors,
    public_url,
    too_large_error,
)
from charter.agents.http import KeepAliveClient
from charter.agents.retry import acall_with_retries, budget_of, call_with_retries
from charter.agents.settings import ROLES, ModelSettings, StructuredMethod
from charter.agents.usage import UsageRecorder, UsageSummary, summarise_usage

PLACEHOLDER_KEY = "not-needed"
"""Sent as the key to endpoints that need none (local servers reached through a base_url)."""

MODEL_ENV = "CHARTER_MODEL"
BASE_URL_ENV = "OPENAI_BASE_URL"


class ResolvedModel(BaseModel):
    """What one role will use, after precedence: everything except the key itself."""

    role: str
    name: str
    base_url: str | None
    timeout: float
    max_retries: int
    temperature: float | None
    structured_method: StructuredMethod
    repairs: int
    max_reply_bytes: int
    api_key_env: str
    has_key: bool

    @property
    def endpoint(self) -> str:
        """The base URL requests go to (OpenAI's own when none is configured), safe to print."""
        return public_url(self.base_url or DEFAULT_ENDPOINT)


class ModelFactory:
    """Builds per-role chat models and records their token usage."""

    def __init__(
        self,
        settings: ModelSettings,
        *,
        env: Mapping[str, str] | None = None,
        usage_db: Path | None = None,
        context: str | None = None,
        max_proposal_bytes: int | None = None,
    ) -> None:
        """`env` defaults to the process environment; `usage_db` is the workspace's state.db;
        `max_proposal_bytes` is `[scribe] max_proposal_bytes` (None: only the reply cap)."""
        self.settings = settings
        self.max_proposal_bytes = max_proposal_bytes
        self.env: Mapping[str, str] = os.environ if env is None else env
        self.usage_db = usage_db
        self.context = context
        self._http: KeepAliveClient | None = None

    def http_client(self) -> KeepAliveClient:
        """The sync HTTP client every model of this factory shares (connections are kept)."""
        if self._http is None:
            self._http = KeepAliveClient()
        return self._http

    def _env(self, name: str) -> str | None:
        """An environment value, with empty strings treated as unset."""
        value = self.env.get(name)
        return value.strip() or None if value is not None else None

    def resolve(self, role: str) -> ResolvedModel:
        """Apply precedence for `role`; raises ModelConfigError when no model name is set."""
        if role not in ROLES:
            raise ValueError(f"unknown model role {role!r}; expected one of {', '.join(ROLES)}")
        shared = self.settings
        override = shared.roles.get(role)  # type: ignore[call-overload]

        def pick(field: str, env_name: str | None = None) -> Any:
            """Role override, then environment, then the shared file value."""
            if override is not None and getattr(override, field) is not None:
                return getattr(override, field)
            if env_name is not None and (from_env := self._env(env_name)) is not None:
                return from_env
            return getattr(shared, field)

        name = pick("name", MODEL_ENV)
        if not name:
            raise ModelConfigError(
                "No model configured: set CHARTER_MODEL or [model] name in charter.toml."
            )
        key_env = pick("api_key_env")
        return ResolvedModel(
            role=role,
            name=name,
            base_url=pick("base_url", BASE_URL_ENV),
            timeout=pick("timeout"),
            max_retries=pick("max_retries"),
            temperature=pick("temperature"),
            structured_method=pick("structured_output"),
            repairs=shared.schema_repairs,
            max_reply_bytes=shared.max_reply_bytes,
            api_key_env=key_env,
            has_key=self._env(key_env) is not None,
        )

    def _key(self, resolved: ResolvedModel) -> SecretStr:
        """The API key, the local placeholder, or a ModelConfigError saying what to set."""
        key = self._env(resolved.api_key_env)
        if key is not None:
            return SecretStr(key)
        if resolved.base_url is not None:
            return SecretStr(PLACEHOLDER_KEY)
        raise ModelConfigError(
            f"{resolved.api_key_env} is not set: export it, or set OPENAI_BASE_URL "
            "to a local OpenAI-compatible server."
        )

    def check(self, role: str) -> ResolvedModel:
        """What `chat(role)` would use, or the ModelConfigError it would raise; builds nothing."""
        resolved = self.resolve(role)
        self._key(resolved)
        return resolved

    def chat(self, role: str, *, context: str | None = None, streaming: bool = False) -> ChatOpenAI:
        """A ChatOpenAI for `role`, with explicit timeout/retries and usage recording.

        `context` labels the usage rows (a session or build id). `streaming=True` makes `invoke`
        stream internally so tokens reach callbacks; `.stream()`/`.astream()` stream either way.
        """
        resolved = self.resolve(role)
        callbacks = []
        if self.usage_db is not None:
            callbacks.append(
                UsageRecorder(
                    self.usage_db,
                    role=role,
                    model=resolved.name,
                    prices=self.settings.prices,
                    context=context if context is not None else self.context,
                )
            )
        options: dict[str, Any] = {
            "model": resolved.name,
            "base_url": resolved.endpoint,
            "api_key": self._key(resolved),
            "timeout": resolved.timeout,
            # Charter retries itself (agents.retry), within a bound it can state.
            "max_retries": 0,
            "use_responses_api": False,
            "stream_usage": True,
            # One pool for every sync call, so a turn's calls reuse one connection; async
            # calls (the builder's) keep langchain-openai's own client.
            "http_client": self.http_client(),
            "callbacks": callbacks,
            "metadata": {
                "charter_role": role,
                "charter_key_env": resolved.api_key_env,
                "charter_structured_method": resolved.structured_method.value,
                "charter_repairs": resolved.repairs,
                "charter_retries": resolved.max_retries,
                "charter_max_reply_bytes": resolved.max_reply_bytes,
                "charter_max_proposal_bytes": self.max_proposal_bytes,
            },
        }
        if resolved.temperature is not None:
            options["temperature"] = resolved.temperature
        if streaming:  # only when asked: an explicit streaming=False disables .stream() itself
            options["streaming"] = True
        return ChatOpenAI(**options)

    def usage_summary(self, since: str | None = None, context: str | None = None) -> UsageSummary:
        """Tokens and cost recorded so far (since an ISO time, or for one context)."""
        if self.usage_db is None:
            return UsageSummary()
        return summarise_usage(self.usage_db, since=since, context=context)


def error_context(model: ChatOpenAI) -> dict[str, Any]:
    """Endpoint, timeout, retries, key variable and key of a factory-built model, for `explain()`.

    The key itself goes in `secrets` so that an error message echoing it (careless servers
    do, and not every key looks like `sk-...`) is masked before anyone sees or records it.
    """
    timeout = model.request_timeout
    metadata = model.metadata or {}
    secret = model.openai_api_key
    key = secret.get_secret_value() if isinstance(secret, SecretStr) else ""
    return {
        "endpoint": model.openai_api_base or DEFAULT_ENDPOINT,
        "timeout": timeout if isinstance(timeout, int | float) else None,
        "retries": budget_of(model).retries,
        "key_env": metadata.get("charter_key_env", "OPENAI_API_KEY"),
        "secrets": (key,) if key else (),
    }


def max_reply_bytes(model: ChatOpenAI) -> int:
    """The reply size cap of a factory-built model (`[model] max_reply_bytes`)."""
    metadata = model.metadata or {}
    default = ModelSettings.model_fields["max_reply_bytes"].default
    return int(metadata.get("charter_max_reply_bytes", default))


def reply_size(reply: BaseMessage) -> int:
    """The bytes a reply carries: its text and its tool calls' arguments."""
    assert isinstance(reply, AIMessage)
    size = len(str(reply.text).encode("utf-8"))
    for call in reply.tool_calls:
        size += len(str(call["args"]).encode("utf-8"))
    for bad in reply.invalid_tool_calls:
        size += len((bad.get("args") or "").encode("utf-8"))
    return size


def check_reply_size(model: ChatOpenAI, size: int) -> None:
    """Refuse a reply over the model's size cap (ModelCallError, kind `too_large`)."""
    limit = max_reply_bytes(model)
    if size > limit:
        raise too_large_error(error_context(model)["endpoint"], size, limit)


def _check_reply(model: ChatOpenAI, reply: BaseMessage) -> AIMessage:
    """Reject a reply over the size cap, or with neither text nor tool calls."""
    assert isinstance(reply, AIMessage)
    check_reply_size(model, reply_size(reply))
    if not reply.tool_calls and not reply.invalid_tool_calls and not reply.text.strip():
        raise empty_reply_error(error_context(model)["endpoint"])
    return reply


def call_model(model: ChatOpenAI | Any, messages: Sequence[BaseMessage]) -> AIMessage:
    """Invoke a (possibly tool-bound) model, retrying within its budget; failures, empty and
    oversized replies raise ModelCallError."""
    base = base_model(model)
    with model_errors(**error_context(base)):
        reply = call_with_retries(budget_of(base), lambda: model.invoke(list(messages)))
    return _check_reply(base, reply)


async def acall_model(model: ChatOpenAI | Any, messages: Sequence[BaseMessage]) -> AIMessage:
    """Async `call_model`."""
    base = base_model(model)
    with model_errors(**error_context(base)):
        reply = await acall_with_retries(budget_of(base), lambda: model.ainvoke(list(messages)))
    return _check_reply(base, reply)


def base_model(model: Any) -> ChatOpenAI:
    """The ChatOpenAI under a `bind_tools`/`bind` wrapper."""
    while not isinstance(model, ChatOpenAI):
        bound = getattr(model, "bound", None)
        if bound is None:
            raise TypeError(f"expected a ChatOpenAI (or a binding of one), got {type(model)!r}")
        model = bound
    return model
