"""Structured output with a bounded repair loop: a reply failing its schema goes back to the model.

The request is built by langchain-openai's `with_structured_output` (function calling forces the
schema's tool with `tool_choice`; json_schema / json_mode send `response_format`), so Charter sends
exactly what the library sends. The reply is parsed here, from the raw message, so every failure
(broken JSON, a validation error, no tool call, an empty reply) yields an error text the model can
act on. The bad reply and that error are resent at most `repairs` times; then `ModelCallError`.
Transport failures map through `agents.errors.explain`.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, TypeVar

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.runnables import Runnable, RunnableSequence
from langchain_core.utils.function_calling import convert_to_openai_function
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, ValidationError

from charter.agents.errors import ModelCallError, model_errors
from charter.agents.llm import check_reply_size, error_context, reply_size
from charter.agents.prompts import render_prompt
from charter.agents.retry import acall_with_retries, budget_of, call_with_retries
from charter.agents.settings import StructuredMethod

T = TypeVar("T", bound=BaseModel)
DEFAULT_REPAIRS = 2
EMPTY = "the reply was empty"


def describe_validation_error(exc: ValidationError) -> str:
    """A compact one-line account of what failed: `field.path: message; ...`."""
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(root)"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


def parse_tool_args(schema: type[T], raw_args: Mapping[str, Any] | str) -> T | str:
    """Validate tool-call arguments (a dict, or raw JSON text): the model, or an error text."""
    if isinstance(raw_args, str):
        try:
            raw_args = json.loads(raw_args) if raw_args.strip() else {}
        except json.JSONDecodeError as exc:
            return f"the arguments are not valid JSON ({exc.msg} at position {exc.pos})"
    if not isinstance(raw_args, Mapping):
        return f"the arguments must be a JSON object, not {type(raw_args).__name__}"
    try:
        return schema.model_validate(dict(raw_args))
    except ValidationError as exc:
        return f"the arguments do not match the schema ({describe_validation_error(exc)})"


def parse_json_reply(schema: type[T], text: str) -> T | str:
    """Validate a JSON text reply (code fences tolerated); return the model or an error text."""
    body = text.strip()
    if body.startswith("```"):
        body = body.strip("`").removeprefix("json").strip()
    if not body:
        return EMPTY
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        return f"the reply is not valid JSON ({exc.msg} at position {exc.pos})"
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        return f"the reply does not match the schema ({describe_validation_error(exc)})"


@cache
def _function(schema: type[BaseModel]) -> dict[str, Any]:
    """A schema as an OpenAI function dict, made once per class (its JSON schema is costly)."""
    return convert_to_openai_function(schema)


def tool_name(schema: type[BaseModel]) -> str:
    """The function name a schema is bound under."""
    return str(_function(schema)["name"])


class _RepairLoop:
    """State of one structured call: the runnable, the conversation so far, the last error."""

    def __init__(
        self,
        model: ChatOpenAI,
        schema: type[BaseModel],
        messages: Sequence[BaseMessage],
        method: StructuredMethod | None,
        repairs: int | None,
    ) -> None:
        """Build the structured runnable with the method and repair bound from the model's role."""
        metadata = model.metadata or {}
        self.method = StructuredMethod(
            method or metadata.get("charter_structured_method", StructuredMethod.FUNCTION_CALLING)
        )
        self.repairs = (
            repairs if repairs is not None else metadata.get("charter_repairs", DEFAULT_REPAIRS)
        )
        self.schema = schema
        self.name = tool_name(schema)
        self.messages = list(messages)
        self.model = model
        self.errors = error_context(model)
        self.budget = budget_of(model)
        # The function dict, not the class: with a class, json_schema makes the SDK validate
        # the reply itself and raise before the raw message reaches the repair loop.
        chain = model.with_structured_output(
            copy.deepcopy(_function(schema)), method=self.method.value
        )
        # Only the bound model (`llm | parser`'s first step): the raw reply is parsed and
        # repaired here, so langchain's own parser (with include_raw, run on threads started
        # per call) would only add latency.
        self.runnable: Runnable[Any, Any] = (
            chain.first if isinstance(chain, RunnableSequence) else chain
        )

    @property
    def attempts(self) -> int:
        """How many requests at most."""
        return int(self.repairs) + 1

    def check(self, result: AIMessage | Mapping[str, Any]) -> BaseModel | str:
        """Parse the raw reply; on failure extend the conversation with the repair request."""
        raw = result if isinstance(result, AIMessage) else result["raw"]
        assert isinstance(raw, AIMessage)
        check_reply_size(self.model, reply_size(raw))
        if self.method is StructuredMethod.FUNCTION_CALLING:
            outcome = self._parse_tool_reply(raw)
        else:
            outcome = parse_json_reply(self.schema, raw.text)
        if isinstance(outcome, BaseModel):
            return outcome
        self._add_repair(raw, outcome)
        return outcome

    def _parse_tool_reply(self, raw: AIMessage) -> BaseModel | str:
        """Find the schema's tool call in the reply and validate its arguments."""
        for call in raw.tool_calls:
            if call["name"] == self.name:
                return parse_tool_args(self.schema, call["args"])
        for bad in raw.invalid_tool_calls:
            if bad.get("name") == self.name:
                return parse_tool_args(self.schema, bad.get("args") or "")
        if not raw.text.strip() and not raw.tool_calls:
            return EMPTY
        return f"the reply did not call the `{self.name}` tool"

    def _add_repair(self, raw: AIMessage, error: str) -> None:
        """Resend the bad reply with the error: as tool results when it made tool calls."""
        if self.method is StructuredMethod.FUNCTION_CALLING:
            text = render_prompt("schema_repair_tool", error=error, name=self.name)
        else:
            text = render_prompt("schema_repair_json", error=error)
        ids = [c.get("id") for c in [*raw.tool_calls, *raw.invalid_tool_calls]]
        if ids and all(ids):
            self.messages.append(raw)
            self.messages.extend(ToolMessage(content=text, tool_call_id=str(i)) for i in ids)
            return
        if raw.text.strip():
            self.messages.append(AIMessage(content=raw.text))
        self.messages.append(HumanMessage(content=text))

    def give_up(self, error: str) -> ModelCallError:
        """The final error after the last attempt failed."""
        first_line = error.splitlines()[0] if error else "no usable reply"
        endpoint = self.errors["endpoint"]
        if error == EMPTY:
            return ModelCallError(
                f"The model at {endpoint} sent an empty reply {self.attempts} times: "
                "retry, or try another model.",
                kind="empty",
                endpoint=endpoint,
            )
        return ModelCallError(
            f"The model's reply did not match the expected format after {self.attempts} "
            f"attempts ({endpoint}): {first_line}.",
            kind="schema",
            endpoint=endpoint,
        )


def invoke_structured(
    model: ChatOpenAI,
    schema: type[T],
    messages: Sequence[BaseMessage],
    *,
    method: StructuredMethod | None = None,
    repairs: int | None = None,
) -> T:
    """Ask for a `schema` instance, repairing bad replies at most `repairs` times.

    `method` and `repairs` default to the role's settings when the model came from ModelFactory.
    """
    loop = _RepairLoop(model, schema, messages, method, repairs)
    error = ""
    for _ in range(loop.attempts):
        with model_errors(**loop.errors):
            result = call_with_retries(loop.budget, lambda: loop.runnable.invoke(loop.messages))
        outcome = loop.check(result)
        if isinstance(outcome, BaseModel):
            return outcome  # type: ignore[return-value]
        error = outcome
    raise loop.give_up(error)


async def ainvoke_structured(
    model: ChatOpenAI,
    schema: type[T],
    messages: Sequence[BaseMessage],
    *,
    method: StructuredMethod | None = None,
    repairs: int | None = None,
) -> T:
    """Async `invoke_structured`."""
    loop = _RepairLoop(model, schema, messages, method, repairs)
    error = ""
    for _ in range(loop.attempts):
        with model_errors(**loop.errors):
            result = await acall_with_retries(
                loop.budget, lambda: loop.runnable.ainvoke(loop.messages)
            )
        outcome = loop.check(result)
        if isinstance(outcome, BaseModel):
            return outcome  # type: ignore[return-value]
        error = outcome
    raise loop.give_up(error)
