"""Model-boundary errors: what a user reads when the endpoint is misconfigured or misbehaves.

Every failure at the model boundary becomes one of two exceptions carrying ONE clear sentence
(`user_message`) naming the endpoint and what to do: `ModelConfigError` before any request is
made, `ModelCallError` when a request fails. `explain()` maps openai/httpx exceptions to the
latter. Messages never contain an API key: anything that looks like one is masked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

import openai
from langchain_core.exceptions import ContextOverflowError

from charter.agents.retry import CallBudget, GiveUp

DEFAULT_ENDPOINT = "https://api.openai.com/v1"

CallErrorKind = Literal[
    "timeout",
    "rate_limit",
    "auth",
    "not_found",
    "bad_request",
    "context",
    "server",
    "connection",
    "cut",
    "empty",
    "not_openai",
    "too_large",
    "schema",
    "other",
]

# Key-shaped tokens (OpenAI/OpenRouter "sk-...", bearer tokens) are masked in anything we show.
_SECRET_PATTERN = re.compile(r"(\bsk-[A-Za-z0-9_\-]{4,}|Bearer\s+\S+)")
_DETAIL_LIMIT = 160


class ModelError(Exception):
    """Base of the model-boundary errors; `user_message` is safe to print as-is."""

    def __init__(self, user_message: str) -> None:
        """Store the (already scrubbed) one-sentence message."""
        super().__init__(user_message)
        self.user_message = user_message


class ModelConfigError(ModelError):
    """The model cannot be used as configured (no model name, no key); nothing was sent."""


class ModelCallError(ModelError):
    """A model request failed; `kind` classifies it, `endpoint` names where it went."""

    def __init__(
        self,
        user_message: str,
        *,
        kind: CallErrorKind = "other",
        endpoint: str = DEFAULT_ENDPOINT,
        status: int | None = None,
    ) -> None:
        """Scrub and store the message with its classification."""
        super().__init__(scrub(user_message))
        self.kind: CallErrorKind = kind
        self.endpoint = endpoint
        self.status = status


def scrub(text: str, *secrets: str) -> str:
    """Mask API keys: the given secrets and anything key-shaped."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return _SECRET_PATTERN.sub("***", text)


def public_url(url: str) -> str:
    """The URL without user, password or query string: any of them may carry a credential."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _endpoint_of(exc: BaseException, fallback: str | None) -> str:
    """The base URL a failed request went to, from the exception's request when present."""
    request = getattr(exc, "request", None)
    url = str(getattr(request, "url", "") or "")
    if url:
        for suffix in ("/chat/completions", "/completions", "/models", "/responses"):
            if suffix in url:
                return public_url(url.split(suffix, 1)[0])
        return public_url(url)
    return public_url(fallback or DEFAULT_ENDPOINT)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and its chain of causes/contexts."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _server_detail(exc: openai.APIStatusError) -> str:
    """The server's own error message, shortened, for the user's sentence."""
    body = exc.body
    detail = ""
    if isinstance(body, dict):
        inner = body.get("error", body)
        detail = str(inner.get("message", "")) if isinstance(inner, dict) else str(inner)
    elif body is not None:
        detail = body if isinstance(body, str) else json.dumps(body)
    detail = " ".join((detail or exc.message or "").split())
    if len(detail) > _DETAIL_LIMIT:
        detail = detail[: _DETAIL_LIMIT - 1] + "…"
    return detail.rstrip(".")


def _is_cut(exc: BaseException) -> bool:
    """Did the server hang up mid-reply (as opposed to never answering)?"""
    for cause in _causes(exc):
        name = type(cause).__name__
        text = str(cause).lower()
        if name in {"RemoteProtocolError", "ReadError", "IncompleteRead"} and (
            "peer closed" in text or "incomplete" in text or "disconnected" in text
        ):
            return True
    return False


def _not_openai(exc: BaseException) -> bool:
    """Did the endpoint answer with something that is not an OpenAI reply (an HTML page)?"""
    text = str(exc)
    return isinstance(exc, ValueError) and (
        "Unexpected response type" in text or "No generation chunks" in text
    )


def _waited(timeout: float | None, retries: int) -> str:
    """How long a call that never got an answer was given: `within 20 s` or the full bound."""
    if not timeout:
        return " in time"
    if retries <= 0:
        return f" within {timeout:g} s"
    budget = CallBudget(timeout=timeout, retries=retries)
    return f" within {timeout:g} s in any of {budget.attempts} attempts ({budget.bound:g} s in all)"


def explain(
    exc: BaseException,
    *,
    endpoint: str | None = None,
    timeout: float | None = None,
    retries: int = 0,
    key_env: str = "OPENAI_API_KEY",
    secrets: tuple[str, ...] = (),
) -> ModelCallError:
    """Map an openai/httpx failure to one sentence naming the endpoint and what to do."""
    if isinstance(exc, ModelCallError):
        return exc
    asked_wait = None
    if isinstance(exc, GiveUp):
        exc, asked_wait = exc.cause, exc.asked_wait
        if isinstance(exc, ModelCallError):
            return exc
    where = _endpoint_of(exc, endpoint)

    def error(message: str, kind: CallErrorKind, status: int | None = None) -> ModelCallError:
        """Build the scrubbed ModelCallError."""
        return ModelCallError(scrub(message, *secrets), kind=kind, endpoint=where, status=status)

    if isinstance(exc, openai.APITimeoutError):
        return error(
            f"The model endpoint {where} did not answer{_waited(timeout, retries)}: check that "
            "the server is up, or raise [model] timeout in charter.toml.",
            "timeout",
        )
    if _not_openai(exc):
        return error(
            f"The model endpoint {where} answered with something that is not an OpenAI-style "
            "reply (an HTML page or plain text): check that OPENAI_BASE_URL is the API's "
            "address (it usually ends in /v1).",
            "not_openai",
        )
    if isinstance(exc, ContextOverflowError):
        return error(
            f"The request to {where} is longer than the model's context window: "
            "start a new session or use a model with a larger context.",
            "context",
        )
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        detail = _server_detail(exc)
        http = f"(HTTP {status}: {detail})" if detail else f"(HTTP {status})"
        if status in (401, 403):
            return error(
                f"The model endpoint {where} rejected the API key {http}: "
                f"check {key_env}, or that OPENAI_BASE_URL points at the right server.",
                "auth",
                status,
            )
        if status == 429 and asked_wait is not None:
            return error(
                f"The model endpoint {where} is rate-limiting requests {http} and asks to wait "
                f"{asked_wait:g} s, longer than this call may take: wait, then retry.",
                "rate_limit",
                status,
            )
        if status == 429:
            return error(
                f"The model endpoint {where} is rate-limiting requests {http}: "
                "wait a moment and retry, or raise [model] max_retries in charter.toml.",
                "rate_limit",
                status,
            )
        if status == 404:
            return error(
                f"The model endpoint {where} answered {http}: check the model name "
                "(CHARTER_MODEL or [model] name) and OPENAI_BASE_URL.",
                "not_found",
                status,
            )
        if status >= 500:
            return error(
                f"The model endpoint {where} failed {http}: "
                "retry later, or check the server's logs.",
                "server",
                status,
            )
        return error(
            f"The model endpoint {where} refused the request {http}: "
            "check the model name and [model] structured_output in charter.toml.",
            "bad_request",
            status,
        )
    if _is_cut(exc):
        return cut_error(where)
    if isinstance(exc, openai.APIConnectionError):
        return error(
            f"Cannot reach the model endpoint {where}: is the server running? "
            "Check OPENAI_BASE_URL.",
            "connection",
        )
    return error(f"The model call to {where} failed: {type(exc).__name__}: {exc}", "other")


def cut_error(endpoint: str) -> ModelCallError:
    """The error for a reply that stopped half-way (a dropped connection, no finish reason)."""
    return ModelCallError(
        f"The model endpoint {endpoint} closed the connection in the middle of its reply: "
        "retry, and check the server's logs if it keeps happening.",
        kind="cut",
        endpoint=endpoint,
    )


def empty_reply_error(endpoint: str) -> ModelCallError:
    """The error for a reply with neither text nor tool calls."""
    return ModelCallError(
        f"The model at {endpoint} sent an empty reply: retry, or try another model.",
        kind="empty",
        endpoint=endpoint,
    )


def too_large_error(endpoint: str, size: int, limit: int) -> ModelCallError:
    """The error for a reply over `[model] max_reply_bytes`."""
    return ModelCallError(
        f"The model at {endpoint} sent a reply of more than {limit:,} bytes (at least {size:,}), "
        "over [model] max_reply_bytes in charter.toml: ask for something smaller, or raise the "
        "limit.",
        kind="too_large",
        endpoint=endpoint,
    )


def proposal_too_large_error(endpoint: str, size: int, limit: int) -> ModelCallError:
    """The error for a proposal over `[scribe] max_proposal_bytes`."""
    return ModelCallError(
        f"The scribe's proposal is {size:,} bytes, over [scribe] max_proposal_bytes "
        f"({limit:,}) in charter.toml: ask for a smaller change, or raise the limit.",
        kind="too_large",
        endpoint=endpoint,
    )


@contextmanager
def model_errors(
    *,
    endpoint: str | None = None,
    timeout: float | None = None,
    retries: int = 0,
    key_env: str = "OPENAI_API_KEY",
    secrets: tuple[str, ...] = (),
) -> Iterator[None]:
    """Translate openai failures raised inside the block into `ModelCallError`, secrets masked."""
    try:
        yield
    except ModelCallError:
        raise
    except (openai.OpenAIError, GiveUp, ValueError) as exc:
        if isinstance(exc, ValueError) and not _not_openai(exc):
            raise
        raise explain(
            exc,
            endpoint=endpoint,
            timeout=timeout,
            retries=retries,
            key_env=key_env,
            secrets=secrets,
        ) from exc
