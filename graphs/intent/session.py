"""The intent session: the API the CLI and the TUI drive (say, pending, accept, reject, confirm).

Built on `runner.SessionRunner` (ledger, checkpointed graph, recovery, hand edits). The user's
words are appended to the ledger (fsynced) before anything else happens with them. A proposal
awaiting review survives a crash or a quit: a new `IntentSession` finds it with `pending()`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from langgraph.types import Command

from charter.agents import ModelConfigError, Proposal, TokenCallback, render_prompt
from charter.graphs.intent.accept import (
    AcceptRequest,
    accept_request,
    one_line_or_fail,
    placeholder,
    plan_accept,
    plan_confirm,
)
from charter.graphs.intent.check import CheckResult, Edit
from charter.graphs.intent.commit import (
    commit_plan,
    confirm_text,
    rel,
)
from charter.graphs.intent.review import (
    AcceptedProposal,
    PendingProposal,
    ProposalView,
    TurnOutcome,
    unified_diff,
)
from charter.graphs.intent.runner import SessionRunner
from charter.graphs.intent.specdir import read_spec_dir
from charter.graphs.intent.state import (
    IntentError,
    fresh_state,
    locked_trigger,
)
from charter.specs import HistoryError
from charter.transcripts import LedgerError, Record, drain_spool, hold


class NothingPending(IntentError):
    """There is no proposal waiting for review in the current session."""


class NothingHeld(IntentError):
    """No message of the user's waits for an answer in the current session."""


class MessageHeld(IntentError):
    """A turn was refused before the scribe was asked; the user's message is in the ledger,
    not answered yet. `cause` is the refusal."""

    def __init__(self, reason: str, message_id: str, cause: Exception) -> None:
        """Say why, and where the message is."""
        self.message_id = message_id
        self.cause = cause
        super().__init__(
            f"{reason.rstrip().rstrip('.')}. Your message {message_id} is kept in the ledger, "
            "not answered yet: charter say --again answers it (with the same options)."
        )


class IntentSession(SessionRunner):
    """Runs intent turns and review acts for one workspace (the current ledger session)."""

    # -- turns -------------------------------------------------------------------------------

    def say(
        self,
        text: str,
        on_token: TokenCallback | None = None,
        prepare: Callable[[], None] | None = None,
    ) -> TurnOutcome:
        """Run one turn on a user message; a pending proposal is superseded by it.

        The message is in the ledger (fsynced) before anything else happens; `prepare` (e.g.
        settling hand edits) runs after that. A refusal before the scribe is asked (no model,
        hand edits, a failing `prepare`) keeps it there, not answered yet (`MessageHeld`): the
        same text sent again, or `say_again`, answers that record instead of writing another.
        """
        if not text.strip():
            raise ValueError("the message is empty")
        with self._lock:
            started = time.perf_counter()
            session = self.session
            record = self._keep(session, text)
            self._ready(session, record, prepare)
            return self._turn(session, record, None, on_token, started)

    def say_again(
        self, on_token: TokenCallback | None = None, prepare: Callable[[], None] | None = None
    ) -> TurnOutcome:
        """Answer the user's newest message that was kept but not answered (see `say`)."""
        with self._lock:
            started = time.perf_counter()
            session = self.session
            drain_spool(self.ledger, self.state_dir, session)
            record = self.held_message()
            if record is None:
                raise NothingHeld(f"No message of yours waits for an answer in session {session}.")
            self._ready(session, record, prepare)
            extra = self._answer_extra(record) if record.kind == "answer" else None
            return self._turn(session, record, extra, on_token, started)

    def answer(
        self,
        qid: str,
        text: str,
        on_token: TokenCallback | None = None,
        prepare: Callable[[], None] | None = None,
    ) -> TurnOutcome:
        """Answer a builder question: recorded verbatim first, then a scribe turn on it."""
        from charter.graphs.build import find_question

        if not text.strip():
            raise ValueError("the answer is empty")
        with self._lock:
            started = time.perf_counter()
            question = find_question(self.builds_dir, qid)
            session = self.session
            record = self._keep(
                session, text, question=qid, build=question.build if question else None
            )
            self._ready(session, record, prepare)
            return self._turn(session, record, self._answer_extra(record), on_token, started)

    def _answer_extra(self, record: Record) -> str:
        """What the scribe is told about the builder question an answer record answers."""
        from charter.graphs.build import find_question

        qid = record.question or ""
        question = find_question(self.builds_dir, qid)
        if question is None:
            raise IntentError(f"No builder question {qid}: see the build's questions.md.")
        about = ", ".join(question.requirements) or "no particular requirement"
        return render_prompt(
            "scribe_answer",
            qid=qid,
            about=about,
            question=question.text.strip(),
            answer_id=record.id,
        )

    def _ready(self, session: str, record: Record, prepare: Callable[[], None] | None) -> None:
        """Everything a turn needs before the scribe is asked; a refusal keeps `record` held."""
        try:
            self.factory.check("scribe")  # the model settings, before `prepare` commits anything
            if record.kind == "answer":
                self._answer_extra(record)
            if prepare is not None:
                prepare()
            self._before_turn()
        except (IntentError, HistoryError, ModelConfigError, LedgerError) as exc:
            reason = getattr(exc, "user_message", None) or str(exc)
            hold(self.ledger, session, record, " ".join(reason.split()))
            raise MessageHeld(reason, record.id, exc) from exc
        except BaseException:
            hold(self.ledger, session, record, "the turn was interrupted before the scribe")
            raise

    def event_turn(
        self,
        text: str,
        *,
        kind: str,
        extra: str,
        data: dict[str, Any] | None = None,
        trailers: list[tuple[str, str]] | None = None,
        on_token: TokenCallback | None = None,
    ) -> TurnOutcome:
        """A scribe turn started by Charter on the user's request (e.g. `charter audit fix`).

        `text` is recorded as an event record of `kind` (not as the user's words, so it can never
        be quoted as explicit); `extra` tells the scribe what is asked; the commit of an accepted
        proposal carries `trailers` (e.g. `Charter-Finding: A-3f2c1a`).
        """
        with self._lock:
            started = time.perf_counter()
            self.factory.check("scribe")
            self._before_turn()
            session = self.session
            record = self.ledger.append(session, "event", text, kind=kind, data=data)
            return self._turn(session, record, extra, on_token, started, trailers)

    def _turn(
        self,
        session: str,
        record: Record,
        extra: str | None,
        on_token: TokenCallback | None,
        started: float,
        trailers: list[tuple[str, str]] | None = None,
    ) -> TurnOutcome:
        """Supersede a pending proposal, then run the graph on the recorded message."""
        superseded = None
        view, where = self._snapshot(session)
        if view is not None and where == "review":
            self._run(
                Command(resume={"action": "supersede", "by": record.id}), session, self._context()
            )
            superseded = view["id"]
        elif view is not None and where == "commit":  # an accept that never landed
            decision = {"action": "supersede", "by": record.id}
            self._graph.update_state(
                self._config(session), {"decision": decision}, as_node="review"
            )
            self._run(None, session, self._context())
            superseded = view["id"]
        self.payloads.prune(session)  # the previous turn is resolved: its payloads can go
        ctx = self._context(on_token)
        out = self._run(fresh_state(session, record.id, extra, trailers), session, ctx)
        raw = dict(out["outcome"])
        raw["proposal"] = self.payloads.get(raw.get("proposal"))
        if raw.get("text") is None and raw.get("reply_id"):  # a reply: its text is in the ledger
            reply = self.ledger.get(raw["reply_id"])
            raw["text"] = reply.text if reply is not None else None
        outcome = TurnOutcome.model_validate(raw)
        outcome.superseded = superseded
        outcome.model_ms = ctx.model_ms
        outcome.total_ms = (time.perf_counter() - started) * 1000
        return outcome

    # -- review ------------------------------------------------------------------------------

    def pending(self) -> PendingProposal | None:
        """The proposal waiting for review in the current session, if any."""
        with self._lock:
            view, where = self._snapshot(self.session)
            if view is None or where == "landed":
                return None
            return PendingProposal.model_validate(view)

    def _require_pending(self, session: str) -> tuple[dict[str, Any], str]:
        """The pending proposal or NothingPending."""
        view, where = self._snapshot(session)
        if view is None or where == "landed":
            raise NothingPending(f"Nothing is pending review in session {session}.")
        return view, where

    def accept(self, confirm: Sequence[int] = (), note: str | None = None) -> str:
        """Accept the pending proposal: ONE commit; returns its sha.

        `confirm` names inferred items (1-based indexes) the user vouches for: ONE ledger record
        (kind `confirm`: the user's `note` verbatim, or `confirmed items 2, 3 of p-0004`) is
        cited by each of them as `confirmed`, in the same commit.
        """
        return self.accept_reviewed(confirm=confirm, note=note).commit

    def accept_edited(self, edits: Mapping[int, str]) -> str:
        """Accept with the user's texts for some items (1-based index → text); returns the sha.

        An edited item becomes explicit, citing a ledger record (kind `edit`) holding the text.
        """
        return self.accept_reviewed(edits=edits).commit

    def accept_reviewed(
        self,
        edits: Mapping[int, str] | None = None,
        confirm: Sequence[int] = (),
        note: str | None = None,
    ) -> AcceptedProposal:
        """Accept with the user's edits and confirmations (see `accept`, `accept_edited`): ONE
        commit; returns it with the proposal as committed."""
        with self._lock:
            self.recover()
            session = self.session
            view, where = self._require_pending(session)
            ctx = self._context()
            if where == "commit":  # an accept was interrupted: finish it
                return self._accepted(self._run(None, session, ctx))
            state = self._graph.get_state(self._config(session)).values
            request = self._dry_run(ProposalView.model_validate(view), state, edits, confirm, note)
            decision = {
                "action": "accept",
                "edits": {str(i): text for i, text in request.edits.items()},
                "confirm": request.confirm,
                "note": request.note,
            }
            return self._accepted(self._run(Command(resume=decision), session, ctx))

    def _dry_run(
        self,
        view: ProposalView,
        state: dict[str, Any],
        edits: Mapping[int, str] | None,
        confirm: Sequence[int],
        note: str | None,
    ) -> AcceptRequest:
        """The accept check with placeholder records, before anything is recorded: the same
        `plan_accept` the commit node runs with the real ones."""
        request = accept_request(view, edits or {}, confirm, note)
        words = {placeholder(i): text for i, text in request.edits.items()}
        if request.confirm:
            words[placeholder()] = request.note or confirm_text(view.id, request.confirm)
        message = self.ledger.get(view.message_id)
        plan_accept(
            self.spec_dir,
            view=view,
            proposal=Proposal.model_validate(self.payloads.get(state["result"])["proposal"]),
            check=CheckResult.model_validate(self.payloads.get(state["check"])),
            trigger_text=locked_trigger(message) if message else "",
            edits={i: Edit(record=placeholder(i), text=t) for i, t in request.edits.items()},
            confirm=request.confirm,
            confirm_record=placeholder(),
            note=request.note,
            message_text=lambda m: words.get(m) or self.ledger.user_text(m),
            model=self.model_name,
        )
        return request

    def _accepted(self, out: dict[str, Any]) -> AcceptedProposal:
        """The commit and the proposal as committed, from the graph's final state."""
        check = CheckResult.model_validate(self.payloads.get(out["check"]))
        view = ProposalView.model_validate(self.payloads.get(out["view"]))
        committed = view.model_copy(
            update={
                "items": check.items,
                "diff": unified_diff(check, rel(self.root, self.spec_dir)),
                "findings": check.findings,
            }
        )
        return AcceptedProposal(commit=str(out["commit"]), proposal=committed)

    def reject(self, reason: str | None = None) -> None:
        """Reject the pending proposal; a reason is recorded verbatim for the next turn."""
        with self._lock:
            self.recover()
            session = self.session
            _, where = self._require_pending(session)
            decision = {"action": "reject", "reason": reason or None}
            if where == "commit":
                self._graph.update_state(
                    self._config(session), {"decision": decision}, as_node="review"
                )
                self._run(None, session, self._context())
            else:
                self._run(Command(resume=decision), session, self._context())

    # -- confirming --------------------------------------------------------------------------

    def confirm(self, req_id: str, note: str | None = None) -> str:
        """Promote an inferred requirement to confirmed: a ledger record and ONE commit."""
        with self._lock:
            if note is not None:
                one_line_or_fail(note, "note")
            self.recover()
            files = read_spec_dir(self.spec_dir)
            session = self.session
            text = note if note is not None else f"confirmed {req_id}"
            common = {"text": text, "note": note, "session": session}
            plan_confirm(
                files, req_id, record=placeholder(), message_text=self.ledger.user_text, **common
            )
            record = self._confirm_record(session, req_id, text)
            plan = plan_confirm(
                files, req_id, record=record.id, message_text=self.ledger.user_text, **common
            )
            return commit_plan(
                self.root, self.spec_dir, self.transcripts_dir, plan, self.commit_settings
            )

    def _confirm_record(self, session: str, req_id: str, text: str) -> Record:
        """The ledger record of a confirm: a new one, or the last record when it is the same
        confirm whose commit never landed (a killed `confirm` run again), so none is doubled."""
        records = self.ledger.records(session) if self.ledger.has_session(session) else []
        last = records[-1] if records else None
        if (
            last is not None
            and last.kind == "confirm"
            and (last.data or {}).get("requirement") == req_id
            and last.text == text
        ):
            return last
        return self.ledger.append(
            session, "user", text, kind="confirm", data={"requirement": req_id}
        )


__all__ = [
    "IntentError",
    "IntentSession",
    "MessageHeld",
    "NothingHeld",
    "NothingPending",
    "ProposalView",
]
