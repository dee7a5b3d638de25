"""Plain view records the widgets render, decoupled from the packages that produce the data.

The adapter (`app.tui.backend`) converts what `specs`, `transcripts`, `graphs` and `agents`
return into these, so the widgets depend only on this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class MessageView:
    """One ledger record as the chat shows it."""

    id: str
    role: str
    kind: str
    text: str
    proposal: str | None = None
    commit: str | None = None
    lines: tuple[str, ...] = ()
    """A proposal record's item lines (badge, op, ID, text | source), as the ledger keeps them."""


@dataclass(frozen=True)
class ItemView:
    """One item of a proposal: the edit, its provenance, and the user's or scribe's words."""

    op: str
    req_id: str | None
    target: str
    text: str
    kind: str
    locked: bool = False
    quote: str | None = None
    messages: tuple[str, ...] = ()
    reason: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class ProposalView:
    """A proposal awaiting review: summary, items, the unified diff and code's warnings."""

    id: str
    summary: str
    items: tuple[ItemView, ...]
    diff: str
    warnings: tuple[str, ...] = ()
    edit_text: str = ""

    @property
    def inferred(self) -> list[ItemView]:
        """The items the user could confirm."""
        return [i for i in self.items if i.kind == "inferred"]


@dataclass(frozen=True)
class CommitView:
    """One spec commit in the history list."""

    sha: str
    short: str
    subject: str
    author: str
    date: str
    intents: tuple[str, ...] = ()


@dataclass(frozen=True)
class CommitDetailView:
    """A commit's full message and its diff."""

    sha: str
    short: str
    message: str
    diff: str


@dataclass(frozen=True)
class TurnResult:
    """What one chat turn (or review act) produced, for the chat to show."""

    kind: str
    message_id: str | None = None
    text: str = ""
    proposal: ProposalView | None = None
    error: str | None = None
    commit: str | None = None
    recorded: bool = True


@dataclass
class BuildTaskView:
    """One row of the builds pane's task table."""

    id: str
    title: str
    state: str
    detail: str = ""


@dataclass
class BuildView:
    """One build as read from its `build.json`."""

    id: str
    status: str
    rev: str = ""
    started: str = ""
    tasks: list[BuildTaskView] = field(default_factory=list)
    error: str = ""


@dataclass(frozen=True)
class QuestionView:
    """A question a build raised because the spec does not decide something."""

    id: str
    build: str
    task: str
    text: str
