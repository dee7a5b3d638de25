"""The intent session's plumbing: the ledger, the checkpointed graph, recovery after a kill,
hand edits and ledger sessions. `IntentSession` (session.py) adds the turns and review acts.

Every method blocks (the TUI runs them in thread workers) and holds one lock, so one writer at a
time goes through a session. The graph's checkpoints live in `checkpoints.db` with the session
ID as thread ID, so a proposal awaiting review survives a crash or a quit.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any, Self

from langgraph.checkpoint.sqlite import SqliteSaver

from charter.agents import ModelFactory, TokenCallback
from charter.graphs.intent.commit import CommitSettings
from charter.graphs.intent.graph import build_graph
from charter.graphs.intent.handedits import (
    HandEdits,
    HandEditsPending,
    SetAside,
    commit_hand_edits,
    find_hand_edits,
    restore,
    set_aside,
)
from charter.graphs.intent.payloads import Payloads
from charter.graphs.intent.state import TurnContext, committed_sha
from charter.specs import journal_file, replay_journal
from charter.transcripts import Ledger, Record, drain_spool, unanswered


class SessionRunner:
    """Opens the ledger and the checkpointed graph of one workspace, and recovers them."""

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
            journal=journal_file(self.state_dir), run_hooks=run_hooks
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
        self.payloads = Payloads(Path(checkpoints_db))
        self._graph = build_graph().compile(checkpointer=self._saver)
        self._lock = threading.RLock()

    # -- plumbing ----------------------------------------------------------------------------

    def close(self) -> None:
        """Release the checkpoint database and the ledger index."""
        with self._lock:
            self.ledger.close()
            self.payloads.close()
            self._conn.close()

    def __enter__(self) -> Self:
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
            payloads=self.payloads,
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
                return self.payloads.get(value["proposal"]), "review"
        if snap.next == ("commit",):
            view = self.payloads.get(snap.values.get("view"))
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
            drain_spool(self.ledger, self.state_dir, session)  # words typed while we were locked
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

    # -- messages kept before a refusal -------------------------------------------------------

    def held_message(self) -> Record | None:
        """The user's newest message in the current session kept but not answered yet."""
        with self._lock:
            return unanswered(self.records())

    def _keep(
        self, session: str, text: str, question: str | None = None, build: str | None = None
    ) -> Record:
        """Write the user's message to the ledger (the first thing done with it), or reuse the
        same message kept unanswered by a refusal just before."""
        drain_spool(self.ledger, self.state_dir, session)
        held = unanswered(self.ledger.recent(session))  # a retype comes soon after its refusal
        kind = "answer" if question else "message"
        if held is not None and (held.text, held.kind, held.question) == (text, kind, question):
            return held
        return self.ledger.append(session, "user", text, kind=kind, question=question, build=build)

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
