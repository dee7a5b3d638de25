"""The builder's side of the model boundary: output schemas, task prompts, and recorded calls.

The planner, coder and fixer prompts live in `agents/prompts/{planner,coder,fixer}.md` (each with
a `version:` line). This module assembles their messages from exactly what a call may see (a task
prompt holds only the task, its requirements verbatim, the LOCKED items, the conventions and the
upstream files it declares), defines the structured outputs (`Plan`, `TaskResult`), and runs
calls through `invoke_structured`, recording every exchange verbatim (messages, tools, response,
usage, timing) for the build's `calls/` directory. It never reads files or the environment on
its own: callers pass everything in, which is what keeps builds isolated.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
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
from pydantic import BaseModel, Field

from charter.agents.settings import ModelSettings

PROMPTS_DIR = Path(__file__).resolve().parent / "prompts"
BUILDER_ROLES = ("planner", "coder", "fixer")

T = TypeVar("T", bound=BaseModel)


# -- prompts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prompt:
    """A prompt file: its name, its `version:` line and the text after it."""

    name: str
    version: str
    text: str


@cache
def builder_prompt(name: str) -> Prompt:
    """Read `agents/prompts/<name>.md`, whose first line is `version: <v>`."""
    raw = (PROMPTS_DIR / f"{name}.md").read_text(encoding="utf-8")
    first, _, rest = raw.partition("\n")
    if not first.startswith("version:"):
        raise ValueError(f"{PROMPTS_DIR / name}.md: the first line must be `version: <v>`")
    return Prompt(name, first.removeprefix("version:").strip(), rest.strip() + "\n")


def prompt_versions() -> dict[str, str]:
    """The versions of the builder's prompts (part of every task's input hash)."""
    return {name: builder_prompt(name).version for name in BUILDER_ROLES}


# -- output schemas --------------------------------------------------------------------------


class PlannedTask(BaseModel):
    """One task of the plan."""

    id: str = Field(description="short task ID such as T1")
    title: str = Field(description="what the task does, as a short imperative phrase")
    requirements: list[str] = Field(
        default_factory=list, description="IDs of the requirements this task implements"
    )
    sections: list[str] = Field(
        default_factory=list, description="titles of the spec sections those requirements are in"
    )
    depends_on: list[str] = Field(
        default_factory=list, description="IDs of tasks whose output files this task needs"
    )
    outputs: list[str] = Field(
        default_factory=list, description="files the task writes, relative to the workspace root"
    )
    verify: str = Field(
        default="", description="shell command, run in the workspace root, that passes when done"
    )
    notes: str = Field(default="", description="what the coder must know beyond the requirements")


class NotBuilt(BaseModel):
    """A requirement the plan does not build, and why."""

    requirement: str = Field(description="the requirement ID")
    reason: str = Field(description="why it cannot be built from this specification")


class Plan(BaseModel):
    """The build plan: tasks in dependency order, and what is deliberately not built."""

    tasks: list[PlannedTask] = Field(default_factory=list)
    not_built: list[NotBuilt] = Field(default_factory=list)

    def task(self, task_id: str) -> PlannedTask | None:
        """The task with `task_id`, or None."""
        return next((t for t in self.tasks if t.id == task_id), None)


class FileOut(BaseModel):
    """One file to write, whole."""

    path: str = Field(description="path relative to the workspace root")
    content: str = Field(description="the complete file content")


class Deviation(BaseModel):
    """Where the code departs from a SHOULD or MAY requirement, and why."""

    requirement: str = Field(description="the requirement ID")
    departure: str = Field(description="how the code departs from it")
    why: str = Field(description="the reason")


class TaskResult(BaseModel):
    """What a coder or fixer call returns."""

    files: list[FileOut] = Field(default_factory=list, description="files to write, whole")
    assumptions: list[str] = Field(
        default_factory=list, description="choices made that the requirements do not state"
    )
    deviations: list[Deviation] = Field(default_factory=list)
    question: str | None = Field(
        default=None,
        description="set only when the requirements do not decide something needed; no files then",
    )
    notes: str = Field(default="", description="anything the reviewer should know")


# -- messages --------------------------------------------------------------------------------

Message = dict[str, str]


@dataclass
class TaskBrief:
    """Everything a task prompt may hold, already rendered as text."""

    task: PlannedTask
    requirements: list[str]
    locked: list[str]
    conventions: list[str]
    upstream: list[tuple[str, str | None]] = field(default_factory=list)
    referenced: list[str] = field(default_factory=list)


def fence(content: str, info: str = "") -> str:
    """Wrap `content` in a code fence longer than any backtick run inside it."""
    longest = run = 0
    for ch in content:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    ticks = "`" * max(3, longest + 1)
    body = content if content.endswith("\n") or not content else content + "\n"
    return f"{ticks}{info}\n{body}{ticks}"


def _bullets(items: Sequence[str], empty: str) -> str:
    """Rendered requirement items one after another, or `empty` when there are none."""
    return "\n".join(item.rstrip("\n") for item in items) if items else empty


def _task_header(brief: TaskBrief) -> list[str]:
    """The task part of a coder or fixer prompt."""
    task = brief.task
    parts = [f"# Task {task.id}: {task.title}", ""]
    if task.notes.strip():
        parts += [task.notes.strip(), ""]
    outputs = ", ".join(f"`{p}`" for p in task.outputs) or "(none declared)"
    parts += [
        f"- Outputs: {outputs}",
        f"- Verify command (run from the workspace root): `{task.verify}`",
        f"- Depends on: {', '.join(task.depends_on) or 'nothing'}",
        "",
        "## Requirements of this task",
        "",
        _bullets(brief.requirements, "(none: see the notes)"),
        "",
    ]
    if brief.referenced:
        parts += ["## Requirements they reference", "", _bullets(brief.referenced, ""), ""]
    parts += [
        "## LOCKED items of the specification",
        "",
        _bullets(brief.locked, "(none)"),
        "",
        "## Conventions (LOCKED)",
        "",
        _bullets(brief.conventions, "(none)"),
        "",
    ]
    return parts


def _files_block(title: str, files: Sequence[tuple[str, str | None]], empty: str) -> list[str]:
    """A heading and one fenced block per file (or a note that it does not exist)."""
    parts = [f"## {title}", ""]
    if not files:
        return [*parts, empty, ""]
    for path, content in files:
        parts.append(f"### `{path}`")
        parts.append("")
        parts.append(fence(content) if content is not None else "(this file does not exist)")
        parts.append("")
    return parts


def coder_messages(brief: TaskBrief) -> list[Message]:
    """The coder's messages: the bootstrap prompt, then the task brief."""
    body = _task_header(brief) + _files_block(
        "Upstream files", brief.upstream, "(this task depends on no other task)"
    )
    return [
        {"role": "system", "content": builder_prompt("coder").text},
        {"role": "user", "content": "\n".join(body).rstrip() + "\n"},
    ]


def fixer_messages(
    brief: TaskBrief, current: Sequence[tuple[str, str | None]], failure: str
) -> list[Message]:
    """The fixer's messages: fresh context with the task, its files and the failure output."""
    body = _task_header(brief)
    body += _files_block("Upstream files", brief.upstream, "(this task depends on no other task)")
    body += _files_block("Current files of this task", current, "(no file was written)")
    body += ["## Verify failure", "", fence(failure), ""]
    return [
        {"role": "system", "content": builder_prompt("fixer").text},
        {"role": "user", "content": "\n".join(body).rstrip() + "\n"},
    ]


def planner_messages(
    spec_files: Sequence[tuple[str, str]],
    conventions: Sequence[str],
    conventions_ids: Sequence[str],
    *,
    previous: str | None = None,
    problems: Sequence[str] = (),
) -> list[Message]:
    """The planner's messages: the whole spec; with `previous`, one repair round of problems."""
    body = ["# Specification", ""]
    for path, text in spec_files:
        body += [f"## File `{path}`", "", fence(text, "markdown"), ""]
    body += ["# Conventions (LOCKED, apply to every task; do not plan them)", ""]
    body += [_bullets(conventions, "(none)"), ""]
    if conventions_ids:
        body += [f"Convention IDs: {', '.join(conventions_ids)}", ""]
    messages: list[Message] = [
        {"role": "system", "content": builder_prompt("planner").text},
        {"role": "user", "content": "\n".join(body).rstrip() + "\n"},
    ]
    if previous is not None:
        messages.append(repair_message("plan", previous, problems))
    return messages


def repair_message(what: str, previous: str, problems: Sequence[str]) -> Message:
    """The repair round's request: the problems code found in `previous` (JSON), then it."""
    repair = [
        f"Your {what} (below) was checked by code and has these problems:",
        "",
        *[f"- {p}" for p in problems],
        "",
        fence(previous, "json"),
        "",
        f"Send the whole corrected {what}.",
    ]
    return {"role": "user", "content": "\n".join(repair) + "\n"}


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
