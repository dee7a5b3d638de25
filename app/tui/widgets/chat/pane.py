"""The chat pane: the log above and the input below (`ChatBase`), and the scribe's turns it runs
in workers (a message, a review of the open card, a confirmation, a builder question's answer,
an audit fix), streaming the reply into the log. One turn at a time (`ScreenState.turn_running`).

It tells the screen what happened through typed messages: `Busy` (status line), `Committed`
(the spec changed), `TurnEnded` (usage changed), `FixSent`, `QuestionAnswered`.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.message import Message

from charter.app.tui.screens.dialogs import HandEditsChoice
from charter.app.tui.state import reporting
from charter.app.tui.views import QuestionView, TurnResult
from charter.app.tui.widgets.chat import asks
from charter.app.tui.widgets.chat.base import ChatBase
from charter.app.tui.widgets.chat.input import ChatInput
from charter.app.tui.widgets.chat.review_card import ReviewCard


@dataclass
class ScribeToken(Message):
    """A fragment of the scribe's streamed reply (posted from the intent thread)."""

    fragment: str


class ChatPane(ChatBase):
    """The chat: the log above, the input below; it runs the scribe's turns."""

    @on(ChatInput.Submitted)
    def submitted(self, event: ChatInput.Submitted) -> None:
        """Send the typed text, exactly as typed, unless writing is refused right now."""
        text = event.text
        if not text.strip():
            return
        if (refusal := self.state.write_refusal(needs_model=True)) is not None:
            if self.state.turn_running:  # kept in the input: a record now would land mid-turn
                self.notify(
                    f"{refusal} Your text is still in the input.", severity="warning", markup=False
                )
            else:
                self.keep_refused(text, refusal)
            return
        self.chat_input.remember(text)
        self.chat_input.clear()
        self.state.turn_running = True
        self.send(text)

    @work(group="turn")
    async def send(self, text: str, question: str | None = None) -> None:
        """Run one scribe turn: show the message, stream the reply, then the outcome."""
        intent = self.state.intent
        assert intent is not None
        provisional = await self.log_view.add_user(text)
        self.busy("scribe is thinking… (typing still works)")
        self._reply = None
        try:
            result = await intent.say(text, self.post_token, question)
            if result.hand_edits is not None and await self.settle_hand_edits(result.hand_edits):
                self.busy("scribe is thinking… (typing still works)")
                result = await intent.say(text, self.post_token, question)
        finally:
            await self.end_stream()
            self.end_turn()
        if not result.recorded:
            await provisional.remove()
            if self._reply is not None:
                await self._reply.remove()
            if not self.chat_input.text and question is None:
                self.chat_input.load_text(text)
            self.notify(
                f"{result.error} Your message was not sent; it is back in the input.",
                title="Not sent",
                severity="error",
                timeout=12,
                markup=False,
            )
            return
        if result.kind == "held":  # kept in the ledger, not answered: sending it again will
            await self.sync()
            if not self.chat_input.text and question is None:
                self.chat_input.load_text(text)
            self.notify(
                f"{result.error} Your message is saved in the ledger as {result.message_id}, "
                "not answered yet; it is back in the input: send it again to have it answered.",
                title="Not answered yet",
                severity="warning",
                timeout=15,
                markup=False,
            )
            self.post_message(self.TurnEnded())
            return
        await self.after_turn(result)

    @work(group="keep")
    async def keep_refused(self, text: str, refusal: str) -> None:
        """A send refused before any turn: keep the words on disk first, then say so."""
        backend = self.state.backend
        try:
            where = await backend.run_io(
                backend.keep_message, text, refusal, bool(self.state.read_only)
            )
        except Exception as exc:  # e.g. a full disk: the input still holds the text
            self.notify(
                f"{refusal} Your text could not be saved ({exc}); it is still in the input.",
                severity="error",
                markup=False,
            )
            return
        if not self.state.read_only:
            await self.sync()
        self.notify(
            f"{refusal} Your message is saved in {where}, not answered yet; it is still in the "
            "input: send it again once this is resolved to have it answered.",
            title="Not answered yet",
            severity="warning",
            timeout=15,
            markup=False,
        )

    async def settle_hand_edits(self, summary: str) -> bool:
        """The spec has uncommitted hand edits: ask whether to commit them as their own change
        or set them aside, and do it; False when the user cancelled or it failed."""
        intent = self.state.intent
        assert intent is not None
        choice = await self.app.push_screen_wait(HandEditsChoice(summary))
        if choice is None:
            return False
        self.busy("committing your hand edits…" if choice == "commit" else "setting aside…")
        settled = await intent.settle_hand_edits(choice)
        if settled.error:
            self.notify(settled.error, title="Hand edits", severity="error", markup=False)
            return False
        self.notify(settled.text, title="Hand edits", markup=False)
        self.post_message(self.Committed())  # the spec files changed either way
        return True

    def post_token(self, fragment: str) -> None:
        """Called on the intent thread for each streamed fragment: hand it to the UI thread."""
        self.post_message(ScribeToken(fragment))

    async def on_scribe_token(self, message: ScribeToken) -> None:
        """Append a streamed fragment to the reply being written."""
        if not self.state.turn_running:
            return
        if self._reply is None:
            self._reply, self._stream = await self.log_view.start_reply()
        if self._stream is not None:
            await self._stream.write(message.fragment)

    async def end_stream(self) -> None:
        """Finish the streamed reply, if any."""
        if self._stream is not None:
            await self._stream.stop()
            self._stream = None

    async def after_turn(self, result: TurnResult, saved: str = "Your message") -> None:
        """Replace provisional widgets by the ledger's records; show errors and proposals."""
        await self.sync()
        self._reply = None
        if result.error:
            self.notify(
                f"{result.error} {saved} is saved in the ledger"
                f"{f' as {result.message_id}' if result.message_id else ''}.",
                title="Model endpoint error",
                severity="error",
                timeout=15,
                markup=False,
            )
        if result.proposal is not None:
            await self.show_card(result.proposal, focus=True)
        self.post_message(self.TurnEnded())

    # reviewing

    @on(ReviewCard.Accepted)
    def accepted(self, event: ReviewCard.Accepted) -> None:
        """a on the card: accept."""
        self.decide(event.card, "accept")

    @on(ReviewCard.Rejected)
    def rejected(self, event: ReviewCard.Rejected) -> None:
        """r on the card: reject, asking why."""
        self.decide(event.card, "reject")

    @on(ReviewCard.EditRequested)
    def edit_requested(self, event: ReviewCard.EditRequested) -> None:
        """e on the card: edit, then accept."""
        self.decide(event.card, "edit")

    @on(ReviewCard.Confirmed)
    def confirmed(self, event: ReviewCard.Confirmed) -> None:
        """c on the card: confirm the inferred items and accept."""
        self.decide(event.card, "confirm")

    @on(ChatInput.ReviewKey)
    def review_key(self, event: ChatInput.ReviewKey) -> None:
        """A review key in the empty input: the open card takes it."""
        self.choose(event.action)

    def choose(self, action: str) -> None:
        """Carry out `action` on the open card (keys, palette)."""
        card = self.log_view.open_card()
        if card is None:
            self.notify("No proposal is waiting for review.", severity="warning", markup=False)
            return
        card.action_choose(action)

    def decide(self, card: ReviewCard, action: str) -> None:
        """Start the review worker, unless a write is refused now."""
        if not self.start_turn(needs_model=False):
            return
        if self.state.intent is None:
            self.end_turn()
            self.notify(
                "The scribe is still starting; try again in a moment.",
                severity="warning",
                markup=False,
            )
            return
        self.review(card, action)

    @work(group="turn")
    async def review(self, card: ReviewCard, action: str) -> None:
        """Ask what the action needs (reason, edits, note), then carry it out."""
        intent = self.state.intent
        assert intent is not None
        try:
            result = await asks.review(self.app, intent, card.proposal, action, self.busy)
        finally:
            self.end_turn()
        if result is None:
            return
        if result.error:
            self.notify(
                result.error, title=f"{action} failed", severity="error", timeout=12, markup=False
            )
        if result.accepted is not None:
            await card.show_committed(result.accepted)
        if result.kind in ("accepted", "rejected"):
            card.resolve(result.text)
            self.card_changed()
            self.chat_input.focus()
        await self.sync()
        if result.proposal is not None:
            await self.show_card(result.proposal, focus=True)
        if result.commit:
            self.post_message(self.Committed())

    def confirm_requirement(self, req_id: str) -> None:
        """Confirm an inferred requirement of the committed spec."""
        snapshot = self.state.snapshot
        found = snapshot.spec.find(req_id) if snapshot else None
        if found is None:
            return
        req = found[2]
        if req.provenance is None or req.provenance.kind.value != "inferred":
            self.notify(
                f"{req_id} is not inferred; only inferred requirements are confirmed.", markup=False
            )
            return
        if (refusal := self.state.write_refusal(needs_model=False)) is not None:
            self.notify(refusal, severity="warning", markup=False)
            return
        if self.state.intent is None:
            self.notify(
                "The scribe is not available: confirming needs the intent session.", markup=False
            )
            return
        self.state.turn_running = True
        self.confirm_worker(req_id)

    @work(group="turn")
    async def confirm_worker(self, req_id: str) -> None:
        """Ask for an optional note, then record and commit the confirmation."""
        intent = self.state.intent
        assert intent is not None
        try:
            note = await asks.confirm_note(self.app, req_id)
            if note is None:
                return
            self.busy(f"confirming {req_id}…")
            result = await intent.confirm(req_id, note)
        finally:
            self.end_turn()
        if result.error:
            self.notify(
                result.error, title="Confirm failed", severity="error", timeout=12, markup=False
            )
            return
        self.notify(f"{req_id} is confirmed.", markup=False)
        await self.sync()
        self.post_message(self.Committed())

    # builder questions and audit findings

    def answer_question(self, qid: str, question: QuestionView | None) -> None:
        """Answer a builder question: the answer is intent, and the scribe proposes the change."""
        if self.start_turn():
            self.answer_worker(qid, question)

    @work(group="turn")
    async def answer_worker(self, qid: str, question: QuestionView | None) -> None:
        """Ask for the answer, then run the scribe turn on it."""
        text = await asks.answer(self.app, qid, question)
        if text is None:
            self.end_turn()
            return
        self.focus_input()
        await self.send(text, qid).wait()
        self.post_message(self.QuestionAnswered(qid))

    def fix_finding(self, finding: object, revision: str, prefix: str) -> None:
        """Hand an audit finding to the scribe; its proposal is reviewed in the chat."""
        if self.start_turn():
            self.fix_worker(finding, revision, prefix)

    @work(group="turn")
    async def fix_worker(self, finding: object, revision: str, prefix: str) -> None:
        """Run the fix turn, streaming the scribe's reply into the chat; show the card."""
        intent = self.state.intent
        assert intent is not None
        self.focus_input()
        self.busy("scribe is working on the audit finding…")
        self._reply = None
        try:
            result = await intent.fix(finding, revision, prefix, self.post_token)
        finally:
            await self.end_stream()
            self.end_turn()
        if not result.recorded:
            if self._reply is not None:
                await self._reply.remove()
            self.notify(
                f"{result.error} The fix was not requested.",
                title="Not sent",
                severity="error",
                timeout=12,
                markup=False,
            )
            return
        await self.after_turn(result, saved="The fix request")
        self.post_message(self.FixSent())

    # sessions

    @work(group="turn")
    async def new_session(self) -> None:
        """Create a session, point the scribe at it, and show the (empty) chat."""
        state = self.state
        if state.intent is not None:
            session = await state.intent.new_session()
        else:
            session = await state.backend.run_io(state.backend.new_session)
        await self.reload()
        self.notify(f"New session {session}.", markup=False)

    @work(group="turn")
    async def switch_session(self) -> None:
        """List the sessions, ask which one, switch the scribe (or the ledger) to it, and reload
        the chat with the proposal that session has awaiting review."""
        from charter.app.tui.screens.dialogs import SessionPicker

        state, backend = self.state, self.state.backend
        with reporting(self, "switch sessions"):
            intent = state.intent
            if intent is not None:
                sessions = await intent.sessions()
            else:
                sessions = await backend.run_io(backend.sessions)
            chosen = await self.app.push_screen_wait(SessionPicker(sessions))
            if chosen is None or chosen == state.session:
                return
            if not self.start_turn(needs_model=False):
                return
            try:
                pending = None
                if intent is not None:
                    pending = await intent.switch_session(chosen)
                else:
                    await backend.run_io(backend.switch_session, chosen)
                await self.reload()
                if pending is not None:
                    await self.show_card(pending, focus=True)
            finally:
                self.state.turn_running = False
            await state.refresh_fingerprint()
            self.notify(f"Switched to session {chosen}.", markup=False)
