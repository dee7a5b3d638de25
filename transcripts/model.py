"""The ledger's data model: one `Record` per JSONL line, its serialisation, and the read results.

A record line is `json.dumps(record, ensure_ascii=False)` with compact separators and no `None`
fields, so every string (user text above all) survives a round trip byte for byte.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["user", "scribe", "event"]
ROLES: tuple[str, ...] = ("user", "scribe", "event")
# The link fields a record may carry to other things (a proposal, a commit, a build, ...).
LINKS: tuple[str, ...] = ("reply_to", "proposal", "commit", "build", "question")

MESSAGE_ID_RE = re.compile(r"^m-(\d{4,})$")
SESSION_ID_RE = re.compile(r"^s-(\d{8})-(\d{2,})$")
TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")

_SEPARATORS = (",", ":")


class LedgerError(ValueError):
    """A ledger operation was refused (bad input, unknown session); the message says why."""


class Record(BaseModel):
    """One verbatim ledger entry: a user message, a scribe reply, or an event (e.g. a review)."""

    model_config = ConfigDict(frozen=True, extra="ignore", strict=True)

    id: str = Field(pattern=MESSAGE_ID_RE.pattern)
    session: str = Field(pattern=SESSION_ID_RE.pattern)
    ts: str = Field(pattern=TS_RE.pattern)
    role: Role
    kind: str = Field(default="message", min_length=1)
    text: str
    reply_to: str | None = None
    proposal: str | None = None
    commit: str | None = None
    build: str | None = None
    question: str | None = None
    data: dict[str, Any] | None = None

    @property
    def number(self) -> int:
        """The numeric part of the ID (`m-0007` → 7), which orders records across sessions."""
        return message_number(self.id)

    def to_dict(self) -> dict[str, Any]:
        """The record as a plain dict in field order, without unset links (the JSONL shape)."""
        return self.model_dump(exclude_none=True)

    def to_line(self) -> bytes:
        """Serialise to one UTF-8 JSONL line (with its newline); refuses what UTF-8 cannot hold."""
        try:
            text = json.dumps(
                self.to_dict(), ensure_ascii=False, separators=_SEPARATORS, allow_nan=False
            )
        except (TypeError, ValueError) as exc:
            raise LedgerError(f"record {self.id}: data cannot be stored as JSON: {exc}") from exc
        try:
            return text.encode("utf-8") + b"\n"
        except UnicodeEncodeError as exc:
            raise LedgerError(
                f"record {self.id} holds a lone surrogate (U+{ord(exc.object[exc.start]):04X}) "
                "that UTF-8 cannot store"
            ) from exc


class LedgerProblem(BaseModel):
    """A line of a session file that could not be read as a record (torn write, hand edit)."""

    model_config = ConfigDict(frozen=True)

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        """`file:line: message`, the form shown to users."""
        return f"{self.file}:{self.line}: {self.message}"


class SessionRead(BaseModel):
    """What reading one session file produced: the good records and the problems, in file order."""

    records: list[Record] = Field(default_factory=list)
    problems: list[LedgerProblem] = Field(default_factory=list)
    end_offset: int = 0
    """Byte offset just past the last newline-terminated line (where a catch-up resumes)."""
    next_line: int = 1
    """Line number of the first line after `end_offset`."""


class SessionInfo(BaseModel):
    """A session as listed: its ID, how many records it holds and when it started and ended."""

    id: str
    count: int
    first_ts: str | None = None
    last_ts: str | None = None


class Hit(BaseModel):
    """One full-text search result: the record and a one-line snippet around the match."""

    record: Record
    snippet: str


class ReindexStats(BaseModel):
    """What a rebuild of the index read from the JSONL files."""

    sessions: int
    records: int
    problems: list[LedgerProblem] = Field(default_factory=list)
    moved_aside: str | None = Field(
        default=None, description="where a damaged index file was moved before the rebuild"
    )


def message_id(number: int) -> str:
    """Format a message number as an ID with at least four digits."""
    return f"m-{number:04d}"


def message_number(msg_id: str) -> int:
    """Parse the number out of a message ID, or raise LedgerError."""
    match = MESSAGE_ID_RE.match(msg_id)
    if match is None:
        raise LedgerError(f"not a message ID: {msg_id!r} (expected e.g. m-0007)")
    return int(match.group(1))


def now_ts() -> str:
    """The current UTC time as ISO 8601 with millisecond precision and a `Z` suffix."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def check_text(text: object, what: str = "text") -> str:
    """Refuse text the ledger cannot keep verbatim: non-strings, NUL, lone surrogates."""
    if not isinstance(text, str):
        raise LedgerError(f"{what} must be a string, not {type(text).__name__}")
    nul = text.find("\x00")
    if nul >= 0:
        raise LedgerError(
            f"{what} contains a NUL character (U+0000) at position {nul}; "
            "the ledger stores text only"
        )
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise LedgerError(
            f"{what} contains a lone surrogate (U+{ord(text[exc.start]):04X}) at position "
            f"{exc.start}, which is not valid Unicode text"
        ) from exc
    return text
