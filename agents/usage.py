"""Token usage per model call: recorded in `state.db` (table `model_calls`) and summarised.

`UsageRecorder` is a LangChain callback the model factory attaches to every `ChatOpenAI`: it
times each call and writes one row with the token counts the endpoint reported (streaming
included, via `stream_usage`) and the cost when the user configured prices for that model.
No prompt text and no secret is ever stored, only counts, names and timings.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import sqlite_utils
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGeneration, LLMResult
from pydantic import BaseModel

from charter.agents.settings import Price

TABLE = "model_calls"
_COLUMNS: dict[str, type] = {
    "ts": str,
    "role": str,
    "model": str,
    "prompt_tokens": int,
    "completion_tokens": int,
    "total": int,
    "duration_ms": float,
    "cost": float,
    "context": str,
}
_write_lock = threading.Lock()


class UsageRecord(BaseModel):
    """One model call as stored in `model_calls`."""

    ts: str
    role: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    total: int
    duration_ms: float
    cost: float | None = None
    context: str | None = None


class UsageSummary(BaseModel):
    """Totals over a set of calls, for the status bar and `--json` output."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cost: float | None = None


def now_iso() -> str:
    """The current UTC time as an ISO 8601 string (what `ts` and `since` use)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def compute_cost(
    prices: Mapping[str, Price], model: str, prompt_tokens: int, completion_tokens: int
) -> float | None:
    """Cost in the user's currency from per-million-token prices; None when unpriced."""
    price = prices.get(model)
    if price is None:
        return None
    return (prompt_tokens * price.input + completion_tokens * price.output) / 1_000_000


def _table(db: sqlite_utils.Database) -> sqlite_utils.db.Table:
    """The `model_calls` table, created on first use."""
    table = db.table(TABLE)
    if not table.exists():
        table.create(_COLUMNS, if_not_exists=True)
        table.create_index(["ts"], if_not_exists=True)
    return table


def record_usage(db_path: Path, record: UsageRecord) -> None:
    """Append one row to `model_calls` (one connection per write: callbacks run on any thread)."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    with _write_lock:
        db = sqlite_utils.Database(db_path)
        try:
            _table(db).insert(record.model_dump())
        finally:
            db.close()


def read_usage(
    db_path: Path, *, since: str | None = None, context: str | None = None
) -> list[UsageRecord]:
    """Rows of `model_calls`, oldest first, optionally from `since` (ISO time) or one context."""
    if not db_path.exists():
        return []
    db = sqlite_utils.Database(db_path)
    try:
        table = db.table(TABLE)
        if not table.exists():
            return []
        clauses: list[str] = []
        args: list[str] = []
        if since is not None:
            clauses.append("ts >= ?")
            args.append(since)
        if context is not None:
            clauses.append("context = ?")
            args.append(context)
        where = " and ".join(clauses) or None
        rows = table.rows_where(where, args or None, order_by="rowid")
        return [UsageRecord.model_validate(row) for row in rows]
    finally:
        db.close()


def summarise_usage(
    db_path: Path, *, since: str | None = None, context: str | None = None
) -> UsageSummary:
    """Total calls, tokens and cost (None when no call was priced)."""
    summary = UsageSummary()
    costs: list[float] = []
    for row in read_usage(db_path, since=since, context=context):
        summary.calls += 1
        summary.prompt_tokens += row.prompt_tokens
        summary.completion_tokens += row.completion_tokens
        summary.total_tokens += row.total
        if row.cost is not None:
            costs.append(row.cost)
    summary.cost = sum(costs) if costs else None
    return summary


class UsageRecorder(BaseCallbackHandler):
    """Callback that times each chat-model call and records its reported usage."""

    run_inline = True  # a tiny sqlite insert; keeps ordering deterministic in async code

    def __init__(
        self,
        db_path: Path,
        *,
        role: str,
        model: str,
        prices: Mapping[str, Price] | None = None,
        context: str | None = None,
    ) -> None:
        """Record calls of `model` for `role` into `db_path`."""
        self.db_path = db_path
        self.role = role
        self.model = model
        self.prices = dict(prices or {})
        self.context = context
        self._started: dict[UUID, float] = {}

    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        **kwargs: Any,
    ) -> None:
        """Note when the call started."""
        self._started[run_id] = time.perf_counter()

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """Forget a failed call (nothing was reported to count)."""
        self._started.pop(run_id, None)

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        """Write one row with the usage the endpoint reported."""
        started = self._started.pop(run_id, None)
        duration_ms = (time.perf_counter() - started) * 1000 if started is not None else 0.0
        prompt, completion = _reported_tokens(response)
        record = UsageRecord(
            ts=now_iso(),
            role=self.role,
            model=self.model,
            prompt_tokens=prompt,
            completion_tokens=completion,
            total=prompt + completion,
            duration_ms=round(duration_ms, 3),
            cost=compute_cost(self.prices, self.model, prompt, completion),
            context=self.context,
        )
        record_usage(self.db_path, record)


def _reported_tokens(response: LLMResult) -> tuple[int, int]:
    """Prompt and completion tokens from the message usage (or the legacy llm_output)."""
    prompt = completion = 0
    for generations in response.generations:
        for generation in generations:
            if isinstance(generation, ChatGeneration):
                usage = getattr(generation.message, "usage_metadata", None) or {}
                prompt += int(usage.get("input_tokens", 0))
                completion += int(usage.get("output_tokens", 0))
    if prompt == completion == 0 and response.llm_output:
        usage = response.llm_output.get("token_usage") or {}
        prompt = int(usage.get("prompt_tokens", 0) or 0)
        completion = int(usage.get("completion_tokens", 0) or 0)
    return prompt, completion
