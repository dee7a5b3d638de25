"""The TUI's blocking access to one workspace: spec, history, ledger, model status and usage.

Every method here may block (files, git, SQLite, imports of heavy libraries) and is called from
the TUI's workers on one of three dedicated threads: `run_io` (spec and ledger: SQLite
connections never cross threads), `run_git` (git queries, so a slow log never delays the chat)
and `run_bg` (the model layer's and the builder's slow first imports). Results are converted
into `app.tui.views` records so the widgets never see another package's types (except the spec
model, which is the contract).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from charter.app.tui.serial import SerialThread
from charter.app.tui.views import CommitDetailView, CommitView, MessageView, SessionView
from charter.app.workspace import Workspace

if TYPE_CHECKING:
    from charter.specs import Finding, Spec
    from charter.transcripts import Ledger, Record

T = TypeVar("T")

SESSION_SUFFIX = ".jsonl"
TAIL_CHUNK = 64 * 1024


@dataclass(frozen=True)
class ModelStatus:
    """Whether the scribe can be used, and if not, exactly what is missing."""

    configured: bool
    name: str = ""
    endpoint: str = ""
    key_env: str = "OPENAI_API_KEY"
    missing: tuple[str, ...] = ()
    message: str = ""


@dataclass(frozen=True)
class RepoState:
    """Branch and HEAD of the workspace repository."""

    branch: str = ""
    head: str = ""


@dataclass(frozen=True)
class ChatSlice:
    """Records of a session read from a byte offset to the end of its file."""

    messages: list[MessageView]
    start: int
    end: int

    @property
    def complete(self) -> bool:
        """Whether the slice starts at the session's first record."""
        return self.start == 0


@dataclass
class SpecSnapshot:
    """The parsed working-tree spec and every finding on it."""

    spec: Spec
    findings: list[Finding] = field(default_factory=list)


def session_views(infos: list[Any], current: str) -> list[SessionView]:
    """`transcripts` SessionInfos as the switcher lists them, newest first."""
    return [
        SessionView(
            id=info.id,
            count=info.count,
            first=(info.first_ts or "")[:16].replace("T", " "),
            last=(info.last_ts or "")[:16].replace("T", " "),
            current=info.id == current,
        )
        for info in reversed(infos)
    ]


def message_view(record: Record) -> MessageView:
    """A ledger record as the chat shows it."""
    data = record.data or {}
    lines = [str(line) for line in data.get("lines") or ()]
    lines += [f"refused: {finding}" for finding in data.get("findings") or ()]
    return MessageView(
        id=record.id,
        role=record.role,
        kind=record.kind,
        text=record.text,
        proposal=record.proposal,
        commit=record.commit,
        lines=tuple(lines),
    )


class Backend:
    """Blocking operations on one workspace, plus the thread they run on."""

    def __init__(self, workspace: Workspace, env: Mapping[str, str] | None = None) -> None:
        """`env` replaces the process environment for model settings (tests pass it)."""
        self.workspace = workspace
        self.env: Mapping[str, str] = dict(os.environ) if env is None else dict(env)
        self.io = SerialThread("charter-io")
        self.git = SerialThread("charter-git")
        self.bg = SerialThread("charter-bg")
        self._ledger: Ledger | None = None
        self.ahead: dict[str, Future[Any]] = {}

    def read_ahead(self, window: int) -> None:
        """Start reading what the first frame shows (spec, chat tail, branch and HEAD)."""
        self.ahead = {
            "spec": self.io.submit(self.spec),
            "chat": self.io.submit(self.chat_start, window),
            "repo": self.git.submit(self.repo_state),
        }

    async def run_io(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a spec or ledger call on the I/O thread and await its result."""
        return await self.io.run(fn, *args)

    async def run_git(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a git query on the git thread and await its result."""
        return await self.git.run(fn, *args)

    async def run_bg(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a call that imports slow libraries (model layer, builder) on its own thread."""
        return await self.bg.run(fn, *args)

    def close(self) -> None:
        """Close the ledger's connection (on its thread) and stop the threads."""
        if self._ledger is not None:
            self.io.submit(self._ledger.close)
        for thread in (self.io, self.git, self.bg):
            thread.stop()

    # the ledger

    def ledger(self) -> Ledger:
        """The workspace's ledger (created on first use, on the I/O thread)."""
        if self._ledger is None:
            from charter.transcripts import Ledger

            ws = self.workspace
            self._ledger = Ledger(ws.transcripts_dir, ws.state_db, state_dir=ws.state_dir)
        return self._ledger

    def current_session(self) -> str:
        """The ledger's current session ID."""
        return self.ledger().current_session()

    def keep_message(self, text: str, reason: str, locked_out: bool) -> str:
        """Keep a message whose send was refused before the scribe (no model, still starting,
        read-only): in the ledger, not answered yet, or in the spool when another process holds
        the lock. Returns where it is, for the user (`graphs.intent` answers it when it is sent
        again)."""
        from charter.transcripts import hold, spool

        if locked_out:  # another process writes the ledger: no message ID can be handed out
            return str(spool(self.workspace.state_dir, text, reason))
        ledger = self.ledger()
        session = ledger.current_session()
        record = ledger.append(session, "user", text)
        hold(ledger, session, record, " ".join(reason.split()))
        return f"the ledger as {record.id}"

    def chat_start(self, at_least: int) -> tuple[str, ChatSlice]:
        """The current session and its last records (what the chat shows first)."""
        session = self.current_session()
        return session, self.session_tail(session, at_least)

    def session_file(self, session: str) -> Path:
        """The session's JSONL file (DESIGN §3: `transcripts/<session>.jsonl`)."""
        return self.workspace.transcripts_dir / f"{session}{SESSION_SUFFIX}"

    def session_tail(self, session: str, at_least: int) -> ChatSlice:
        """The last records of a session (at least `at_least` when it has them), read from the
        end of its file so a 100,000-message session opens as fast as a short one."""
        try:
            size = self.session_file(session).stat().st_size
        except FileNotFoundError:
            return ChatSlice([], 0, 0)
        return self.session_before(session, size, at_least)

    def session_before(self, session: str, end: int, at_least: int) -> ChatSlice:
        """The records that end at byte offset `end` of a session file (at least `at_least` when
        there are that many before it), read backwards in growing chunks: "load earlier" pages
        through a long session without ever reading all of it."""
        from charter.transcripts import read_session

        path = self.session_file(session)
        chunk = TAIL_CHUNK
        while True:
            start = self._line_start(path, max(0, end - chunk))
            read = read_session(path, start, end=end)
            if start == 0 or len(read.records) > at_least:
                return ChatSlice([message_view(r) for r in read.records], start, read.end_offset)
            chunk *= 4

    @staticmethod
    def _line_start(path: Path, offset: int) -> int:
        """The first line boundary at or after `offset` (0 stays 0)."""
        if offset == 0:
            return 0
        with path.open("rb") as fh:
            fh.seek(offset - 1)
            while block := fh.read(TAIL_CHUNK):
                newline = block.find(b"\n")
                if newline >= 0:
                    return offset + newline
                offset += len(block)
        return offset

    def session_since(self, session: str, offset: int) -> ChatSlice:
        """The records written to a session file from `offset` on (what a turn added)."""
        from charter.transcripts import read_session

        read = read_session(self.session_file(session), offset)
        return ChatSlice([message_view(r) for r in read.records], offset, read.end_offset)

    def answered_questions(self) -> set[str]:
        """IDs of the builder questions that have an answer in the ledger."""
        return self.ledger().answered_questions()

    def new_session(self) -> str:
        """Start a new ledger session and make it current."""
        return self.ledger().new_session()

    def sessions(self) -> list[SessionView]:
        """Every session of the ledger, newest first, the current one marked."""
        return session_views(self.ledger().sessions(), self.current_session())

    def switch_session(self, session: str) -> None:
        """Make an existing session current."""
        self.ledger().switch_session(session)

    def messages(self, ids: list[str]) -> list[MessageView]:
        """The records with these IDs, in the given order (unknown IDs are skipped)."""
        ledger = self.ledger()
        found = [ledger.get(msg_id) for msg_id in ids]
        return [message_view(r) for r in found if r is not None]

    # the spec

    def spec(self) -> SpecSnapshot:
        """Parse the working-tree spec (findings are the parser's only; see `findings`)."""
        from charter.specs import load_spec_dir

        spec, parse_findings = load_spec_dir(self.workspace.spec_dir)
        return SpecSnapshot(spec, parse_findings)

    def verdicts(self) -> dict[str, str]:
        """Each requirement's verdict in the latest build of HEAD, by ID (requirements missing
        are not built; empty without a commit). Only the build records are read: the spec is
        the one the tree already shows."""
        from charter.app.services.verdicts import commit_verdicts

        return commit_verdicts(self.workspace.builds_dir, self.git_head())

    def findings(self, snapshot: SpecSnapshot) -> list[Finding]:
        """Validate a parsed spec, quotes checked verbatim against the ledger."""
        from charter.specs import merge_findings, validate

        return merge_findings(
            snapshot.findings, validate(snapshot.spec, message_text=self.ledger().user_text)
        )

    def fingerprint(
        self, session: str | None
    ) -> tuple[str, tuple[object, ...], tuple[object, ...]]:
        """(HEAD, spec files' sizes and mtimes, the session file's size and mtime): what a
        poll compares to notice commits, hand edits and another process's ledger lines."""
        from charter.specs import spec_paths

        spec: list[tuple[str, int, int]] = []
        for path in spec_paths(self.workspace.spec_dir):
            with contextlib.suppress(OSError):
                st = path.stat()
                spec.append((path.name, st.st_size, st.st_mtime_ns))
        ledger: tuple[object, ...] = ()
        if session:
            with contextlib.suppress(OSError):
                st = self.session_file(session).stat()
                ledger = (st.st_size, st.st_mtime_ns)
        return self.git_head(), tuple(spec), ledger

    # git

    def git_head(self) -> str:
        """The full SHA of HEAD ("" before the first commit)."""
        from charter.specs import head_commit

        return head_commit(self.workspace.root)

    def repo_state(self) -> RepoState:
        """Current branch (empty when detached) and short HEAD (empty before the first commit)."""
        from charter.specs import current_branch, head_commit

        root = self.workspace.root
        return RepoState(branch=current_branch(root), head=head_commit(root, short=True))

    def commits(self, limit: int = 500) -> list[CommitView]:
        """Spec commits, newest first."""
        from charter.specs import spec_log

        ws = self.workspace
        return [commit_view(c) for c in spec_log(ws.root, ws.spec_dir, limit=limit)]

    def requirement_commits(self, req_id: str) -> list[CommitView]:
        """The commits that touched one requirement, newest first."""
        from charter.specs import requirement_history

        ws = self.workspace
        history = requirement_history(ws.root, ws.spec_dir, req_id, index_db=ws.state_db)
        return [commit_view(c) for c in history]

    def commit_detail(self, sha: str) -> CommitDetailView:
        """A commit's full message and diff."""
        from charter.specs import show_commit

        detail = show_commit(self.workspace.root, sha, self.workspace.spec_dir)
        return CommitDetailView(
            sha=detail.sha, short=detail.short, message=detail.message, diff=detail.diff
        )

    # the model

    def model_factory(self) -> Any:
        """The agents' ModelFactory for this workspace (imports the model libraries)."""
        from charter.app.workspace import model_factory

        return model_factory(self.workspace, env=self.env)

    def model_status(self) -> ModelStatus:
        """Resolve the scribe's model and say what is missing, without calling it."""
        from charter.agents import ModelConfigError

        factory = self.model_factory()
        try:
            resolved = factory.resolve("scribe")
        except ModelConfigError as exc:
            key_env = self.workspace.config.model.api_key_env
            missing = ["CHARTER_MODEL or [model] name"]
            if not (self.env.get(key_env) or "").strip():
                missing.append(f"{key_env} (or OPENAI_BASE_URL for a local server)")
            return ModelStatus(
                configured=False, key_env=key_env, missing=tuple(missing), message=exc.user_message
            )
        if not resolved.has_key and resolved.base_url is None:
            return ModelStatus(
                configured=False,
                name=resolved.name,
                endpoint=resolved.endpoint,
                key_env=resolved.api_key_env,
                missing=(resolved.api_key_env,),
                message=f"{resolved.api_key_env} is not set.",
            )
        return ModelStatus(
            configured=True,
            name=resolved.name,
            endpoint=resolved.endpoint,
            key_env=resolved.api_key_env,
        )

    def usage_line(self, since: str) -> str:
        """`1,234 tokens · $0.0012` for the model calls since `since` (ISO time); "" if none."""
        from charter.agents import summarise_usage

        summary = summarise_usage(self.workspace.state_db, since=since)
        if not summary.calls:
            return ""
        line = f"{summary.total_tokens:,} tokens"
        if summary.cost is not None:
            line += f" · ${summary.cost:.4f}"
        return line


def commit_view(commit: Any) -> CommitView:
    """A `specs` CommitInfo as the history list shows it."""
    return CommitView(
        sha=commit.sha,
        short=commit.short,
        subject=commit.subject,
        author=commit.author,
        date=str(commit.date),
        intents=tuple(intent.id for intent in commit.intents),
    )
