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
    """One review row of a proposal (built from `graphs.intent.review_items`, the rows every
    face shows): the edit, its provenance, and the user's or scribe's words."""

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
    index: int = 0
    """The item's 1-based position in the proposal (how review acts name it)."""
    mark: str = "?"
    """The operation's mark: + ~ - > for requirements, +§ ~§ -§ sections, +ex ~ex -ex examples."""
    editable: bool = False
    """The user may replace its text in review."""
    confirmable: bool = False
    """An inferred requirement the user may confirm."""

    @property
    def is_example(self) -> bool:
        """Whether the item adds, changes or removes an example (a shell session)."""
        return self.op.endswith("_example")


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
        return [i for i in self.items if i.confirmable]


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
    accepted: ProposalView | None = None
    """After an accept: the proposal as committed (edits and confirmations applied)."""
    hand_edits: str | None = None
    """The turn was refused over the spec's uncommitted hand edits (their summary); the message
    is kept in the ledger, not answered yet (kind `held`)."""


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


@dataclass(frozen=True)
class EvidenceView:
    """A ledger message an audit finding quotes, verbatim."""

    message: str
    note: str
    text: str


@dataclass(frozen=True)
class FindingView:
    """One finding in the audit pane: from the audit (`source` "audit") or from the structural
    check `charter validate` runs (`source` "check"; those have no ID and no scribe fix)."""

    key: str
    """Unique in the pane: the audit finding's ID, or `check-<n>`."""
    source: str
    severity: str
    kind: str
    location: str
    message: str
    requirements: tuple[str, ...] = ()
    fix: str = ""
    evidence: tuple[EvidenceView, ...] = ()
    fix_proposal: str | None = None
    """The proposal a fix request for this finding produced, if one was made."""

    @property
    def fixable(self) -> bool:
        """Whether the scribe can be asked to fix it (audit findings only)."""
        return self.source == "audit"


@dataclass(frozen=True)
class AuditView:
    """What the audit pane shows: the stored audit of the working tree's revision, if any."""

    revision: str
    audited: bool
    findings: tuple[FindingView, ...] = ()
    audited_at: str = ""
    model: str = ""
    model_calls: int = 0
    cached: int | None = None
    """Answers reused from the cache by the run just made (None: read from the store)."""


@dataclass(frozen=True)
class CallView:
    """One model call of a build (a file in its `calls/`), as the call list shows it."""

    name: str
    """The file's name, e.g. `0002-T1-coder.json`."""
    role: str
    task: str | None
    attempt: int = 0
    cached: bool = False
    tokens: int = 0
    duration_ms: float = 0.0
    error: str | None = None


@dataclass(frozen=True)
class SessionView:
    """One ledger session in the session switcher."""

    id: str
    count: int
    first: str = ""
    last: str = ""
    current: bool = False
