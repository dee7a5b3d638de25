"""Damage to the ledger's SQLite index: recognising it and moving a damaged file aside.

The JSONL files are the truth, so a damaged index is never repaired in place: `reindex()` moves
it (and its WAL files) to `state.db.corrupt-<UTC time>` and rebuilds from the files. `damage_of`
is the cheap look `charter status` takes; `quick_check_ok` is the full check a reindex makes.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database

SQLITE_HEADER = b"SQLite format 3\x00"


def is_corruption(exc: BaseException) -> bool:
    """Whether an SQLite error means the file is damaged (not merely busy or locked)."""
    text = str(exc).lower()
    return isinstance(exc, sqlite3.DatabaseError) and (
        type(exc) is sqlite3.DatabaseError
        or "malformed" in text
        or "not a database" in text
        or "corrupt" in text
    )


def damage_of(db_path: Path) -> str | None:
    """Why an existing index file is unusable (a cheap look at its header), or None."""
    try:
        with db_path.open("rb") as fh:
            header = fh.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot read it: {exc.strerror or exc}"
    if header and header != SQLITE_HEADER:
        return "it is not an SQLite database"
    return None


def quick_check_ok(db: Database) -> bool:
    """SQLite's quick integrity check of the whole file."""
    rows = db.execute("PRAGMA quick_check").fetchall()
    return [tuple(r) for r in rows] == [("ok",)]


def move_aside(db_path: Path) -> Path:
    """Rename a (closed) database and its WAL files out of the way; return the new path."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    target = db_path.with_name(f"{db_path.name}.corrupt-{stamp}")
    db_path.replace(target)
    for suffix in ("-wal", "-shm"):
        extra = db_path.with_name(db_path.name + suffix)
        if extra.exists():
            extra.replace(target.with_name(target.name + suffix))
    return target
