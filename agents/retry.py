"""Retries and the overall deadline of one model call: the bound a failure message states.

The OpenAI client's own retries wait as long as a server's `Retry-After` asks (up to a minute)
and its timeout applies per attempt, so "did not answer within 20 s" could take a minute. Charter
builds its clients with `max_retries=0` and retries here instead, with a budget known up front:
`timeout × (retries + 1)` plus short backoffs. A server asking for a longer wait than the budget's
backoff is not obeyed: the call fails at once, so a failure message can state the bound it kept.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import openai

from charter.agents.settings import ModelSettings

T = TypeVar("T")

BACKOFF_BASE = 0.5
"""Seconds before the first retry; doubled for each further one."""
BACKOFF_MAX = 4.0
"""The longest wait between two attempts that Charter budgets for."""
_RETRY_STATUSES = {408, 409, 429}


@dataclass(frozen=True)
class CallBudget:
    """How long one model call may take: per-attempt timeout, retries, and the backoffs."""

    timeout: float
    retries: int

    @property
    def attempts(self) -> int:
        """Requests at most."""
        return self.retries + 1

    def backoff(self, attempt: int) -> float:
        """The wait after failed attempt `attempt` (0-based)."""
        return min(BACKOFF_BASE * 2**attempt, BACKOFF_MAX)

    @property
    def bound(self) -> float:
        """The longest the call can take: every attempt timing out, every backoff waited."""
        return self.timeout * self.attempts + sum(self.backoff(i) for i in range(self.retries))


def _header(exc: BaseException, name: str) -> str | None:
    """A response header of a failed request, if the failure carried a response."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    return headers.get(name) if headers is not None else None


def retry_after(exc: BaseException) -> float | None:
    """The wait a server asked for (`retry-after-ms` or `retry-after`), in seconds."""
    raw_ms = _header(exc, "retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000)
        except ValueError:
            pass
    raw = _header(exc, "retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(raw).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def retryable(exc: BaseException) -> bool:
    """Whether a failure is worth another attempt (as the OpenAI client decides it)."""
    should = _header(exc, "x-should-retry")
    if should in ("true", "false"):
        return should == "true"
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in _RETRY_STATUSES or exc.status_code >= 500
    return isinstance(exc, openai.APIConnectionError)  # includes APITimeoutError


class GiveUp(Exception):
    """Raised by the retry loop with the last failure and why no further attempt was made."""

    def __init__(self, cause: BaseException, asked_wait: float | None) -> None:
        """`asked_wait` is set when a server's Retry-After did not fit in the budget."""
        super().__init__(str(cause))
        self.cause = cause
        self.asked_wait = asked_wait


def _next_wait(budget: CallBudget, attempt: int, exc: BaseException) -> float | None:
    """How long to wait before the next attempt, or None to give up now.

    A server may ask for a shorter wait than the budgeted backoff, never a longer one: a longer
    `Retry-After` would break the bound, so the call fails at once and says what was asked.
    """
    if attempt >= budget.retries or not retryable(exc):
        return None
    asked = retry_after(exc)
    if asked is None:
        return budget.backoff(attempt)
    return asked if asked <= budget.backoff(attempt) else None


def _give_up(budget: CallBudget, attempt: int, exc: BaseException) -> GiveUp:
    """The GiveUp for a failure, noting a Retry-After that was too long to honour."""
    asked = retry_after(exc)
    too_long = (
        asked is not None
        and asked > budget.backoff(attempt)
        and attempt < budget.retries
        and retryable(exc)
    )
    return GiveUp(exc, asked if too_long else None)


def call_with_retries(
    budget: CallBudget,
    attempt_fn: Callable[[], T],
    *,
    may_retry: Callable[[], bool] = lambda: True,
) -> T:
    """Run `attempt_fn` until it succeeds, within `budget`; raise GiveUp with the last failure.

    `may_retry()` is asked after a failure: a stream that already showed text must not restart.
    """
    for attempt in range(budget.attempts):
        try:
            return attempt_fn()
        except openai.OpenAIError as exc:
            wait = _next_wait(budget, attempt, exc) if may_retry() else None
            if wait is None:
                raise _give_up(budget, attempt, exc) from exc
            time.sleep(wait)
    raise AssertionError("unreachable: the last attempt returns or raises")


async def acall_with_retries(budget: CallBudget, attempt_fn: Callable[[], Awaitable[T]]) -> T:
    """Async `call_with_retries`."""
    for attempt in range(budget.attempts):
        try:
            return await attempt_fn()
        except openai.OpenAIError as exc:
            wait = _next_wait(budget, attempt, exc)
            if wait is None:
                raise _give_up(budget, attempt, exc) from exc
            await asyncio.sleep(wait)
    raise AssertionError("unreachable: the last attempt returns or raises")


def budget_of(model: Any) -> CallBudget:
    """The budget of a factory-built ChatOpenAI (its timeout and Charter's retry count)."""
    timeout = getattr(model, "request_timeout", None)
    metadata = getattr(model, "metadata", None) or {}
    if not isinstance(timeout, int | float):
        timeout = ModelSettings.model_fields["timeout"].default
    return CallBudget(
        timeout=float(timeout),
        retries=int(metadata.get("charter_retries", 0)),
    )
