"""The TUI's client of the scribe: `graphs.intent.IntentSession`, driven on its own thread.

Every call blocks (model, git, SQLite), so each runs on one dedicated thread and is awaited from
a Textual worker; streamed tokens are handed back through a callback that the screen turns into
messages. Outcomes and failures become `TurnResult`s: the UI never sees an exception from here,
and it always knows whether the user's words reached the ledger (`recorded`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from charter.app.tui.clients.workspace import Backend, session_views
from charter.app.tui.serial import SerialThread
from charter.app.tui.views import ItemView, MessageView, ProposalView, SessionView, TurnResult
from charter.specs import EDITABLE_OPS

if TYPE_CHECKING:
    from charter.graphs.intent import IntentSession, ReviewItem

T = TypeVar("T")

EDIT_LINE_RE = re.compile(r"^\[(\d+)\]\s?(.*)$")
EDIT_HELP = (
    "Change the text of any item on its [n] line (one line per item), then press ctrl+s. "
    "Edited items become explicit, citing your edit verbatim. Lines starting with # are ignored."
)


def item_view(row: ReviewItem) -> ItemView:
    """A review row (`graphs.intent.review_items`) as the review card shows it."""
    return ItemView(
        op=row.op,
        req_id=row.req_id,
        target=row.target,
        text=row.text,
        kind=row.kind,
        locked=row.locked,
        quote=row.quote,
        messages=tuple(row.messages),
        reason=row.reason,
        note=row.note,
        index=row.index,
        mark=row.mark,
        editable=row.editable,
        confirmable=row.confirmable,
    )


def edit_text(view: Any) -> str:
    """The proposal's items in the editor's format: `[n] text` lines for editable items."""
    lines = [f"# Proposal {view.id}: {view.summary}"]
    for item in view.items:
        if item.op in EDITABLE_OPS:
            lines.append(f"[{item.index}] {item.text or ''}")
        else:
            lines.append(f"# item {item.index} ({item.op.replace('_', ' ')}) has no text to edit")
    return "\n".join(lines) + "\n"


def parse_edits(text: str) -> dict[int, str]:
    """`[n] text` lines back into {index: text}; other lines are ignored."""
    edits: dict[int, str] = {}
    for line in text.splitlines():
        match = EDIT_LINE_RE.match(line)
        if match:
            edits[int(match.group(1))] = match.group(2)
    return edits


def proposal_view(view: Any) -> ProposalView:
    """A `graphs.intent` ProposalView as the review card shows it."""
    from charter.graphs.intent import review_items, review_warnings

    return ProposalView(
        id=view.id,
        summary=view.summary,
        items=tuple(item_view(row) for row in review_items(view)),
        diff=view.diff,
        warnings=tuple(review_warnings(view)),
        edit_text=edit_text(view),
    )


def failure(exc: Exception) -> str:
    """One sentence for a refused or failed act (model errors carry their own)."""
    return str(getattr(exc, "user_message", None) or exc) or type(exc).__name__


def turn_result(outcome: Any) -> TurnResult:
    """A `graphs.intent` TurnOutcome as the chat shows it (errors and refusals as `error`)."""
    proposal = outcome.proposal
    error = outcome.text if outcome.kind == "error" else None
    if outcome.kind == "refused" and proposal is not None:
        problems = "; ".join(w for w in proposal_view(proposal).warnings)
        error = f"Charter refused the scribe's proposal {proposal.id}: {problems}"
    return TurnResult(
        kind=outcome.kind,
        message_id=outcome.message_id,
        text=outcome.text or "",
        proposal=proposal_view(proposal) if proposal and outcome.kind == "proposal" else None,
        error=error,
    )


class IntentClient:
    """One IntentSession for the TUI's workspace, used from async workers."""

    edit_help = EDIT_HELP

    def __init__(self, backend: Backend, session: str) -> None:
        """Prepare (not open) the scribe session; `open()` does the slow part."""
        self.backend = backend
        self.session_id = session
        self._thread = SerialThread("charter-intent")
        self._session: IntentSession | None = None

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking call on the intent thread."""
        return await self._thread.run(fn, *args)

    @property
    def session(self) -> IntentSession:
        """The open IntentSession."""
        assert self._session is not None, "IntentClient.open() first"
        return self._session

    def _open(self) -> ProposalView | None:
        """Import the graph libraries, open the session, and return a pending proposal."""
        from charter.app.workspace import intent_session

        factory = self.backend.model_factory()
        model_name = factory.resolve("scribe").name
        self._session = intent_session(self.backend.workspace, factory, model_name)
        pending = self._session.pending()
        return proposal_view(pending) if pending is not None else None

    async def open(self) -> ProposalView | None:
        """Open the session (slow imports happen here); the pending proposal, if any."""
        return await self._call(self._open)

    def close(self) -> None:
        """Close the session on its thread and stop the thread."""
        if self._session is not None:
            self._thread.submit(self._session.close)
        self._thread.stop()

    # turns

    def _say(self, text: str, on_token: Callable[[str], None], qid: str | None) -> TurnResult:
        """One turn (a message, or the answer to a builder question); a failure says whether
        the message reached the ledger."""
        from charter.graphs.intent import HandEditsPending, MessageHeld

        before = self._mark()
        try:
            if qid is None:
                outcome = self.session.say(text, on_token=on_token)
            else:
                outcome = self.session.answer(qid, text, on_token=on_token)
        except MessageHeld as exc:  # kept in the ledger, not answered: say why (and ask)
            cause = exc.cause
            return TurnResult(
                kind="held",
                error=failure(cause),
                message_id=exc.message_id,
                hand_edits=cause.edits.summary() if isinstance(cause, HandEditsPending) else None,
            )
        except Exception as exc:  # every failure becomes a notification, never a crash
            recorded = self._recorded_since(before, text)
            return TurnResult(
                kind="error", error=failure(exc), recorded=recorded is not None, message_id=recorded
            )
        return turn_result(outcome)

    def _mark(self) -> tuple[str, int]:
        """The current session and where its file ends now: what a failed turn wrote comes
        after this offset (so a 100,000-message session is never read whole to find it)."""
        session = self.session.session
        try:
            size = self.backend.session_file(session).stat().st_size
        except FileNotFoundError:
            size = 0
        return session, size

    def _written_since(self, mark: tuple[str, int]) -> list[MessageView]:
        """The records written to the marked session after the mark."""
        return self.backend.session_since(*mark).messages

    def _recorded_since(self, mark: tuple[str, int], text: str) -> str | None:
        """The ID of a user record with exactly `text` written after `mark`, if any."""
        for record in self._written_since(mark):
            if record.role == "user" and record.text == text:
                return record.id
        return None

    async def say(
        self, text: str, on_token: Callable[[str], None], question: str | None = None
    ) -> TurnResult:
        """Send the user's message exactly as typed (as the answer to `question`, if given)."""
        return await self._call(self._say, text, on_token, question)

    def _settle(self, choice: str) -> TurnResult:
        """Commit the spec's hand edits as their own change, or set them aside (as `charter say
        --commit-hand-edits` / `--set-aside` do)."""
        try:
            if choice == "commit":
                sha = self.session.commit_hand_edits()
                return TurnResult(
                    kind="committed",
                    text=f"committed your hand edits as {sha[:7]} (no words quoted)",
                    commit=sha,
                )
            saved = self.session.set_aside_hand_edits()
        except Exception as exc:  # IntentError, HistoryError: one sentence
            return TurnResult(kind="failed", error=failure(exc))
        return TurnResult(
            kind="set-aside",
            text=f"set aside your hand edits to {', '.join(saved.files)} as {saved.id} "
            "(charter handedits restore brings them back)",
        )

    async def settle_hand_edits(self, choice: str) -> TurnResult:
        """Settle the hand edits a turn refused over: `commit` or `aside`."""
        return await self._call(self._settle, choice)

    def _fix(
        self, finding: Any, revision: str, prefix: str, on_token: Callable[[str], None]
    ) -> TurnResult:
        """Hand an audit finding to the scribe (`graphs.audit.request_fix`, as `charter audit
        fix` does): the request is an event record, the proposal awaits review."""
        from charter.graphs.audit import request_fix

        before = self._mark()
        try:
            outcome = request_fix(
                self.session,
                self.backend.workspace.state_db,
                revision,
                finding,
                spec_prefix=prefix,
                on_token=on_token,
            )
        except Exception as exc:  # every failure becomes a notification, never a crash
            recorded = bool(self._written_since(before))
            return TurnResult(kind="error", error=failure(exc), recorded=recorded)
        return turn_result(outcome)

    async def fix(
        self, finding: Any, revision: str, prefix: str, on_token: Callable[[str], None]
    ) -> TurnResult:
        """Ask the scribe for a proposal that resolves an audit finding of `revision`."""
        return await self._call(self._fix, finding, revision, prefix, on_token)

    # review

    def _act(self, kind: str, fn: Callable[[], Any]) -> TurnResult:
        """Run a review act; a refusal becomes an error result."""
        try:
            value = fn()
        except Exception as exc:  # IntentError, NothingPending, ValueError: one sentence each
            return TurnResult(kind="failed", error=failure(exc))
        if kind == "accepted":  # an AcceptedProposal: the commit and what it committed
            committed = proposal_view(value.proposal)
            text = f"accepted · commit {value.commit[:7]}"
            confirmed = [i.req_id for i in committed.items if i.kind == "confirmed" and i.req_id]
            if confirmed:
                text += f" · confirmed {', '.join(confirmed)}"
            return TurnResult(kind=kind, text=text, commit=value.commit, accepted=committed)
        if kind == "confirmed":
            return TurnResult(
                kind=kind, text=f"confirmed · commit {str(value)[:7]}", commit=str(value)
            )
        return TurnResult(kind=kind, text="rejected")

    async def accept(self) -> TurnResult:
        """Accept the pending proposal: one commit."""
        return await self._call(self._act, "accepted", self.session.accept_reviewed)

    async def accept_edited(self, proposal: ProposalView, text: str) -> TurnResult:
        """Accept with the user's edits (the editor's `[n] text` lines)."""
        edits = parse_edits(text)
        return await self._call(
            self._act, "accepted", lambda: self.session.accept_reviewed(edits=edits)
        )

    async def reject(self, reason: str) -> TurnResult:
        """Reject the pending proposal, with the reason verbatim (empty: no reason)."""
        result = await self._call(
            self._act, "rejected", lambda: self.session.reject(reason or None)
        )
        if result.kind == "rejected" and reason:
            return TurnResult(kind="rejected", text="rejected: " + " ".join(reason.split()))
        return result

    async def confirm(self, req_id: str, note: str) -> TurnResult:
        """Promote a committed inferred requirement to confirmed (one commit)."""
        return await self._call(
            self._act, "confirmed", lambda: self.session.confirm(req_id, note or None)
        )

    async def confirm_proposal(self, proposal: ProposalView, note: str) -> TurnResult:
        """Accept the proposal with its inferred items confirmed: ONE commit, citing ONE record
        (the note verbatim, or `confirmed items 2, 3 of p-0004`)."""
        indexes = [item.index for item in proposal.inferred]
        return await self._call(
            self._act,
            "accepted",
            lambda: self.session.accept_reviewed(confirm=indexes, note=note or None),
        )

    async def new_session(self) -> str:
        """Start a new ledger session."""
        return await self._call(self.session.new_session)

    def _sessions(self) -> list[SessionView]:
        """Every session, newest first, the current one marked."""
        return session_views(self.session.sessions(), self.session.session)

    async def sessions(self) -> list[SessionView]:
        """Every session of the ledger, newest first."""
        return await self._call(self._sessions)

    def _switch(self, session: str) -> ProposalView | None:
        """Make `session` current; its proposal awaiting review, if any."""
        self.session.switch_session(session)
        pending = self.session.pending()
        return proposal_view(pending) if pending is not None else None

    async def switch_session(self, session: str) -> ProposalView | None:
        """Switch to an existing session; returns the proposal it has awaiting review."""
        return await self._call(self._switch, session)
