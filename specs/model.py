"""The spec's data model: files, sections, requirements and their provenance (DESIGN §4).

These pydantic models are the contract every other package works against. The parser builds
them from Markdown, the renderer turns them back into canonical Markdown byte for byte, and the
validator reports findings on them. Locations (`line`, `column`) are 1-based and refer to the text
the model was parsed from; models built in code carry `line = 0`.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

# `ING-1`, `API-12`, `AUTH2-3`: an uppercase prefix starting with a letter, a dash, a number.
REQ_ID_PATTERN = r"[A-Z][A-Z0-9]{0,9}-[1-9][0-9]*"
REQ_ID_RE = re.compile(rf"^{REQ_ID_PATTERN}$")
# A cross-reference in text: `[ING-1]`.
XREF_RE = re.compile(rf"\[({REQ_ID_PATTERN})\]")
# Ledger message IDs cited by provenance: `m-0007`.
MSG_ID_RE = re.compile(r"^m-[0-9]{4,}$")

# Longest keyword first so that "MUST NOT" is never read as "MUST".
KEYWORDS: tuple[str, ...] = ("MUST NOT", "SHOULD NOT", "MUST", "SHOULD", "MAY")
KEYWORD_RE = re.compile(r"\b(MUST NOT|SHOULD NOT|MUST|SHOULD|MAY)\b")


class ProvenanceKind(StrEnum):
    """Where a requirement came from."""

    EXPLICIT = "explicit"
    INFERRED = "inferred"
    CONFIRMED = "confirmed"


class Provenance(BaseModel):
    """The `>` line under a requirement: who said it, in which messages, with which words."""

    kind: ProvenanceKind
    messages: list[str] = Field(default_factory=list, description="cited ledger IDs, e.g. m-0007")
    quote: str | None = Field(default=None, description="verbatim words (explicit, confirmed)")
    reason: str | None = Field(default=None, description="the scribe's reason (inferred)")
    line: int = 0


EXAMPLE_INFO = "console"


class Example(BaseModel):
    """A fenced shell session under a requirement, run by Charter against a build (DESIGN §4).

    `body` is the text between the fences with the list item's indent removed: `$ ` command
    lines, their expected output and an optional `[N]` exit status (`specs.session`).
    """

    body: str
    info: str = Field(default=EXAMPLE_INFO, description="the fence's info string")
    provenance: Provenance | None = None
    line: int = Field(default=0, description="line of the opening fence")
    column: int = Field(default=3, description="column of the opening fence")


class Requirement(BaseModel):
    """One list item with a bold stable ID, one RFC 2119 keyword and a provenance."""

    id: str
    text: str = Field(description="the requirement sentence(s), without ID and LOCKED flag")
    locked: bool = False
    provenance: Provenance | None = None
    examples: list[Example] = Field(default_factory=list)
    line: int = 0
    column: int = 1

    def keywords(self) -> list[str]:
        """Return every RFC 2119 keyword found in the text, in order."""
        return KEYWORD_RE.findall(self.text)

    @property
    def keyword(self) -> str | None:
        """The requirement's single keyword, or None when it has none or several."""
        found = self.keywords()
        return found[0] if len(found) == 1 else None

    def references(self) -> list[str]:
        """Return the requirement IDs this text cross-references as `[ID]`."""
        return XREF_RE.findall(self.text)


class Prose(BaseModel):
    """Context text between headings and requirements, kept verbatim (not requirements)."""

    kind: Literal["prose"] = "prose"
    text: str
    line: int = 0


class Section(BaseModel):
    """A `##` or `###` heading and the prose and requirements under it, in document order."""

    title: str
    level: int = Field(default=2, ge=2, le=3)
    blocks: list[Prose | Requirement] = Field(default_factory=list)
    line: int = 0

    @property
    def requirements(self) -> list[Requirement]:
        """The requirements directly under this heading."""
        return [b for b in self.blocks if isinstance(b, Requirement)]


class SpecFile(BaseModel):
    """One Markdown file of the spec: a `#` title, optional intro prose, then sections."""

    path: str = Field(description="path relative to the spec dir, POSIX separators")
    title: str
    intro: list[Prose] = Field(default_factory=list)
    sections: list[Section] = Field(default_factory=list)
    line: int = 0

    def requirements(self) -> list[Requirement]:
        """Every requirement in the file, in document order."""
        return [r for s in self.sections for r in s.requirements]


class Spec(BaseModel):
    """The whole spec: every file of the spec dir, sorted by path."""

    files: list[SpecFile] = Field(default_factory=list)

    def requirements(self) -> list[Requirement]:
        """Every requirement of every file, in file then document order."""
        return [r for f in self.files for r in f.requirements()]

    def find(self, req_id: str) -> tuple[SpecFile, Section, Requirement] | None:
        """Locate a requirement by ID; None when absent."""
        for f in self.files:
            for s in f.sections:
                for r in s.requirements:
                    if r.id == req_id:
                        return f, s, r
        return None

    def file(self, path: str) -> SpecFile | None:
        """Return the file at `path` (relative to the spec dir), or None."""
        return next((f for f in self.files if f.path == path), None)


class Severity(StrEnum):
    """How bad a validation or audit finding is."""

    ERROR = "ERROR"
    WARNING = "WARNING"
    INFO = "INFO"


class Finding(BaseModel):
    """One validation finding, located at file:line:column."""

    severity: Severity
    code: str = Field(description="stable machine code, e.g. duplicate-id")
    message: str
    file: str
    line: int = 0
    column: int = 0
    req_id: str | None = None

    def location(self) -> str:
        """`file:line:column` as editors expect it."""
        return f"{self.file}:{self.line}:{self.column}"
