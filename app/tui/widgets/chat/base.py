"""The chat pane's foundation: log and input, the messages it posts to the screen, loading the
session's messages, review cards, and the one turn slot (`ScreenState.turn_running`).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widget import Widget

from charter.app.tui.clients.workspace import ChatSlice
from charter.app.tui.state import ScreenState
from charter.app.tui.views import ProposalView
from charter.app.tui.widgets.chat.input import ChatInput
from charter.app.tui.widgets.chat.log import WINDOW, ChatLog

if TYPE_CHECKING:
    from textual.widgets.markdown import MarkdownStream

INPUT_PLACEHOLDER = "Message the scribe · Enter send · ctrl+j newline · ↑ history"
REVIEW_PLACEHOLDER = "Proposal awaiting review: a accept · r reject · e edit · c confirm · or type"


class ChatBase(Vertical):
    """The chat's layout, loading and turn slot; `ChatPane` adds the turns."""

    @dataclass
    class Busy(Message):
        """What the pane is waiting for ("" when nothing), for the status line."""

        text: str

    @dataclass
    class Committed(Message):
        """A review or confirmation made a spec commit."""

    @dataclass
    class TurnEnded(Message):
        """A scribe turn ended (tokens were used)."""

    @dataclass
    class FixSent(Message):
        """An audit finding was handed to the scribe."""

    @dataclass
    class QuestionAnswered(Message):
        """A builder question's answer is in the ledger."""

        qid: str

    def __init__(self, state: ScreenState, *, id: str | None = None) -> None:
        """A chat on the screen's `state`."""
        super().__init__(id=id)
        self.state = state
        self._reply: Widget | None = None
        self._stream: MarkdownStream | None = None
        self._offset = 0

    def compose(self) -> ComposeResult:
        """Log and input."""
        yield ChatLog(id="chat-log")
        yield ChatInput(id="chat-input", placeholder=INPUT_PLACEHOLDER)

    @property
    def log_view(self) -> ChatLog:
        """The message list."""
        return self.query_one(ChatLog)

    @property
    def chat_input(self) -> ChatInput:
        """The input."""
        return self.query_one(ChatInput)

    def busy(self, text: str) -> None:
        """Say what runs now in the status line."""
        self.post_message(self.Busy(text))

    def focus_input(self) -> None:
        """Focus the input (restoring a maximized layout first)."""
        if self.screen.maximized is not None:
            self.screen.minimize()
        self.chat_input.focus()

    def card_changed(self) -> None:
        """Tell the input whether a proposal awaits review (the review keys then act on it)."""
        pending = self.log_view.open_card() is not None
        self.chat_input.review_pending = pending
        self.chat_input.placeholder = REVIEW_PLACEHOLDER if pending else INPUT_PLACEHOLDER

    # loading

    async def open_scribe(self) -> None:
        """Open the scribe session and bring back a proposal still awaiting review."""
        from charter.app.tui.clients.scribe import IntentClient

        state = self.state
        client = IntentClient(state.backend, state.session or "")
        try:
            pending = await client.open()
        except Exception as exc:  # the scribe is optional for browsing: say why it is missing
            state.intent_error = f"The scribe could not start: {exc}"
            self.notify(state.intent_error, severity="error", timeout=10, markup=False)
            return
        state.intent = client
        if pending is not None:
            await self.show_card(pending, focus=True)
            self.notify(
                f"Proposal {pending.id} from an earlier run is waiting for your review.",
                markup=False,
            )
        self.post_message(self.TurnEnded())  # the usage line starts from what was used so far

    async def reload(self, ahead: Future[tuple[str, ChatSlice]] | None = None) -> None:
        """Show the current session's last messages (read from the end of its file)."""
        backend = self.state.backend
        if ahead is not None:
            self.state.session, tail = await asyncio.wrap_future(ahead)
        else:
            self.state.session, tail = await backend.run_io(backend.chat_start, WINDOW)
        self._offset = tail.end
        await self.log_view.show(tail.messages, complete=tail.complete, start=tail.start)
        self.log_view.border_title = f"chat · {self.state.session}"
        self.card_changed()

    async def sync(self) -> None:
        """Mount the ledger records the chat does not show yet (and drop provisional ones)."""
        state = self.state
        if state.session is None:
            return
        since = await state.backend.run_io(state.backend.session_since, state.session, self._offset)
        self._offset = since.end
        log = self.log_view
        known = {m.id for m in log.records}
        await log.query(".provisional").remove()
        for message in since.messages:
            if message.id not in known:
                await log.add_record(message)
        await state.refresh_fingerprint()

    async def show_card(self, proposal: ProposalView, focus: bool = False) -> None:
        """Mount a review card for a proposal awaiting review."""
        card = await self.log_view.add_card(proposal)
        self.card_changed()
        if focus:
            card.focus(scroll_visible=False)
            self.log_view.release_anchor()
            self.call_after_refresh(card.scroll_visible, top=True, animate=False)

    @on(ChatLog.LoadEarlier)
    def load_earlier(self) -> None:
        """The button: mount the previous window of messages."""
        self.load_earlier_worker()

    @work(group="earlier", exclusive=True)
    async def load_earlier_worker(self) -> int:
        """Read the previous page of the session if needed, then mount the previous window."""
        log, backend = self.log_view, self.state.backend
        if log.needs_history and self.state.session is not None:
            page = await backend.run_io(
                backend.session_before, self.state.session, log.start, WINDOW
            )
            log.prepend(page.messages, complete=page.complete, start=page.start)
        return await log.load_earlier()

    # scribe turns

    def start_turn(self, needs_model: bool = True) -> bool:
        """Claim the one turn slot, or say why not (False)."""
        if (refusal := self.state.write_refusal(needs_model=needs_model)) is not None:
            self.notify(refusal, severity="warning", markup=False)
            return False
        self.state.turn_running = True
        return True

    def end_turn(self) -> None:
        """Release the turn slot."""
        self.state.turn_running = False
        self.busy("")
