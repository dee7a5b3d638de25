"""The chat's message log: the session's messages (last N mounted, earlier ones on demand), the
scribe's streamed Markdown replies and review cards.

User text is rendered as literal Text (never markup); scribe text as Markdown. Only a window of
the ledger is ever mounted, so a 10,000-message session opens as fast as a short one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.markdown import Markdown as RichMarkdown
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Static

if TYPE_CHECKING:
    from textual.widgets.markdown import MarkdownStream

from charter.app.tui.views import MessageView, ProposalView
from charter.app.tui.widgets.chat.review_card import ReviewCard

WINDOW = 40
"""How many messages are mounted at first, and how many more each "load earlier" adds."""

EMPTY_HINT = (
    "Nothing said in this session yet. Tell the scribe what the software should do: it proposes "
    "spec changes, and nothing changes until you accept. Your words are kept verbatim."
)


USER_KIND_LABEL = {
    "reject": "why rejected",
    "edit": "your edit",
    "confirm": "confirmed",
    "answer": "answer to builder",
}


class UserMessage(Static):
    """A user message exactly as typed."""

    def __init__(self, text: str, msg_id: str | None, label: str = "") -> None:
        """Literal text; the border title carries the message ID once it is in the ledger."""
        super().__init__(Text(text, end=""), classes="msg user")
        self.border_title = f"you · {msg_id}" if msg_id else "you · sending…"
        if label:
            self.border_title += f" · {label}"


class ProposalRecord(Static):
    """A proposal (or refused proposal) as the ledger recorded it: summary and item lines."""

    def __init__(self, record: MessageView) -> None:
        """Summary in bold, then each item line, all literal."""
        body = Text(end="")
        body.append(record.text, style="bold")
        for line in record.lines:
            body.append("\n")
            body.append(line)
        super().__init__(body, classes=f"msg scribe {record.kind}")
        self.proposal = record.proposal
        label = "proposal" if record.kind == "proposal" else "refused proposal"
        self.border_title = f"scribe · {record.id} · {label} {record.proposal or ''}".rstrip()


def scribe_title(msg_id: str | None, kind: str) -> str:
    """`scribe · m-0008`, `scribe asks · m-0008`, or `scribe · replying…`."""
    label = "scribe asks" if kind == "question" else "scribe"
    return f"{label} · {msg_id}" if msg_id else f"{label} · replying…"


class ScribeRecord(Static):
    """A recorded scribe reply or clarifying question: Markdown in one light widget, so a
    window of history mounts fast."""

    def __init__(self, text: str, msg_id: str, kind: str = "reply") -> None:
        """Render `text` as Markdown (Rich markup in it is never interpreted)."""
        super().__init__(RichMarkdown(text, hyperlinks=False), classes=f"msg scribe {kind}")
        self.border_title = scribe_title(msg_id, kind)


class EventLine(Static):
    """A review act or other event record, one dim line."""

    def __init__(self, record: MessageView) -> None:
        """`kind: text` as literal text."""
        style = "red" if record.kind == "error" else "dim"
        body = Text(f"{record.id} {record.kind.replace('_', ' ')}", style=style)
        if record.text:
            body.append(": ", style=style)
            body.append(record.text, style=f"{style} italic")
        super().__init__(body, classes="msg event")


def message_widget(record: MessageView) -> Static:
    """The widget that shows one ledger record."""
    if record.role == "user":
        label = USER_KIND_LABEL.get(record.kind, record.kind if record.kind != "message" else "")
        if record.proposal and label:
            label += f" {record.proposal}"
        return UserMessage(record.text, record.id, label)
    if record.role == "scribe" and record.kind in ("proposal", "refused"):
        return ProposalRecord(record)
    if record.role == "scribe":
        return ScribeRecord(record.text, record.id, record.kind)
    return EventLine(record)


class ChatLog(VerticalScroll):
    """The scrolling message list: a "load earlier" button, then a window of messages."""

    @dataclass
    class LoadEarlier(Message):
        """The user asked for older messages."""

    def __init__(self, *, id: str | None = None) -> None:
        """An empty log; `show()` fills it."""
        super().__init__(id=id)
        self.records: list[MessageView] = []
        """The records read so far (a tail of the session, grown by "load earlier")."""
        self.first_shown = 0
        self.complete = True
        """Whether `records` starts at the session's first record."""
        self.start = 0
        """Byte offset of `records[0]` in the session file (older pages are read before it)."""

    def compose(self) -> ComposeResult:
        """The (initially hidden) load-earlier button and the empty-session hint."""
        yield Button("Load earlier messages", id="load-earlier", compact=True)
        yield Static(Text(EMPTY_HINT, style="dim italic"), id="chat-empty")

    def on_mount(self) -> None:
        """Stick to the bottom as messages arrive."""
        self.query_one("#load-earlier").display = False
        self.anchor()

    async def show(
        self,
        records: list[MessageView],
        *,
        complete: bool = True,
        start: int = 0,
        window: int = WINDOW,
    ) -> None:
        """Replace the content with the last `window` of `records`; `complete` says whether
        they start at the session's first record (else older ones are read on demand, before
        byte offset `start`)."""
        self.records = list(records)
        self.complete = complete
        self.start = start
        self.first_shown = max(0, len(self.records) - window)
        await self.query(".msg, ReviewCard").remove()
        widgets = [message_widget(r) for r in self.records[self.first_shown :]]
        if widgets:
            await self.mount_all(widgets)
        self._update_button()
        self.scroll_end(animate=False)

    @property
    def needs_history(self) -> bool:
        """Whether "load earlier" must first read an older page of the session."""
        return self.first_shown == 0 and not self.complete

    def prepend(self, older: list[MessageView], *, complete: bool, start: int) -> None:
        """Put an older page of the session before the records read so far (not mounted yet)."""
        known = {r.id for r in self.records}
        page = [r for r in older if r.id not in known]
        self.records = page + self.records
        self.first_shown += len(page)
        self.complete = complete
        self.start = start

    async def load_earlier(self, window: int = WINDOW) -> int:
        """Mount up to `window` older messages above the shown ones; returns how many."""
        start = max(0, self.first_shown - window)
        older = self.records[start : self.first_shown]
        if older:
            self.release_anchor()
            await self.mount_all(
                [message_widget(r) for r in older], after=self.query_one("#load-earlier")
            )
            self.first_shown = start
        self._update_button()
        return len(older)

    def _update_button(self) -> None:
        """Show how many earlier messages exist, or hide the button; hint on an empty chat."""
        self.query_one("#chat-empty").display = not self.records
        button = self.query_one("#load-earlier", Button)
        button.display = self.first_shown > 0 or not self.complete
        more = f" ({self.first_shown} more)" if self.complete else ""
        button.label = f"Load earlier messages{more}"

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Turn the button press into a request the pane serves."""
        if event.button.id == "load-earlier":
            event.stop()
            self.post_message(self.LoadEarlier())

    async def add_user(self, text: str) -> UserMessage:
        """Show a just-sent message (its ID arrives when the ledger has it)."""
        self.query_one("#chat-empty").display = False
        widget = UserMessage(text, None)
        widget.add_class("provisional")
        await self.mount(widget)
        self.anchor()
        return widget

    async def add_record(self, record: MessageView) -> Static:
        """Append a record that arrived after the initial load."""
        self.records.append(record)
        self.query_one("#chat-empty").display = False
        widget = message_widget(record)
        if isinstance(widget, ProposalRecord) and any(
            card.proposal.id == record.proposal for card in self.query(ReviewCard)
        ):
            widget.display = False
        await self.mount(widget)
        self.anchor()
        return widget

    async def start_reply(self) -> tuple[Widget, MarkdownStream]:
        """Mount an empty scribe reply and return it with a Markdown stream feeding it."""
        from charter.app.tui.widgets.chat.streaming import (
            ScribeMessage,  # Textual's Markdown is slow to import
        )

        widget = ScribeMessage(scribe_title(None, "reply"))
        await self.mount(widget)
        self.anchor()
        return widget, widget.stream()

    async def add_card(self, proposal: ProposalView) -> ReviewCard:
        """Mount a review card for `proposal` (replacing an open card for the same proposal)."""
        for old in self.query(ReviewCard):
            if old.proposal.id == proposal.id and old.resolved is None:
                await old.remove()
        for record in self.query(ProposalRecord):
            if record.proposal == proposal.id:
                record.display = False
        card = ReviewCard(proposal)
        await self.mount(card)
        return card

    def open_card(self) -> ReviewCard | None:
        """The newest card still awaiting review."""
        cards = [c for c in self.query(ReviewCard) if c.resolved is None]
        return cards[-1] if cards else None
