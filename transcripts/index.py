"""The ledger's SQLite index (sqlite-utils): records, full-text search, and catching up with files.

Tables (in the shared `state.db`): `messages` (one row per record, FTS5 on `text` kept current by
triggers), `messages_fts`, `messages_grams` (the character grams of `grams.py`, for queries the
word index cannot answer: CJK, symbols), and `messages_files` (per session file: size, mtime,
the byte offset indexed so far and the bytes just before it). The JSONL files are the truth: the
index notices files that grew (and reads only the new lines) or changed otherwise (and rereads
that file), and `reindex()` rebuilds everything. A row's rowid is its message number, so search
can return the newest matches first without ranking every match. Each thread gets its own
connection. Recognising a damaged file and moving it aside is `repair.py`'s job.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from charter.transcripts.grams import message_grams
from charter.transcripts.jsonl import Appended, FileState, read_session
from charter.transcripts.model import (
    Hit,
    LedgerProblem,
    Record,
    ReindexStats,
    SessionInfo,
    SessionRead,
    message_number,
)
from charter.transcripts.repair import is_corruption, move_aside, quick_check_ok
from charter.transcripts.rows import (
    FILE_COLUMNS,
    FILES,
    FTS,
    GRAM_COLUMNS,
    GRAMS,
    MESSAGE_COLUMNS,
    MESSAGES,
    TOKENIZE,
    record_row,
    row_record,
)
from charter.transcripts.search import search_messages
from charter.transcripts.sessions import SUFFIX, list_sessions, session_key, session_path

if TYPE_CHECKING:  # sqlite_utils loads when the index is first used, not with the package
    from sqlite_utils import Database
    from sqlite_utils.db import Table

TAIL = 64  # bytes before the indexed offset that must be unchanged for an incremental catch-up
FRESH_INTERVAL = 0.25  # seconds between two automatic checks of the files (reads stay fast)
BATCH = 2000


class LedgerIndex:
    """Full-text index of the session files in one directory, stored in one SQLite file."""

    def __init__(self, db_path: Path, transcripts_dir: Path) -> None:
        """Index `transcripts_dir` into `db_path`; nothing is opened until first use."""
        self.db_path = Path(db_path)
        self.transcripts_dir = Path(transcripts_dir)
        self._local = threading.local()
        self._sync_lock = threading.RLock()
        self._checked = float("-inf")

    # connections

    @property
    def db(self) -> Database:
        """This thread's connection (sqlite connections must not be shared across threads)."""
        db: Database | None = getattr(self._local, "db", None)
        if db is None:
            self.db_path.parent.mkdir(parents=True, exist_ok=True)
            from sqlite_utils import Database

            db = Database(self.db_path)
            db.enable_wal()
            # WAL + NORMAL cannot corrupt; a lost last transaction is caught up from the JSONL.
            db.execute("PRAGMA synchronous = NORMAL")
            self._local.db = db
        return db

    def close(self) -> None:
        """Close this thread's connection."""
        db: Database | None = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    # keeping up with the files

    def _schema_ok(self, db: Database) -> bool:
        """Whether this index's tables exist with the expected columns."""
        tables = set(db.table_names())
        if not {MESSAGES, FILES, FTS, GRAMS} <= tables:
            return False
        messages, files = db[MESSAGES], db[FILES]
        return (
            set(messages.columns_dict) == set(MESSAGE_COLUMNS)
            and messages.pks == ["seq"]
            and set(files.columns_dict) == set(FILE_COLUMNS)
        )

    def ensure_fresh(self, force: bool = False) -> None:
        """Catch up with session files that changed since the index last looked at them."""
        now = time.monotonic()
        if not force and now - self._checked < FRESH_INTERVAL:
            return
        with self._sync_lock:
            db = self.db
            if not self._schema_ok(db):
                self._rebuild(db)
            else:
                on_disk = self._file_states()
                known = {row["session"]: row for row in db[FILES].rows}
                for session, state in on_disk.items():
                    row = known.get(session)
                    if row is None or (row["size"], row["mtime_ns"]) != (
                        state.size,
                        state.mtime_ns,
                    ):
                        self._sync_file(db, session, row)
                for session in known.keys() - on_disk.keys():
                    with db.atomic():
                        self._drop_session(db, session)
                        self._files(db).delete(session)
            self._checked = time.monotonic()

    def _file_states(self) -> dict[str, FileState]:
        """Size and mtime of every session file on disk."""
        states = {}
        for session in list_sessions(self.transcripts_dir):
            try:
                states[session] = FileState.of(os.stat(self.transcripts_dir / f"{session}{SUFFIX}"))
            except FileNotFoundError:
                continue
        return states

    def _sync_file(self, db: Database, session: str, row: dict[str, Any] | None) -> None:
        """Index what is new in one file: only the appended lines if the rest is untouched."""
        path = session_path(self.transcripts_dir, session)
        try:
            state = FileState.of(path.stat())
        except FileNotFoundError:
            return
        incremental = row is not None and self._tail_matches(path, row, state)
        if incremental:
            assert row is not None
            read = read_session(path, offset=row["offset"])
        else:
            read = read_session(path)
        with db.atomic():
            messages = self._messages(db)
            if not incremental:
                self._drop_session(db, session)
            for batch in _batches(map(record_row, read.records)):
                messages.upsert_all(batch, pk="seq")
                _add_grams(db, batch)
            first_ts = row["first_ts"] if incremental and row else None
            self._files(db).upsert(
                {
                    "session": session,
                    "size": state.size,
                    "mtime_ns": state.mtime_ns,
                    "offset": read.end_offset,
                    "tail": _read_tail(path, read.end_offset),
                    "count": messages.count_where("session = ?", [session]),
                    "first_ts": first_ts or (read.records[0].ts if read.records else None),
                    "last_ts": read.records[-1].ts
                    if read.records
                    else (row["last_ts"] if incremental and row else None),
                },
                pk="session",
            )

    @staticmethod
    def _tail_matches(path: Path, row: dict[str, Any], state: FileState) -> bool:
        """Whether the bytes the index saw last are still where it left them."""
        offset = row["offset"]
        if state.size < offset or (state.size == row["size"] and state.mtime_ns != row["mtime_ns"]):
            return False
        return _read_tail(path, offset) == (row["tail"] or b"")

    def add(self, record: Record, appended: Appended) -> None:
        """Index a record this process just appended, advancing the file's state if in step."""
        from sqlite_utils.db import NotFoundError

        self.ensure_fresh()
        with self._sync_lock:
            db = self.db
            session = record.session
            files = self._files(db)
            try:
                row: dict[str, Any] | None = files.get(session)
            except NotFoundError:
                row = None
            state = None if row is None else FileState(row["size"], row["mtime_ns"])
            with db.atomic():
                message = record_row(record)
                self._messages(db).upsert(message, pk="seq")
                _add_grams(db, [message])
                if state == appended.after:
                    return  # the catch-up above already read this record
                if state == appended.before or (row is None and appended.before.size == 0):
                    files.upsert(
                        {
                            "session": session,
                            "size": appended.after.size,
                            "mtime_ns": appended.after.mtime_ns,
                            "offset": appended.after.size,
                            "tail": appended.line[-TAIL:],
                            "count": (row["count"] if row else 0) + 1,
                            "first_ts": (row["first_ts"] if row else None) or record.ts,
                            "last_ts": record.ts,
                        },
                        pk="session",
                    )
                # Otherwise the file changed behind our back: the next check rereads it.

    # reading

    def get_row(self, msg_id: str) -> dict[str, Any] | None:
        """The `messages` row of an ID, catching up once with the files on a miss."""
        from sqlite_utils.db import NotFoundError

        self.ensure_fresh()
        for attempt in range(2):
            try:
                row = self._messages(self.db).get(message_number(msg_id))
                return row if row["id"] == msg_id else None
            except NotFoundError:
                if attempt == 0:
                    self.ensure_fresh(force=True)
        return None

    def get(self, msg_id: str) -> Record | None:
        """The record with this ID, or None."""
        row = self.get_row(msg_id)
        return None if row is None else row_record(row)

    def search(self, query: str, limit: int = 50, role: str | None = None) -> list[Hit]:
        """Newest matches first. Any input is taken literally (words, "phrases"); queries in
        scripts written without spaces (CJK) or without any word are found by substring."""
        self.ensure_fresh()
        query = query.strip()
        if not query:
            return []
        return search_messages(self.db, query, limit, role)

    def linked(self, field: str) -> set[str]:
        """Every distinct value of a link field (`proposal`, `commit`, ...) across the ledger."""
        self.ensure_fresh()
        rows = self._messages(self.db).rows_where(f"[{field}] is not null", select=f"[{field}]")
        return {row[field] for row in rows}

    def sessions(self) -> list[SessionInfo]:
        """Every indexed session with its record count and first/last timestamps."""
        self.ensure_fresh()
        rows = sorted(self._files(self.db).rows, key=lambda r: session_key(r["session"]))
        return [
            SessionInfo(
                id=r["session"], count=r["count"], first_ts=r["first_ts"], last_ts=r["last_ts"]
            )
            for r in rows
        ]

    # rebuilding

    def reindex(self) -> ReindexStats:
        """Drop and rebuild this index's tables from the session files.

        A damaged database file (not a database, or failing SQLite's quick check) is moved aside
        to `state.db.corrupt-<UTC time>` first, so the rebuild starts from an empty file.
        """
        with self._sync_lock:
            moved = None
            try:
                damaged = not quick_check_ok(self.db)
            except sqlite3.DatabaseError as exc:
                if not is_corruption(exc):
                    raise
                damaged = True
            if damaged:
                self.close()
                moved = move_aside(self.db_path)
            stats = self._rebuild(self.db)
            stats.moved_aside = str(moved) if moved is not None else None
            self._checked = time.monotonic()
            return stats

    def _rebuild(self, db: Database) -> ReindexStats:
        """Recreate the tables and load every session file; FTS is populated in one pass."""
        if db[MESSAGES].exists():
            db[MESSAGES].disable_fts()
        for name in (FTS, MESSAGES, FILES, GRAMS):
            db[name].drop(ignore=True)
        messages = db.table(MESSAGES)
        messages.create(MESSAGE_COLUMNS, pk="seq")
        db.table(GRAMS).create(GRAM_COLUMNS, pk=("gram", "seq"))
        db.table(FILES).create(FILE_COLUMNS, pk="session")
        problems: list[LedgerProblem] = []
        total = 0
        sessions = list_sessions(self.transcripts_dir)
        with db.atomic():
            for session in sessions:
                path = session_path(self.transcripts_dir, session)
                state = FileState.of(path.stat())
                read: SessionRead = read_session(path)
                problems.extend(read.problems)
                for batch in _batches(map(record_row, read.records)):
                    messages.insert_all(batch, pk="seq", replace=True)
                    _add_grams(db, batch)
                total += len(read.records)
                self._files(db).insert(
                    {
                        "session": session,
                        "size": state.size,
                        "mtime_ns": state.mtime_ns,
                        "offset": read.end_offset,
                        "tail": _read_tail(path, read.end_offset),
                        "count": len(read.records),
                        "first_ts": read.records[0].ts if read.records else None,
                        "last_ts": read.records[-1].ts if read.records else None,
                    }
                )
        messages.create_index(["session"], if_not_exists=True)
        messages.enable_fts(["text"], create_triggers=True, tokenize=TOKENIZE)
        return ReindexStats(sessions=len(sessions), records=total, problems=problems)

    def _drop_session(self, db: Database, session: str) -> None:
        """Remove one session's records and their grams from the index."""
        db[GRAMS].delete_where(
            f"seq in (select seq from [{MESSAGES}] where session = ?)", [session]
        )
        self._messages(db).delete_where("session = ?", [session])

    @staticmethod
    def _messages(db: Database) -> Table:
        """The records table."""
        return db.table(MESSAGES)

    @staticmethod
    def _files(db: Database) -> Table:
        """The per-file bookkeeping table."""
        return db.table(FILES)


def _read_tail(path: Path, offset: int) -> bytes:
    """The TAIL bytes of a file just before `offset`."""
    start = max(0, offset - TAIL)
    try:
        with path.open("rb") as fh:
            fh.seek(start)
            return fh.read(offset - start)
    except FileNotFoundError:
        return b""


def _batches(rows: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Group rows for bulk inserts."""
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _add_grams(db: Database, rows: list[dict[str, Any]]) -> None:
    """Index the character grams of these `messages` rows (kept ones stay: a filter only)."""
    grams = [
        {"gram": gram, "seq": row["seq"]} for row in rows for gram in message_grams(row["text"])
    ]
    for batch in _batches(grams):
        db.table(GRAMS).insert_all(batch, ignore=True)
