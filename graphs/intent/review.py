"""The review view: what a turn gives back (the outcome) and the proposal as the user reviews it.

One view for every face: `ProposalView` is the checked proposal; `review_items(view)` gives its
rows (`ReviewItem`: mark, badge, ID, target, text, where it came from, whether it can be edited
or confirmed) and `review_warnings(view)` code's findings. `render_proposal` (the CLI's `say`
and `pending`) renders those rows as text; the TUI's review card is to render the same rows.
Items carry provenance badges (E explicit, I inferred, C confirmed, plus L for LOCKED) and
verbatim quotes, followed by one unified diff per changed spec file. The views are pydantic
models, so `--json` output and the TUI read the same data.
"""

from __future__ import annotations

import difflib
from typing import Literal

from pydantic import BaseModel, Field

from charter.graphs.intent.check import CheckedItem, CheckResult
from charter.graphs.intent.commit import under
from charter.specs import EDITABLE_OPS, OP_MARK, Finding, Severity


class ProposalView(BaseModel):
    """A checked proposal as the user reviews it."""

    id: str = Field(description="p-0001")
    session: str
    message_id: str = Field(description="the user's message that started the turn")
    summary: str
    items: list[CheckedItem]
    diff: str = Field(description="unified diff of every changed spec file")
    findings: list[Finding] = Field(default_factory=list)
    files: list[str] = Field(default_factory=list, description="changed files, workspace paths")
    refused: bool = False
    model: str = ""

    def text(self) -> str:
        """The proposal as plain text: header, items with badges and quotes, then the diff."""
        return render_proposal(self)


class TurnOutcome(BaseModel):
    """How one turn ended."""

    kind: Literal["proposal", "question", "reply", "refused", "error"]
    session: str
    message_id: str = Field(description="the user's ledger record for this turn")
    reply_id: str | None = Field(default=None, description="the scribe's ledger record")
    text: str | None = Field(default=None, description="question, reply or error sentence")
    proposal: ProposalView | None = None
    superseded: str | None = Field(
        default=None, description="a pending proposal this turn replaced unreviewed"
    )
    model_ms: float = 0.0
    total_ms: float = 0.0


class PendingProposal(ProposalView):
    """The proposal waiting for review in the current session."""


class AcceptedProposal(BaseModel):
    """An accepted proposal: its commit, and the proposal as committed (the user's edits and
    confirmations applied to its items, and the diff of what was committed)."""

    commit: str
    proposal: ProposalView


class ReviewItem(BaseModel):
    """One row of a review, as every face shows it."""

    index: int = Field(description="1-based position: how review acts name the item")
    op: str
    mark: str = Field(description="+ ~ - > for requirements, +§ ~§ -§ for sections")
    badge: str = Field(description="E, I or C, plus L when LOCKED")
    kind: str = Field(description="explicit, inferred or confirmed")
    locked: bool = False
    req_id: str | None = None
    target: str = Field(default="", description="file (§ section) the item adds to or moves into")
    text: str = Field(description="the requirement text, or what a section operation does")
    quote: str | None = None
    messages: list[str] = Field(default_factory=list)
    reason: str | None = None
    note: str | None = Field(default=None, description="why a claimed explicit item is inferred")
    editable: bool = Field(description="the user may replace its text in review")
    confirmable: bool = Field(description="an inferred requirement the user may confirm")
    line: str = Field(description="the plain-text row: badge, mark, ID and text")
    source: str = Field(description="the plain-text provenance: quote or reason")


def review_item(item: CheckedItem) -> ReviewItem:
    """A checked item as a review row."""
    if item.op in ("add_section", "remove_section"):
        text = f"section “{item.section}”"
    elif item.op == "rename_section":
        text = f"section “{item.section}” → “{item.new_title}”"
    elif item.op == "move_requirement":
        text = f"→ § {item.section}"
    else:
        text = item.text if item.text is not None else item.old_text or ""
    target = item.file or ""
    if item.section and item.op in ("add_requirement", "move_requirement"):
        target = f"{target} § {item.section}" if target else item.section
    editable = item.op in EDITABLE_OPS
    return ReviewItem(
        index=item.index,
        op=item.op,
        mark=OP_MARK.get(item.op, "?"),
        badge=item.badge,
        kind=item.provenance,
        locked=item.locked,
        req_id=item.req_id,
        target=target,
        text=text,
        quote=item.quote if item.provenance != "inferred" else None,
        messages=list(item.messages),
        reason=item.reason if item.provenance != "explicit" and not item.downgraded else None,
        note=f"claimed explicit: {item.downgraded}" if item.downgraded else None,
        editable=editable,
        confirmable=editable and item.provenance == "inferred" and bool(item.req_id),
        line=item_line(item),
        source=source_line(item),
    )


def review_items(view: ProposalView) -> list[ReviewItem]:
    """The proposal's rows, in order."""
    return [review_item(item) for item in view.items]


def review_warnings(view: ProposalView) -> list[str]:
    """Code's findings worth the reviewer's eye (everything but INFO), one line each."""
    return [
        f"{f.severity.value} {f.location()} {f.message}"
        for f in view.findings
        if f.severity is not Severity.INFO
    ]


def item_line(item: CheckedItem) -> str:
    """One item: badge, operation mark, ID and text (or what the section operation does)."""
    mark = OP_MARK.get(item.op, "?")
    badge = f"[{item.badge}]"
    if item.op == "add_section":
        return f"{badge} {mark} section {item.section!r} in {item.file}"
    if item.op == "rename_section":
        return f"{badge} {mark} section {item.section!r} → {item.new_title!r} in {item.file}"
    if item.op == "remove_section":
        return f"{badge} {mark} section {item.section!r} in {item.file}"
    if item.op == "move_requirement":
        return f"{badge} {mark} {item.req_id} → {item.file} § {item.section}"
    body = item.text if item.text is not None else item.old_text or ""
    return f"{badge} {mark} {item.req_id or '?'}  {' '.join(body.split())}"


def source_line(item: CheckedItem) -> str:
    """Where the item came from: the verified quote, or the reason."""
    if item.provenance == "explicit":
        edited = " (your edit)" if item.edit else ""
        return f'explicit ({", ".join(item.messages)}){edited}: "{item.quote}"'
    if item.downgraded:
        return f"inferred (claimed explicit): {item.downgraded}"
    return f"inferred: {item.reason}"


def unified_diff(check: CheckResult, spec_prefix: str) -> str:
    """One unified diff per changed spec file, paths relative to the workspace root."""
    out: list[str] = []
    for path in sorted(check.files):
        old = check.old_files.get(path, "")
        where = under(spec_prefix, path)
        out.extend(
            difflib.unified_diff(
                old.splitlines(keepends=True),
                check.files[path].splitlines(keepends=True),
                fromfile=f"a/{where}" if old else "/dev/null",
                tofile=f"b/{where}",
                n=2,
            )
        )
    return "".join(line if line.endswith("\n") else line + "\n" for line in out)


def render_proposal(view: ProposalView) -> str:
    """The review text of a proposal (what `charter say` and `charter pending` print)."""
    state = " (refused)" if view.refused else ""
    lines = [f"Proposal {view.id}{state}: {view.summary}", ""]
    for row in review_items(view):
        lines.append(f"  {row.index}. {row.line}")
        lines.append(f"       {row.source}")
    problems = review_warnings(view)
    if problems:
        lines += ["", "Findings:"]
        lines += [f"  {problem}" for problem in problems]
    if view.diff:
        lines += ["", view.diff.rstrip("\n")]
    lines.append("")
    lines.append("Badges: E explicit, I inferred, C confirmed, L LOCKED.")
    return "\n".join(lines) + "\n"
