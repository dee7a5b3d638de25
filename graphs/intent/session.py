"""The session runner: the API the CLI and the TUI drive (say, pending, accept, reject, confirm).

Every method blocks (the TUI runs them in thread workers) and holds one lock, so one writer at a
time goes through an `IntentSession`. The user's words are appended to the ledger (fsynced)
before anything else happens with them. The graph's checkpoints live in `checkpoints.db` with
the session ID as thread ID, so a proposal awaiting review survives a crash or a quit: a new
`IntentSession` finds it with `pending()` and can accept it.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.types import Command

from charter.agents import ModelFactory, Proposal, TokenCallback, render_prompt
from charter.graphs.intent.check import (
    CheckResult,
    Edit,
    changed_since,
    check_proposal,
    load_spec,
    parse_spec_text,
    read_spec_dir,
)
from charter.graphs.intent.commit import (
    JOURNAL_NAME,
    CommitSettings,
    commit_check,
    confirm_items,
    confirm_text,
    rel,
)
from charter.graphs.intent.graph import (
    IntentError,
    TurnContext,
    build_graph,
    committed_sha,
    fresh_state,
    locked_trigger,
    stale_message,
)
from charter.graphs.intent.handedits import (
    HandEdits,
    HandEditsPending,
    SetAside,
    commit_hand_edits,
    find_hand_edits,
    restore,
    set_aside,
)
from charter.graphs.intent.view import (
    AcceptedProposal,
    PendingProposal,
    ProposalView,
    TurnOutcome,
    unified_diff,
)
from charter.specs import (
    EDITABLE_OPS,
    Change,
    ChangeKind,
    CommitMessage,
    Intent,
    Provenance,
    ProvenanceKind,
    Severity,
    render_file,
    replay_journal,
    validate,
)
from charter.transcripts import Ledger, Record

_PLACEHOLDER_BASE = 90_000_000  # message numbers no real ledger reaches, for dry-run edits


class NothingPending(IntentError):
    """There is no proposal waiting for review in the current session."""


def _one_line_or_fail(text: str, what: str) -> str:
    """Refuse text that cannot be quoted on a provenance line (empty or multi-line)."""
    if not text.strip():
        raise ValueError(f"the {what} is empty")
    if "\n" in text or "\r" in text:
        raise ValueError(f"the {what} must be one line (it is quoted on the provenance line)")
    return text


class IntentSession:
    """Runs intent turns and review acts for one workspace (the current ledger session)."""

    def __init__(
        self,
        workspace_root: Path,
        spec_dir: Path,
        transcripts_dir: Path,
        state_dir: Path,
        checkpoints_db: Path,
        factory: ModelFactory,
        model_name: str,
        *,
        index_db: Path | None = None,
        builds_dir: Path | None = None,
        run_hooks: bool = True,
    ) -> None:
        """Open the ledger and the checkpointer; nothing is sent to a model yet."""
        self.root = Path(workspace_root)
        self.spec_dir = Path(spec_dir)
        self.transcripts_dir = Path(transcripts_dir)
        self.state_dir = Path(state_dir)
        self.builds_dir = builds_dir or self.state_dir / "builds"
        self.commit_settings = CommitSettings(
            journal=self.state_dir / JOURNAL_NAME, run_hooks=run_hooks
        )
        self.factory = factory
        self.model_name = model_name
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.ledger = Ledger(
            self.transcripts_dir,
            index_db if index_db is not None else self.state_dir / "state.db",
            state_dir=self.state_dir,
        )
        self._conn = sqlite3.connect(str(checkpoints_db), check_same_thread=False)
        # WAL (set by the saver) with NORMAL sync survives a killed process; the ledger, not the
        # checkpoint, is the fsynced record of what was said and proposed.
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._saver = SqliteSaver(self._conn)
        self._graph = build_graph().compile(checkpointer=self._saver)
        self._lock = threading.RLock()

    # -- plumbing ----------------------------------------------------------------------------

    def close(self) -> None:
        """Release the checkpoint database and the ledger index."""
        with self._lock:
            self.ledger.close()
            self._conn.close()

    def __enter__(self) -> IntentSession:
        """Use as a context manager."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close on leaving the block."""
        self.close()

    @property
    def session(self) -> str:
        """The current ledger session (also the graph's thread ID)."""
        return self.ledger.current_session()

    def _config(self, session: str) -> dict[str, Any]:
        """The graph config for a session's thread."""
        return {"configurable": {"thread_id": session}}

    def _context(self, on_token: TokenCallback | None = None) -> TurnContext:
        """The nodes' run context."""
        return TurnContext(
            root=self.root,
            spec_dir=self.spec_dir,
            transcripts_dir=self.transcripts_dir,
            ledger=self.ledger,
            factory=self.factory,
            model_name=self.model_name,
            commit=self.commit_settings,
            on_token=on_token,
        )

    def _run(self, value: Any, session: str, ctx: TurnContext) -> dict[str, Any]:
        """Invoke the graph durably (each step checkpointed before the next)."""
        return self._graph.invoke(value, self._config(session), context=ctx, durability="sync")

    def _snapshot(self, session: str) -> tuple[dict[str, Any] | None, str]:
        """The pending proposal's view dict and its state: `review`, `commit` or `none`."""
        snap = self._graph.get_state(self._config(session))
        for intr in snap.interrupts:
            value = intr.value
            if isinstance(value, dict) and "proposal" in value:
                return value["proposal"], "review"
        if snap.next == ("commit",):
            view = snap.values.get("view")
            if view and committed_sha(self.root, self.spec_dir, view["id"]) is not None:
                return view, "landed"  # committed; the graph has not recorded it yet
            return view, "commit"
        return None, "none"

    def recover(self) -> str | None:
        """Finish what a killed process left: replay the commit journal, then let the graph
        record an accept whose commit landed. Returns a sentence when something was done.

        Every writing act calls this first; the caller holds the workspace lock."""
        with self._lock:
            note = replay_journal(self.root, self.commit_settings.journal)  # type: ignore[arg-type]
            session = self.session
            _, where = self._snapshot(session)
            if where == "landed":
                self._run(None, session, self._context())
            return note

    # -- hand edits --------------------------------------------------------------------------

    def hand_edits(self) -> HandEdits:
        """The spec's uncommitted hand edits (empty when the work tree matches HEAD)."""
        return find_hand_edits(self.root, self.spec_dir)

    def commit_hand_edits(self) -> str:
        """Commit the hand edits as their own change (no words quoted); return the sha."""
        with self._lock:
            self.recover()
            return commit_hand_edits(self.root, self.spec_dir, self.commit_settings, self.session)

    def set_aside_hand_edits(self) -> SetAside:
        """Save the hand edits under `.charter/set-aside/` and put the committed spec back."""
        with self._lock:
            self.recover()
            return set_aside(self.root, self.spec_dir, self.state_dir)

    def restore_hand_edits(self, which: str | None = None) -> SetAside:
        """Put set-aside hand edits back (the newest by default)."""
        with self._lock:
            self.recover()
            return restore(self.root, self.spec_dir, self.state_dir, which)

    def _before_turn(self) -> None:
        """Recover, then refuse a turn while the spec has uncommitted hand edits."""
        self.recover()
        edits = self.hand_edits()
        if edits:
            raise HandEditsPending(edits)

    # -- turns -------------------------------------------------------------------------------

    def say(self, text: str, on_token: TokenCallback | None = None) -> TurnOutcome:
        """Run one turn on a user message; a pending proposal is superseded by it."""
        if not text.strip():
            raise ValueError("the message is empty")
        with self._lock:
            started = time.perf_counter()
            self.factory.chat("scribe")  # a missing model setting fails before anything is kept
            self._before_turn()
            session = self.session
            record = self.ledger.append(session, "user", text)
            return self._turn(session, record, None, on_token, started)

    def answer(self, qid: str, text: str, on_token: TokenCallback | None = None) -> TurnOutcome:
        """Answer a builder question: recorded verbatim, then a scribe turn on it."""
        from charter.graphs.build import find_question

        if not text.strip():
            raise ValueError("the answer is empty")
        with self._lock:
            started = time.perf_counter()
            question = find_question(self.builds_dir, qid)
            if question is None:
                raise IntentError(f"No builder question {qid}: see the build's questions.md.")
            self.factory.chat("scribe")
            self._before_turn()
            session = self.session
            record = self.ledger.append(
                session, "user", text, kind="answer", question=qid, build=question.build
            )
            about = ", ".join(question.requirements) or "no particular requirement"
            extra = render_prompt(
                "scribe_answer",
                qid=qid,
                about=about,
                question=question.text.strip(),
                answer_id=record.id,
            )
            return self._turn(session, record, extra, on_token, started)

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
            self.factory.chat("scribe")
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
        ctx = self._context(on_token)
        out = self._run(fresh_state(session, record.id, extra, trailers), session, ctx)
        outcome = TurnOutcome.model_validate(out["outcome"])
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
            pid = view["id"]
            stale = changed_since(self.spec_dir, state["check"]["base"])
            if stale:
                raise IntentError(stale_message(pid, stale))
            changed = self._dry_run_edits(view, state, edits or {})
            confirmed = self._dry_run_confirm(view, state, confirm, note, changed)
            decision = {"action": "accept", "edits": changed, "confirm": confirmed, "note": note}
            return self._accepted(self._run(Command(resume=decision), session, ctx))

    def _accepted(self, out: dict[str, Any]) -> AcceptedProposal:
        """The commit and the proposal as committed, from the graph's final state."""
        check = CheckResult.model_validate(out["check"])
        view = ProposalView.model_validate(out["view"])
        committed = view.model_copy(
            update={
                "items": check.items,
                "diff": unified_diff(check, rel(self.root, self.spec_dir)),
                "findings": check.findings,
            }
        )
        return AcceptedProposal(commit=str(out["commit"]), proposal=committed)

    def _dry_run_confirm(
        self,
        view: dict[str, Any],
        state: dict[str, Any],
        confirm: Sequence[int],
        note: str | None,
        edits: Mapping[str, str],
    ) -> list[int]:
        """Check confirmations before anything is recorded; return the sorted item indexes."""
        indexes = sorted({int(i) for i in confirm})
        if not indexes:
            return []
        if note is not None:
            _one_line_or_fail(note, "note")
        edited = [i for i in indexes if str(i) in edits]
        if edited:
            raise ValueError(f"item {edited[0]} is edited: your text is explicit already")
        placeholder = f"m-{_PLACEHOLDER_BASE}"
        check = CheckResult.model_validate(state["check"])
        try:
            dry = confirm_items(check, indexes, placeholder, note)
        except ValueError as exc:
            raise IntentError(f"Cannot confirm: {exc} ({view['id']})") from None
        files = read_spec_dir(self.spec_dir)
        files.update({path: text.encode("utf-8") for path, text in dry.files.items()})
        text = note or confirm_text(view["id"], indexes)

        def lookup(msg_id: str) -> str | None:
            """Ledger text, or the not-yet-recorded confirmation under its placeholder ID."""
            return text if msg_id == placeholder else self.ledger.user_text(msg_id)

        ids = {item.req_id for item in dry.items if item.index in indexes}
        errors = [
            f
            for f in validate(load_spec(files), message_text=lookup)
            if f.severity is Severity.ERROR and f.req_id in ids
        ]
        if errors:
            raise IntentError("; ".join(f"{f.location()} {f.message}" for f in errors))
        return indexes

    def _dry_run_edits(
        self, view: dict[str, Any], state: dict[str, Any], edits: Mapping[int, str]
    ) -> dict[str, str]:
        """Check edits before anything is recorded; return the real ones (index → text)."""
        items = {item["index"]: item for item in view["items"]}
        changed: dict[str, str] = {}
        for index, text in edits.items():
            item = items.get(int(index))
            if item is None:
                raise ValueError(f"{view['id']} has no item {index}")
            if item["op"] not in EDITABLE_OPS:
                raise ValueError(f"item {index} ({item['op']}) has no requirement text to edit")
            _one_line_or_fail(text, f"edited text of item {index}")
            if text != item.get("text"):
                changed[str(int(index))] = text
        if not changed:
            return changed
        placeholders = {f"m-{_PLACEHOLDER_BASE + int(i)}": text for i, text in changed.items()}
        dry = {
            int(i): Edit(record=f"m-{_PLACEHOLDER_BASE + int(i)}", text=text)
            for i, text in changed.items()
        }
        message = self.ledger.get(view["message_id"])
        check = check_proposal(
            self.spec_dir,
            Proposal.model_validate(state["result"]["proposal"]),
            trigger_id=view["message_id"],
            trigger_text=locked_trigger(message) if message else "",
            message_text=lambda m: placeholders.get(m) or self.ledger.user_text(m),
            edits=dry,
        )
        if check.refused:
            problems = "; ".join(f.message for f in check.findings if f.severity == "ERROR")
            raise IntentError(f"Your edits would make the spec invalid: {problems}")
        return changed

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
                _one_line_or_fail(note, "note")
            self.recover()
            files = read_spec_dir(self.spec_dir)
            spec = load_spec(files)
            found = spec.find(req_id)
            if found is None:
                raise IntentError(f"No requirement {req_id} in the spec.")
            f, _, req = found
            if req.provenance is None or req.provenance.kind is not ProvenanceKind.INFERRED:
                kind = req.provenance.kind.value if req.provenance else "without provenance"
                raise IntentError(f"{req_id} is {kind}, not inferred: nothing to confirm.")
            session = self.session
            text = note if note is not None else f"confirmed {req_id}"
            placeholder = f"m-{_PLACEHOLDER_BASE}"
            new_text = self._confirmed_file(f, req_id, placeholder, note)
            self._validate_file(spec, f.path, req_id, new_text, {placeholder: text})
            record = self._confirm_record(session, req_id, text)
            new_text = self._confirmed_file(f, req_id, record.id, note)
            check = CheckResult(
                files={f.path: new_text},
                old_files={f.path: files[f.path].decode("utf-8")},
            )
            message = CommitMessage(
                subject=f"confirm {req_id}",
                intents=[Intent(id=record.id, text=text)],
                changes=[
                    Change(
                        kind=ChangeKind.CONFIRMED,
                        req_id=req_id,
                        provenance="confirmed",
                        text=req.text,
                    )
                ],
                session=session,
            )
            return commit_check(
                self.root, self.spec_dir, self.transcripts_dir, check, message, self.commit_settings
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

    def _confirmed_file(self, f: Any, req_id: str, msg_id: str, note: str | None) -> str:
        """The file's text with `req_id`'s provenance set to confirmed (citing `msg_id`)."""
        copy = f.model_copy(deep=True)
        for section in copy.sections:
            for r in section.requirements:
                if r.id == req_id:
                    r.provenance = Provenance(
                        kind=ProvenanceKind.CONFIRMED, messages=[msg_id], quote=note
                    )
        return render_file(copy)

    def _validate_file(
        self, spec: Any, path: str, req_id: str, text: str, extra_messages: dict[str, str]
    ) -> None:
        """Refuse a confirm whose result would not validate."""
        parsed, findings = parse_spec_text(path, text)
        files = [parsed if x.path == path else x for x in spec.files]

        def lookup(msg_id: str) -> str | None:
            """Ledger text, or the not-yet-recorded note under its placeholder ID."""
            return extra_messages.get(msg_id) or self.ledger.user_text(msg_id)

        findings += [
            x for x in validate(type(spec)(files=files), message_text=lookup) if x.file == path
        ]
        errors = [x for x in findings if x.severity is Severity.ERROR and x.req_id == req_id]
        if errors:
            raise IntentError("; ".join(f"{x.location()} {x.message}" for x in errors))

    # -- sessions ----------------------------------------------------------------------------

    def new_session(self) -> str:
        """Start a new ledger session and make it current."""
        with self._lock:
            return self.ledger.new_session()

    def switch_session(self, session: str) -> None:
        """Make an existing session current."""
        with self._lock:
            self.ledger.switch_session(session)

    def sessions(self) -> list[Any]:
        """Every session (SessionInfo), oldest first."""
        with self._lock:
            return self.ledger.sessions()

    def records(self, session: str | None = None) -> list[Record]:
        """A session's ledger records (default: the current one)."""
        with self._lock:
            target = session or self.session
            return self.ledger.records(target) if self.ledger.has_session(target) else []


__all__ = ["IntentError", "IntentSession", "NothingPending", "ProposalView"]
