"""The vocabulary of spec edits: the ten operations, the fields each needs, and their outcome.

`SpecEdit` names one edit and checks its fields (what the operation needs, one-line fields, a
well-formed session); `Applied` is what an edit resolved to, `EditError` (and `Forbidden`) why it
did not apply, and `Guard`/`Allocate` the caller's hooks. Applying edits is `specs.edits`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from charter.specs.model import REQ_ID_RE, Requirement, Spec
from charter.specs.session import parse_session

EditOp = Literal[
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

OP_FIELDS: dict[str, tuple[str, ...]] = {
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
"""The fields each operation needs."""

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
"""How each operation is marked in a review (diff-like: added, changed, removed, moved; §)."""

EDITABLE_OPS = ("add_requirement", "modify_requirement")
"""Operations whose requirement text a user may edit in review (and confirm when inferred)."""
TAKES_ID = (
    "modify_requirement",
    "remove_requirement",
    "move_requirement",
    "add_example",
    "modify_example",
    "remove_example",
)
# Fields rendered on one Markdown line: a line break would write lines the model chose (a
# requirement with its own ID, LOCKED flag and provenance) into the spec.
ONE_LINE_FIELDS = ("file", "section", "id", "text", "new_title", "file_title")


class SpecEdit(BaseModel):
    """One edit of the spec (the fields an operation does not use stay empty)."""

    op: EditOp
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

    @model_validator(mode="after")
    def _check_edit_fields(self) -> SpecEdit:
        """Require the fields the operation needs, and nothing contradictory."""
        missing = [name for name in OP_FIELDS[self.op] if not getattr(self, name)]
        if self.op == "modify_requirement" and self.text is None and self.locked is None:
            missing.append("text or locked")
        if missing:
            raise ValueError(f"{self.op} needs {', '.join(missing)}")
        if self.op == "add_requirement" and self.id:
            raise ValueError("add_requirement takes no id: Charter allocates IDs")
        if self.op in TAKES_ID and self.id and not REQ_ID_RE.match(self.id):
            raise ValueError(f"id {self.id!r} is not a requirement ID like ING-3")
        broken = [
            name
            for name in ONE_LINE_FIELDS
            if any(c in (getattr(self, name) or "") for c in "\r\n")
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
        return self


class EditError(Exception):
    """An edit does not apply to the spec; `code` names the finding, the message says why."""

    def __init__(self, code: str, message: str, file: str | None = None) -> None:
        """Keep the finding code and the file it is about."""
        super().__init__(message)
        self.code = code
        self.file = file
        self.applied: Applied | None = None


@dataclass
class Applied:
    """What an edit resolved to: the requirement, where it lives, its text before and after."""

    req_id: str | None = None
    file: str | None = None
    section: str | None = None
    text: str | None = None
    old_text: str | None = None
    locked: bool = False
    new_title: str | None = None
    removed: dict[str, str] = field(default_factory=dict)


Guard = Callable[[Requirement], bool]
"""Called with each existing requirement an edit would change; False forbids the edit (the guard
reports why itself)."""
Allocate = Callable[[Spec, str, str], str]
"""Gives a new requirement its ID, from the spec, the file and the section it is added to."""


class Forbidden(EditError):
    """A guard forbade the edit and has said why already."""

    def __init__(self) -> None:
        """No message of its own: the guard reported."""
        super().__init__("forbidden", "forbidden by the guard")
