"""The verbatim transcript ledger: append-only JSONL per session, the source of truth (DESIGN §5).

`Ledger.append` writes one line, flushes and fsyncs it before returning, and only then updates the
optional SQLite index; an index failure is logged and never loses the record. Message IDs
(`m-0001`, ...) are unique and increasing across all sessions of the directory. Across processes
the app's workspace lock guarantees one writer; within a process every Ledger on the same
directory shares one lock and one counter.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from charter.transcripts.index import LedgerIndex
from charter.transcripts.jsonl import append_line, last_number, read_session
from charter.transcripts.model import (
    LINKS,
    MESSAGE_ID_RE,
    ROLES,
    Hit,
    LedgerError,
    LedgerProblem,
    Record,
    ReindexStats,
    SessionInfo,
    SessionRead,
    check_text,
    message_id,
    now_ts,
)
from charter.transcripts.repair import damage_of
from charter.transcripts.sessions import (
    CurrentSession,
    check_session_id,
    list_sessions,
    next_session_id,
    session_path,
)

log = logging.getLogger(__name__)


@dataclass
class _Writer:
    """Per-directory writer state shared by every Ledger of this process."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    last: int | None = None  # highest message number written or found; None until scanned


_WRITERS: dict[Path, _Writer] = {}
_WRITERS_LOCK = threading.Lock()


def _writer_for(directory: Path) -> _Writer:
    """The shared writer state of a transcripts directory."""
    key = directory.resolve()
    with _WRITERS_LOCK:
        return _WRITERS.setdefault(key, _Writer())


class Ledger:
    """Append and read the verbatim records of a workspace's sessions."""

    def __init__(
        self,
        transcripts_dir: Path,
        index_db: Path | None = None,
        state_dir: Path | None = None,
    ) -> None:
        """Use `transcripts_dir` for the JSONL files, `index_db` for the index (optional), and
        `state_dir` to remember the current session across processes (optional)."""
        self.transcripts_dir = Path(transcripts_dir)
        self.index = LedgerIndex(Path(index_db), self.transcripts_dir) if index_db else None
        self._current = CurrentSession(Path(state_dir) if state_dir is not None else None)
        self._writer = _writer_for(self.transcripts_dir)

    # writing

    def append(
        self,
        session: str,
        role: str,
        text: str,
        *,
        kind: str = "message",
        reply_to: str | None = None,
        proposal: str | None = None,
        commit: str | None = None,
        build: str | None = None,
        question: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> Record:
        """Write one record durably (fsynced before returning), then index it."""
        check_session_id(session)
        if role not in ROLES:
            raise LedgerError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        check_text(text)
        check_text(kind, "kind")
        links = {
            "reply_to": reply_to,
            "proposal": proposal,
            "commit": commit,
            "build": build,
            "question": question,
        }
        for name, value in links.items():
            if value is not None:
                check_text(value, name)
        if data is not None and not isinstance(data, dict):
            raise LedgerError(f"data must be a dict, not {type(data).__name__}")
        with self._writer.lock:
            number = self._next_number()
            try:
                record = Record(
                    id=message_id(number),
                    session=session,
                    ts=now_ts(),
                    role=role,  # type: ignore[arg-type]  # checked against ROLES above
                    kind=kind,
                    text=text,
                    data=data,
                    **links,
                )
            except ValidationError as exc:
                first = exc.errors()[0]
                raise LedgerError(f"{'.'.join(map(str, first['loc']))}: {first['msg']}") from None
            path = session_path(self.transcripts_dir, session)
            try:
                appended = append_line(path, record.to_line())
            except OSError as exc:
                # Nothing may go on with a message that is not on disk: refuse it in one line.
                raise LedgerError(f"cannot write {path}: {exc.strerror or exc}") from exc
            self._writer.last = number
            if self.index is not None:
                try:
                    self.index.add(record, appended)
                except (sqlite3.Error, OSError, ValueError) as exc:
                    # The JSONL line is durable; the index catches up on its next check.
                    log.warning("ledger index not updated for %s: %s", record.id, exc)
        return record

    def _next_number(self) -> int:
        """The next message number; scans each file's last record once per process."""
        if self._writer.last is None:
            numbers = (
                last_number(session_path(self.transcripts_dir, s))
                for s in list_sessions(self.transcripts_dir)
            )
            self._writer.last = max((n for n in numbers if n is not None), default=0)
        return self._writer.last + 1

    # reading (the files are the truth)

    def read(self, session: str) -> SessionRead:
        """All records and problems of one session; LedgerError if the session is unknown."""
        check_session_id(session)
        if not self.has_session(session):
            raise LedgerError(f"unknown session {session}")
        return read_session(session_path(self.transcripts_dir, session))

    def records(self, session: str) -> list[Record]:
        """The records of one session, in the order they were written."""
        return self.read(session).records

    def recent(self, session: str, max_bytes: int = 256 * 1024) -> list[Record]:
        """The session's records that begin within its file's last `max_bytes`: a cheap look at
        what was just said."""
        check_session_id(session)
        path = session_path(self.transcripts_dir, session)
        if not path.is_file():
            return []  # none yet (or not a file: the append that follows says so)
        start = max(0, path.stat().st_size - max_bytes)
        # Reading from the middle of a line leaves a torn first line: a problem, skipped here.
        return read_session(path, offset=start).records

    def get(self, msg_id: str) -> Record | None:
        """The record with this ID, from the index when there is one, else from the files."""
        if not isinstance(msg_id, str) or MESSAGE_ID_RE.match(msg_id) is None:
            return None
        if self.index is not None:
            try:
                return self.index.get(msg_id)
            except (sqlite3.Error, OSError) as exc:
                log.warning("ledger index unusable, reading the files: %s", exc)
        for session in reversed(list_sessions(self.transcripts_dir)):
            for record in read_session(session_path(self.transcripts_dir, session)).records:
                if record.id == msg_id:
                    return record
        return None

    def linked(self, field: str) -> set[str]:
        """Every distinct value of a link field (`proposal`, `commit`, ...) in any session: from
        the index when there is one, else from the files."""
        if field not in LINKS:
            raise ValueError(f"{field!r} is not a link field ({', '.join(LINKS)})")
        if self.index is not None:
            try:
                return self.index.linked(field)
            except (sqlite3.Error, OSError) as exc:
                log.warning("ledger index unusable, reading the files: %s", exc)
        found: set[str] = set()
        for session in list_sessions(self.transcripts_dir):
            for record in read_session(session_path(self.transcripts_dir, session)).records:
                value = getattr(record, field)
                if value is not None:
                    found.add(value)
        return found

    def answered_questions(self) -> set[str]:
        """IDs of the builder questions the user has answered (only answers carry the link)."""
        return self.linked("question")

    def user_text(self, msg_id: str) -> str | None:
        """The verbatim text of a user message (None for other roles or unknown IDs)."""
        record = self.get(msg_id)
        return record.text if record is not None and record.role == "user" else None

    def sessions(self) -> list[SessionInfo]:
        """Every session with a file (plus a fresh current one), oldest first."""
        infos: list[SessionInfo] | None = None
        if self.index is not None:
            try:
                infos = self.index.sessions()
            except (sqlite3.Error, OSError) as exc:
                log.warning("ledger index unusable, reading the files: %s", exc)
        if infos is None:
            infos = []
            for session in list_sessions(self.transcripts_dir):
                recs = read_session(session_path(self.transcripts_dir, session)).records
                infos.append(
                    SessionInfo(
                        id=session,
                        count=len(recs),
                        first_ts=recs[0].ts if recs else None,
                        last_ts=recs[-1].ts if recs else None,
                    )
                )
        current = self._current.load()
        if current is not None and all(info.id != current for info in infos):
            infos.append(SessionInfo(id=current, count=0))
        return infos

    def problems(self) -> list[LedgerProblem]:
        """Unreadable lines in every session file, and message IDs used more than once."""
        problems: list[LedgerProblem] = []
        seen: dict[str, str] = {}
        for session in list_sessions(self.transcripts_dir):
            path = session_path(self.transcripts_dir, session)
            read = read_session(path)
            problems.extend(read.problems)
            for record in read.records:
                if record.id in seen:
                    problems.append(
                        LedgerProblem(
                            file=str(path),
                            line=0,
                            message=f"{record.id} is also used in {seen[record.id]}",
                        )
                    )
                seen.setdefault(record.id, session)
        return problems

    # sessions

    def has_session(self, session: str) -> bool:
        """Whether a session exists: it has a file, or it is the (fresh) current session."""
        try:
            path = session_path(self.transcripts_dir, session)
        except LedgerError:
            return False
        return path.is_file() or self._current.load() == session

    def current_session(self) -> str:
        """The current session: the remembered one, else the newest, else a new one."""
        current = self._current.load()
        if current is not None:
            return current
        existing = list_sessions(self.transcripts_dir)
        if not existing:
            return self.new_session()
        self._current.store(existing[-1])
        return existing[-1]

    def new_session(self) -> str:
        """Start a new session (today's next `s-YYYYMMDD-NN`) and make it current."""
        existing = list_sessions(self.transcripts_dir)
        current = self._current.load()
        session = next_session_id([*existing, *([current] if current else [])])
        self._current.store(session)
        return session

    def switch_session(self, session: str) -> None:
        """Make an existing session current; LedgerError if there is no such session."""
        check_session_id(session)
        if not self.has_session(session):
            raise LedgerError(f"unknown session {session}")
        self._current.store(session)

    # the index

    def _require_index(self) -> LedgerIndex:
        """The index, or LedgerError when this ledger was opened without one."""
        if self.index is None:
            raise LedgerError("this ledger has no index database; search needs one")
        return self.index

    def search(self, query: str, limit: int = 50, role: str | None = None) -> list[Hit]:
        """Full-text search over all sessions, newest first; any input is taken literally."""
        if role is not None and role not in ROLES:
            raise LedgerError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        if limit < 1:
            raise LedgerError(f"limit must be at least 1, not {limit}")
        try:
            return self._require_index().search(query, limit=limit, role=role)
        except sqlite3.Error as exc:
            raise LedgerError(
                f"cannot search the index {self.index.db_path if self.index else ''}: {exc}; "
                "`charter reindex` rebuilds it"
            ) from exc

    def reindex(self) -> ReindexStats:
        """Rebuild the index from the JSONL files."""
        index = self._require_index()
        try:
            return index.reindex()
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot rebuild the index {index.db_path}: {exc}") from exc

    def index_damage(self) -> str | None:
        """Why the index file is unusable (a cheap check of its header), or None; `reindex()`
        moves a damaged file aside and rebuilds it from the JSONL files."""
        return damage_of(self.index.db_path) if self.index is not None else None

    def refresh(self) -> None:
        """Make the index catch up with the files now (reads do this on their own, throttled)."""
        self._require_index().ensure_fresh(force=True)

    def close(self) -> None:
        """Close this thread's index connection."""
        if self.index is not None:
            self.index.close()
