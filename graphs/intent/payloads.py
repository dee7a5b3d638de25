"""The intent turn's large values, stored once outside the checkpoints.

LangGraph's SQLite saver writes every channel of the state at every superstep (and each node's
writes besides), so a value held in state is copied once per step: a 900 kB reply cost about
five copies, a proposal over twenty. The turn's big values (the scribe's conversation, its reply
or proposal, code's check, the review view) are therefore kept in one table of the checkpoint
database, keyed by their content's sha256, and the state holds only a reference
(`{"payload": sha}`). Content addressing makes a node that re-runs after a crash write nothing
new, and the same value referenced twice (the view in `view` and in the outcome) is stored once.

A session's payloads are dropped when its next turn starts: by then the previous proposal is
resolved (committed, rejected or superseded). A value that is not a reference (a checkpoint made
before this store existed) is used as it is.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.db import NotFoundError

from charter.graphs.intent.state import IntentError

TABLE = "payloads"
REF_KEY = "payload"


class PayloadMissing(IntentError):
    """A checkpoint refers to a payload that is no longer stored."""


def is_ref(value: Any) -> bool:
    """Whether `value` is a payload reference."""
    return isinstance(value, dict) and set(value) == {REF_KEY}


class Payloads:
    """The payload table of a checkpoint database (its own connection, one writer at a time)."""

    def __init__(self, db_path: Path) -> None:
        """Open (and create, if needed) the payload table next to the checkpoints."""
        conn = sqlite3.connect(str(db_path), check_same_thread=False)
        conn.execute("PRAGMA synchronous=NORMAL")  # as the checkpoints: WAL survives a kill
        self._db = Database(conn)
        self._lock = threading.Lock()
        table = self._db.table(TABLE)
        if not table.exists():
            table.create({"sha": str, "session": str, "data": bytes}, pk="sha")
            table.create_index(["session"])

    def put(self, session: str, value: Any) -> Any:
        """Store `value` (JSON-able) once and return its reference; None stays None."""
        if value is None:
            return None
        data = json.dumps(value, sort_keys=True, ensure_ascii=False).encode("utf-8")
        sha = hashlib.sha256(data).hexdigest()
        with self._lock, self._db.conn:
            self._db.table(TABLE).insert(
                {"sha": sha, "session": session, "data": data}, ignore=True
            )
        return {REF_KEY: sha}

    def get(self, value: Any) -> Any:
        """The value a reference stands for (anything else is returned as it is)."""
        if not is_ref(value):
            return value
        try:
            with self._lock:
                row = self._db.table(TABLE).get(value[REF_KEY])
        except NotFoundError:
            raise PayloadMissing(
                "the pending turn's stored data is missing from checkpoints.db; "
                "reject it and send your message again"
            ) from None
        return json.loads(row["data"])

    def prune(self, session: str) -> None:
        """Drop a session's payloads (its previous turn is resolved)."""
        with self._lock, self._db.conn:
            self._db.table(TABLE).delete_where("session = ?", [session])

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.conn.close()
