"""The scribe's structured output: a proposal of spec edits, as the model fills it by tool calling.

These pydantic models are the schema of the `propose_change` and `ask_user` tools. They are flat
(optional fields checked per operation) so that small local models can fill them. A new
requirement never carries an ID: Charter allocates IDs in code. Each item states where it came
from: `explicit` (message IDs and a verbatim quote, which code verifies later) or `inferred`
(a reason). Examples (shell sessions under a requirement) are added, changed and removed by
their own operations, with their own provenance.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

from charter.specs import MSG_ID_RE, REQ_ID_RE, parse_session

Op = Literal[
    "add_requirement",
    "modify_requirement",
    "remove_requirement",
    "move_requirement",
    "add_section",
    "rename_section",
    "remove_section",
    "add_example",
    "modify_example",
    "remove_example",
]

# Which fields each operation needs; checked after the per-field validation.
_NEEDS: dict[str, tuple[str, ...]] = {
    "add_requirement": ("file", "section", "text"),
    "modify_requirement": ("id",),
    "remove_requirement": ("id",),
    "move_requirement": ("id", "file", "section"),
    "add_section": ("file", "section"),
    "rename_section": ("file", "section", "new_title"),
    "remove_section": ("file", "section"),
    "add_example": ("id", "session"),
    "modify_example": ("id", "example", "session"),
    "remove_example": ("id", "example"),
}
_TAKES_ID = (
    "modify_requirement",
    "remove_requirement",
    "move_requirement",
    "add_example",
    "modify_example",
    "remove_example",
)
# Fields rendered on one Markdown line: a line break would write lines the model chose (a
# requirement with its own ID, LOCKED flag and provenance) into the spec.
_ONE_LINE = ("file", "section", "id", "text", "new_title", "file_title")


# How each operation is marked in a review (diff-like: added, changed, removed, moved; § = section).
OP_MARK: dict[str, str] = {
    "add_requirement": "+",
    "modify_requirement": "~",
    "remove_requirement": "-",
    "move_requirement": ">",
    "add_section": "+§",
    "rename_section": "~§",
    "remove_section": "-§",
    "add_example": "+ex",
    "modify_example": "~ex",
    "remove_example": "-ex",
}


class ProposalItem(BaseModel):
    """One spec edit and its provenance."""

    op: Op
    file: str | None = Field(
        default=None,
        description="spec file relative to the spec dir, e.g. ingest.md (target file for a move)",
    )
    section: str | None = Field(
        default=None, description="section title (the target section for add and move)"
    )
    id: str | None = Field(
        default=None, description="existing requirement ID (modify, remove, move); never for add"
    )
    text: str | None = Field(
        default=None,
        description="requirement text without ID, with exactly one RFC 2119 keyword (add, modify)",
    )
    locked: bool | None = Field(default=None, description="set or clear the LOCKED flag")
    new_title: str | None = Field(default=None, description="rename_section: the new title")
    file_title: str | None = Field(
        default=None, description="add_section into a new file: that file's # title"
    )
    session: str | None = Field(
        default=None,
        description="add_example, modify_example: a shell session under requirement `id`: "
        "`$ command` lines, each followed by its exact output lines and, when not 0, a last "
        "line `[N]` with its exit status; a session the user pasted is copied verbatim (their "
        "shell prompt before `$ ` left out)",
    )
    example: int | None = Field(
        default=None, ge=1, description="modify_example, remove_example: 1 = the first example"
    )
    provenance: Literal["explicit", "inferred"]
    messages: list[str] = Field(
        default_factory=list, description="explicit: the user message IDs quoted, e.g. m-0007"
    )
    quote: str | None = Field(
        default=None, description="explicit: the user's words, copied verbatim from a message"
    )
    reason: str | None = Field(default=None, description="inferred: why you propose it")

    @model_validator(mode="after")
    def _check_fields(self) -> ProposalItem:
        """Require the fields the operation and the provenance need, and nothing contradictory."""
        missing = [name for name in _NEEDS[self.op] if not getattr(self, name)]
        if self.op == "modify_requirement" and self.text is None and self.locked is None:
            missing.append("text or locked")
        if missing:
            raise ValueError(f"{self.op} needs {', '.join(missing)}")
        if self.op == "add_requirement" and self.id:
            raise ValueError("add_requirement takes no id: Charter allocates IDs")
        if self.op in _TAKES_ID and self.id and not REQ_ID_RE.match(self.id):
            raise ValueError(f"id {self.id!r} is not a requirement ID like ING-3")
        broken = [
            name for name in _ONE_LINE if any(c in (getattr(self, name) or "") for c in "\r\n")
        ]
        if broken:
            raise ValueError(f"{', '.join(broken)} must be one line: no line breaks")
        if self.text is not None and not self.text.strip():
            raise ValueError("text is empty")
        if self.session is not None:
            _steps, errors = parse_session(self.session)
            if errors:
                e = errors[0]
                raise ValueError(f"session line {e.line + 1}: {e.message}")
        if self.provenance == "explicit":
            if not self.messages or not self.quote or not self.quote.strip():
                raise ValueError("an explicit item needs messages and a non-empty quote")
            if "\n" in self.quote or "\r" in self.quote:
                raise ValueError("quote one line of the user's words: no line breaks")
            bad = [m for m in self.messages if not MSG_ID_RE.match(m)]
            if bad:
                raise ValueError(f"not message IDs: {', '.join(bad)} (expected e.g. m-0007)")
        elif not self.reason or not self.reason.strip():
            raise ValueError("an inferred item needs a reason")
        return self


class Proposal(BaseModel):
    """Propose one coherent change to the spec; nothing changes until the user accepts it."""

    summary: str = Field(description="one line saying what the change does", min_length=1)
    items: list[ProposalItem] = Field(min_length=1)


class Question(BaseModel):
    """Ask the user one short clarifying question instead of guessing."""

    question: str = Field(min_length=1)
