"""The scribe's tool loop: one model turn that ends in a proposal, a question or a plain reply.

The loop streams each model call (text deltas go to `on_token`), runs the read tools locally and
sends their results back, and stops at the first valid terminal tool call (`propose_change`,
`ask_user`) or at a plain assistant message. A terminal call whose arguments are not valid JSON
or fail the schema goes back to the model with the error, at most `schema_repairs` times; after
that, or after `max_steps` model calls, the turn fails with a one-sentence `ModelCallError`.

The returned conversation lets the caller continue the same turn (for one repair round after
code rejected a proposal) by appending a `ToolMessage` answering `call_id`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
import openai
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    InvalidToolCall,
    ToolCall,
    ToolMessage,
)
from langchain_core.messages.tool import invalid_tool_call, tool_call
from langchain_core.messages.utils import message_chunk_to_message

from charter.agents.errors import (
    ModelCallError,
    cut_error,
    empty_reply_error,
    explain,
    proposal_too_large_error,
)
from charter.agents.llm import base_model, check_reply_size, error_context
from charter.agents.proposal import Proposal, Question
from charter.agents.retry import budget_of, call_with_retries
from charter.agents.scribe_tools import (
    READ_TOOLS,
    TERMINAL_TOOLS,
    TOOL_NAMES,
    SpecTools,
    tool_definitions,
)
from charter.agents.structured import parse_tool_args

MAX_STEPS = 6
SCHEMA_REPAIRS = 2

TokenCallback = Callable[[str], None]


@dataclass
class ScribeResult:
    """How a scribe turn ended, and the conversation so far (ending with the model's message)."""

    kind: Literal["proposal", "question", "reply"]
    messages: list[BaseMessage]
    proposal: Proposal | None = None
    question: str | None = None
    text: str | None = None
    call_id: str | None = None
    steps: int = 0
    repairs: int = 0
    tool_log: list[str] = field(default_factory=list)


def _short(text: str, limit: int = 160) -> str:
    """Shorten an error detail for a one-sentence message."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _chunk_size(chunk: AIMessageChunk) -> int:
    """Bytes of text and tool-call arguments a streamed chunk adds."""
    size = len(str(chunk.text).encode("utf-8"))
    for piece in chunk.tool_call_chunks:
        size += len((piece.get("args") or "").encode("utf-8"))
    return size


def _stream(
    model: Any,
    messages: Sequence[BaseMessage],
    on_token: TokenCallback | None,
    where: dict[str, Any],
) -> AIMessage:
    """One streamed model call, aggregated into a message; failures become ModelCallError.

    It is retried within the model's budget only while nothing has been shown; a stream that
    ends without a finish reason was cut, and one over the size cap is stopped where it is.
    """
    base = base_model(model)
    budget = budget_of(base)
    deadline = time.monotonic() + budget.bound
    shown = False

    def attempt() -> AIMessageChunk | None:
        """Read one stream to its end."""
        nonlocal shown
        acc: AIMessageChunk | None = None
        size = 0
        for chunk in model.stream(list(messages)):
            size += _chunk_size(chunk)
            check_reply_size(base, size)
            text = str(chunk.text)
            if text and on_token is not None:
                shown = True
                on_token(text)
            acc = chunk if acc is None else acc + chunk
            if time.monotonic() > deadline:
                raise openai.APITimeoutError(request=httpx.Request("POST", where["endpoint"]))
        return acc

    try:
        acc = call_with_retries(budget, attempt, may_retry=lambda: not shown)
    except ModelCallError:
        raise
    except Exception as exc:
        raise explain(exc, **where) from exc
    if acc is None:
        raise empty_reply_error(where["endpoint"])
    if not acc.response_metadata.get("finish_reason"):
        raise cut_error(where["endpoint"])
    return _strict(acc)


def _strict(acc: AIMessageChunk) -> AIMessage:
    """The streamed message with tool arguments parsed strictly.

    langchain's streaming aggregation "repairs" truncated JSON (it closes open strings and
    brackets); a tool call whose arguments are not valid JSON as sent must count as invalid.
    """
    message = message_chunk_to_message(acc)
    assert isinstance(message, AIMessage)
    if not acc.tool_call_chunks:
        return message
    calls: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    for chunk in acc.tool_call_chunks:
        name, raw, call_id = chunk.get("name") or "", chunk.get("args") or "", chunk.get("id")
        try:
            args = json.loads(raw) if raw.strip() else {}
        except json.JSONDecodeError as exc:
            error = f"{exc.msg} at position {exc.pos}"
            invalid.append(invalid_tool_call(name=name, args=raw, id=call_id, error=error))
            continue
        if not isinstance(args, dict):
            error = f"expected a JSON object, got {type(args).__name__}"
            invalid.append(invalid_tool_call(name=name, args=raw, id=call_id, error=error))
            continue
        calls.append(tool_call(name=name, args=args, id=call_id))
    return message.model_copy(update={"tool_calls": calls, "invalid_tool_calls": invalid})


def _check_proposal_size(model: Any, args: dict[str, Any], endpoint: str) -> None:
    """Refuse a terminal call whose arguments exceed `[scribe] max_proposal_bytes`."""
    limit = (base_model(model).metadata or {}).get("charter_max_proposal_bytes")
    if limit is None:
        return
    size = len(json.dumps(args, ensure_ascii=False).encode("utf-8"))
    if size > int(limit):
        raise proposal_too_large_error(endpoint, size, int(limit))


def run_scribe(
    model: BaseChatModel,
    messages: Sequence[BaseMessage],
    tools: SpecTools,
    *,
    on_token: TokenCallback | None = None,
    max_steps: int = MAX_STEPS,
    schema_repairs: int = SCHEMA_REPAIRS,
) -> ScribeResult:
    """Run the scribe until it proposes, asks or replies; raise ModelCallError on failure.

    `model` is a factory-built ChatOpenAI (its endpoint and timeout name the failures).
    """
    where = error_context(model)  # type: ignore[arg-type]
    endpoint = str(where["endpoint"])
    bound = model.bind_tools(tool_definitions(), tool_choice="auto")
    convo = list(messages)
    repairs = 0
    log: list[str] = []
    for step in range(1, max_steps + 1):
        ai = _stream(bound, convo, on_token, where)
        convo.append(ai)
        if not ai.tool_calls and not ai.invalid_tool_calls:
            text = str(ai.text)
            if not text.strip():
                raise empty_reply_error(endpoint)
            return ScribeResult("reply", convo, text=text, steps=step, repairs=repairs)
        replies: list[ToolMessage] = []
        errors: list[str] = []
        terminal: tuple[str, str, Proposal | Question] | None = None
        for bad in ai.invalid_tool_calls:
            msg = f"{bad.get('name')}: the arguments are not valid JSON ({bad.get('error')})"
            errors.append(msg)
            replies.append(
                ToolMessage(msg + "; call it again with valid JSON.", tool_call_id=bad["id"] or "")
            )
        for call in ai.tool_calls:
            name, args, call_id = call["name"], call["args"], call["id"] or ""
            log.append(name)
            if name in READ_TOOLS:
                replies.append(ToolMessage(tools.run(name, args), tool_call_id=call_id))
            elif name in TERMINAL_TOOLS and terminal is None:
                _check_proposal_size(model, args, endpoint)
                parsed = parse_tool_args(TERMINAL_TOOLS[name], args)
                if isinstance(parsed, str):
                    errors.append(f"{name}: {parsed}")
                    replies.append(
                        ToolMessage(
                            f"{name}: {parsed}. Call {name} again, corrected.", tool_call_id=call_id
                        )
                    )
                else:
                    terminal = (name, call_id, parsed)  # type: ignore[assignment]
            elif name in TERMINAL_TOOLS:
                replies.append(
                    ToolMessage("Ignored: one proposal or question per turn.", tool_call_id=call_id)
                )
            else:
                replies.append(
                    ToolMessage(
                        f"Unknown tool {name!r}; the tools are: {', '.join(TOOL_NAMES)}.",
                        tool_call_id=call_id,
                    )
                )
        if terminal is not None:
            name, call_id, parsed = terminal
            convo.extend(replies)
            if isinstance(parsed, Proposal):
                return ScribeResult(
                    "proposal",
                    convo,
                    proposal=parsed,
                    call_id=call_id,
                    steps=step,
                    repairs=repairs,
                    tool_log=log,
                )
            return ScribeResult(
                "question",
                convo,
                question=parsed.question,
                call_id=call_id,
                steps=step,
                repairs=repairs,
                tool_log=log,
            )
        if errors:
            repairs += 1
            if repairs > schema_repairs:
                raise ModelCallError(
                    f"The model's tool call still did not match its schema after {repairs} "
                    f"tries ({_short(errors[0])}): retry, or try a stronger model.",
                    kind="schema",
                    endpoint=endpoint,
                )
        convo.extend(replies)
    raise ModelCallError(
        f"The scribe did not finish within {max_steps} model calls: retry, or rephrase.",
        kind="other",
        endpoint=endpoint,
    )
