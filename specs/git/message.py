"""The spec commit message (DESIGN §6): rendered by code from a `CommitMessage`, never by a model.

Owns the message's models (`Intent`, `Change`, `CommitMessage`), its layout, and parsing the
quoted intents and trailers back out of a commit.
"""

from __future__ import annotations

import contextlib
import re
from enum import StrEnum

from pydantic import BaseModel, Field, field_validator

from charter.specs.git.repo import (
    run_git,
)
from charter.specs.model import MSG_ID_RE, REQ_ID_RE

SUBJECT_MAX = 72
SUBJECT_PREFIX = "spec: "
_TRAILER_KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")
_INTENT_HEAD_RE = re.compile(r"^Intent \((m-[0-9]+), verbatim\):$")


class ChangeKind(StrEnum):
    """What a change did to a requirement; the value is its marker in the commit message."""

    ADDED = "+"
    MODIFIED = "~"
    REMOVED = "-"
    CONFIRMED = ">"


class Intent(BaseModel):
    """One verbatim user message a change came from."""

    id: str = Field(pattern=MSG_ID_RE.pattern, description="ledger ID, e.g. m-0007")
    text: str = Field(description="the user's words, verbatim")


class Change(BaseModel):
    """One line of the message's `Changes:` block."""

    kind: ChangeKind
    req_id: str = Field(pattern=REQ_ID_RE.pattern)
    provenance: str | None = Field(default=None, description="explicit / inferred / confirmed")
    text: str = Field(description="the requirement's text (whitespace is collapsed)")


class CommitMessage(BaseModel):
    """Everything a spec commit message says; `render_commit_message` lays it out (DESIGN §6)."""

    subject: str = Field(description="one line; whitespace collapsed, `spec: ` added, ≤72 chars")
    note: str | None = Field(
        default=None, description="a paragraph after the subject (e.g. that no words are quoted)"
    )
    intents: list[Intent] = Field(default_factory=list)
    changes: list[Change] = Field(default_factory=list)
    session: str | None = None
    proposal: str | None = None
    model: str | None = None
    trailers: list[tuple[str, str]] = Field(
        default_factory=list, description="extra trailers, e.g. (Charter-Finding, f-0002)"
    )

    @field_validator("trailers")
    @classmethod
    def _keys_are_tokens(cls, value: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """Trailer keys must be git trailer tokens (letters, digits, dashes)."""
        for key, _ in value:
            if not _TRAILER_KEY_RE.match(key):
                raise ValueError(f"invalid trailer key {key!r}: use letters, digits and dashes")
        return value


def _one_line(text: str) -> str:
    """Collapse every run of whitespace (newlines included) into one space."""
    return " ".join(text.split())


def clean_subject(subject: str) -> str:
    """The subject as committed: one trimmed line, prefixed `spec: `, at most 72 characters."""
    line = _one_line(subject)
    if line.lower().startswith("spec:"):
        line = line[len("spec:") :].strip()
    line = SUBJECT_PREFIX + (line or "update")
    if len(line) > SUBJECT_MAX:
        line = line[: SUBJECT_MAX - 1].rstrip() + "…"
    return line


def quote_lines(text: str) -> list[str]:
    """Quote verbatim text line by line: `> line`, and `>` for an empty line (split on LF only)."""
    return [f"> {line}" if line else ">" for line in text.split("\n")]


def _trailer_list(msg: CommitMessage) -> list[tuple[str, str]]:
    """All trailers in order: intents, session, proposal, model, then the extra ones."""
    out: list[tuple[str, str]] = []
    for intent in msg.intents:
        if ("Charter-Intent", intent.id) not in out:
            out.append(("Charter-Intent", intent.id))
    for key, value in (
        ("Charter-Session", msg.session),
        ("Charter-Proposal", msg.proposal),
        ("Charter-Model", msg.model),
    ):
        if value and _one_line(value):
            out.append((key, value))
    out.extend(msg.trailers)
    return [(key, _one_line(value)) for key, value in out if _one_line(value)]


def render_commit_message(msg: CommitMessage) -> str:
    """Lay out a spec commit message exactly as DESIGN §6 shows, ending with one newline."""
    paragraphs: list[list[str]] = [[clean_subject(msg.subject)]]
    if msg.note and msg.note.strip():
        paragraphs.append([msg.note.strip()])
    for intent in msg.intents:
        paragraphs.append([f"Intent ({intent.id}, verbatim):", *quote_lines(intent.text)])
    if msg.changes:
        lines = ["Changes:"]
        for ch in msg.changes:
            head = f"{ch.kind.value} {ch.req_id}"
            if ch.provenance:
                head += f" {_one_line(ch.provenance)}"
            lines.append(f"{head}  {_one_line(ch.text)}")
        paragraphs.append(lines)
    trailers = _trailer_list(msg)
    if trailers:
        paragraphs.append([f"{key}: {value}" for key, value in trailers])
    return "\n\n".join("\n".join(p) for p in paragraphs) + "\n"


def parse_intents(message: str) -> list[Intent]:
    """Read the quoted intents back out of a commit message (the inverse of the rendering)."""
    intents: list[Intent] = []
    lines = message.split("\n")
    i = 0
    while i < len(lines):
        head = _INTENT_HEAD_RE.match(lines[i])
        i += 1
        if not head:
            continue
        quoted: list[str] = []
        while i < len(lines) and (lines[i] == ">" or lines[i].startswith("> ")):
            quoted.append(lines[i][2:])
            i += 1
        with contextlib.suppress(ValueError):
            intents.append(Intent(id=head.group(1), text="\n".join(quoted)))
    return intents


def parse_trailers(message: str) -> list[tuple[str, str]]:
    """The message's trailers as git itself reads them (`git interpret-trailers --parse`)."""
    out = run_git(["interpret-trailers", "--parse", "--no-divider"], encode_text(message))
    return split_trailer_lines(out.decode("utf-8", "replace"))


def split_trailer_lines(text: str) -> list[tuple[str, str]]:
    """`Key: value` lines (as git prints them) into pairs."""
    pairs = []
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip():
            pairs.append((key.strip(), value.strip()))
    return pairs


def encode_text(text: str) -> bytes:
    """UTF-8 for git; a lone surrogate (not encodable) is kept visible as an escape."""
    return text.encode("utf-8", "backslashreplace")
