"""A proposal review card: the items with provenance badges and verbatim quotes, the unified
diff, and the review keys (a accept, r reject, e edit, c confirm inferred items).

The card only renders and reports the user's choice as a typed message (`ReviewCard.Accepted`,
...); the chat pane carries it out in a worker and then calls `resolve()` with the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static

from charter.app.tui.render import badge, diff_text
from charter.app.tui.views import ItemView, ProposalView

REVIEW_KEYS = {"a": "accept", "r": "reject", "e": "edit", "c": "confirm"}
"""The review keys; they act on the open card whatever has focus (see `ChatInput`)."""

KEYS_HINT = "a accept   r reject (asks why)   e edit   c confirm inferred   tab next pane"


def render_items(proposal: ProposalView) -> Text:
    """Each item: op symbol, badge, ID and text, then the quote (explicit) or reason (inferred)."""
    out = Text()
    out.append(proposal.summary, style="bold")
    out.append("\n")
    for item in proposal.items:
        out.append(f"{item.mark:<4}")
        out.append_text(badge(item.kind, item.locked))
        if item.req_id:
            out.append(item.req_id, style="bold")
            out.append(" ")
        if item.target:
            out.append(f"[{item.target}] ", style="dim")
        if item.is_example:
            render_example(out, item)
        else:
            out.append(" ".join(item.text.split()))
            out.append("\n")
        if item.quote:
            cited = ", ".join(item.messages)
            out.append("       “", style="green")
            out.append(item.quote, style="green")
            out.append("”", style="green")
            if cited:
                out.append(f" ({cited})", style="dim")
            out.append("\n")
        if item.reason:
            out.append("       why: ", style="yellow")
            out.append(item.reason, style="italic")
            out.append("\n")
        if item.note:
            out.append("       note: ", style="red")
            out.append(item.note)
            out.append("\n")
    for warning in proposal.warnings:
        out.append("  ! ", style="bold red")
        out.append(warning)
        out.append("\n")
    out.rstrip()
    return out


EXAMPLE_WORDS = {
    "add_example": "new example",
    "modify_example": "example, changed to",
    "remove_example": "example removed",
}
"""What an example operation does, as the card says it before the session."""


def render_example(out: Text, item: ItemView) -> None:
    """An example operation: what it does, then its shell session line by line (a session is
    multi-line, so it is not folded into one line as a requirement's text is)."""
    out.append(EXAMPLE_WORDS.get(item.op, "example"), style="italic")
    out.append("\n")
    style = "strike dim" if item.op == "remove_example" else "cyan"
    for line in item.text.splitlines() or [""]:
        out.append("       │ ", style="dim")
        out.append(line, style=style)
        out.append("\n")


class ReviewCard(Vertical, can_focus=True):
    """One proposal in the chat; focused, it takes the review keys."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(key, f"choose('{action}')", action.title()) for key, action in REVIEW_KEYS.items()
    ]

    @dataclass
    class Decision(Message):
        """The user chose a review action on `card` (the chat pane carries it out)."""

        card: ReviewCard

    class Accepted(Decision):
        """Accept the proposal as proposed."""

    class Rejected(Decision):
        """Reject it (the pane asks why)."""

    class EditRequested(Decision):
        """Edit its items, then accept the edit."""

    class Confirmed(Decision):
        """Vouch for its inferred items and accept it."""

    def __init__(self, proposal: ProposalView, *, id: str | None = None) -> None:
        """A card for `proposal`, open for review."""
        super().__init__(id=id, classes="review-card")
        self.proposal = proposal
        self.resolved: str | None = None
        self.border_title = f"proposal {proposal.id}"
        self.border_subtitle = "awaiting review"

    def compose(self) -> ComposeResult:
        """Items, diff, then the key hint (replaced by the outcome once resolved)."""
        yield Static(render_items(self.proposal), classes="card-items")
        if self.proposal.diff:
            yield Static(diff_text(self.proposal.diff), classes="card-diff")
        yield Static(Text(KEYS_HINT, style="bold"), classes="card-keys")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Review keys work only while the proposal is open; confirm only with inferred items."""
        if action == "choose":
            if self.resolved is not None:
                return False
            if parameters and parameters[0] == "confirm" and not self.proposal.inferred:
                return None
        return True

    def action_choose(self, action: str) -> None:
        """Report the chosen action (accept, reject, edit, confirm) as its typed message."""
        if self.check_action("choose", (action,)):
            self.post_message(DECISIONS[action](self))

    async def show_committed(self, proposal: ProposalView) -> None:
        """Show the proposal as it was committed (the user's edits and confirmations applied),
        instead of what the scribe proposed."""
        self.proposal = proposal
        self.query_one(".card-items", Static).update(render_items(proposal))
        diffs = self.query(".card-diff")
        if diffs:
            diffs.first(Static).update(diff_text(proposal.diff))
        elif proposal.diff:
            await self.mount(
                Static(diff_text(proposal.diff), classes="card-diff"),
                before=self.query_one(".card-keys"),
            )

    def resolve(self, outcome: str) -> None:
        """Mark the card decided (e.g. "accepted: commit 1a2b3c4"); keys stop working."""
        self.resolved = outcome
        self.border_subtitle = outcome
        self.add_class("-resolved")
        self.query_one(".card-keys", Static).update(Text(outcome, style="bold"))
        self.refresh_bindings()


DECISIONS: dict[str, type[ReviewCard.Decision]] = {
    "accept": ReviewCard.Accepted,
    "reject": ReviewCard.Rejected,
    "edit": ReviewCard.EditRequested,
    "confirm": ReviewCard.Confirmed,
}
"""Each review action's message."""
