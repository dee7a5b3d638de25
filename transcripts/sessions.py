"""Sessions: their IDs (`s-YYYYMMDD-NN`, UTC date), their files, and which one is current.

The current session is remembered in `<state_dir>/session` when the ledger is given a state
directory, otherwise only in memory. A freshly started session has no file until its first record.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from charter.transcripts.model import SESSION_ID_RE, LedgerError

SUFFIX = ".jsonl"
STATE_FILE = "session"


def check_session_id(session: str) -> str:
    """Refuse anything that is not a session ID (which also keeps file names safe)."""
    if not isinstance(session, str) or SESSION_ID_RE.match(session) is None:
        raise LedgerError(f"not a session ID: {session!r} (expected e.g. s-20261121-01)")
    return session


def session_key(session: str) -> tuple[str, int]:
    """Sort key: date, then the per-day number as an integer (so -100 follows -99)."""
    match = SESSION_ID_RE.match(session)
    if match is None:
        return ("", -1)
    return (match.group(1), int(match.group(2)))


def session_path(transcripts_dir: Path, session: str) -> Path:
    """The JSONL file of a session."""
    return transcripts_dir / f"{check_session_id(session)}{SUFFIX}"


def list_sessions(transcripts_dir: Path) -> list[str]:
    """IDs of the sessions that have a file, oldest first; other files are ignored."""
    try:
        entries = os.scandir(transcripts_dir)
    except FileNotFoundError:
        return []
    with entries:
        found = [
            entry.name[: -len(SUFFIX)]
            for entry in entries
            if entry.name.endswith(SUFFIX)
            and SESSION_ID_RE.match(entry.name[: -len(SUFFIX)])
            and entry.is_file()
        ]
    return sorted(found, key=session_key)


def next_session_id(existing: list[str], now: datetime | None = None) -> str:
    """The next session ID for today's UTC date, after every existing one of that day."""
    day = (now or datetime.now(UTC)).strftime("%Y%m%d")
    used = [n for d, n in map(session_key, existing) if d == day]
    return f"s-{day}-{max(used, default=0) + 1:02d}"


class CurrentSession:
    """Where the current session's ID is kept: a small file in the state dir, or memory."""

    def __init__(self, state_dir: Path | None) -> None:
        """Remember the ID in `state_dir/session`, or only in memory when `state_dir` is None."""
        self._path = state_dir / STATE_FILE if state_dir is not None else None
        self._memory: str | None = None

    def load(self) -> str | None:
        """The stored ID, or None when unset or unreadable."""
        if self._path is None:
            return self._memory
        try:
            value = self._path.read_text(encoding="utf-8").strip()
        except (FileNotFoundError, UnicodeDecodeError):
            return None
        return value if SESSION_ID_RE.match(value) else None

    def store(self, session: str) -> None:
        """Remember `session` as current (atomically replacing the file)."""
        if self._path is None:
            self._memory = session
            return
        self._path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._path.with_name(f".{STATE_FILE}.{os.getpid()}.tmp")
        tmp.write_text(session + "\n", encoding="utf-8")
        os.replace(tmp, self._path)
