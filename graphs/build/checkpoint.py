"""Where a build's LangGraph checkpoints live: a SQLite file in its directory, or PostgreSQL.

SQLite (the default) keeps `checkpoints.db` in `.charter/builds/<id>/` with thread id = build
id. PostgreSQL (`langgraph-checkpoint-postgres`, the `charter[postgres]` extra) lets many builds
from many clients share one database: each build gets a thread id of its own (build id plus a
random UUID, so two clients never meet on one thread), recorded with the database's redacted
location in `checkpointer.json`. A resume uses the store the build started on, whatever the
settings say now. The connection string is a secret (it may carry a password): it is held in
memory only; files, logs and error messages name the database by `describe()`.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel

from charter.graphs.build.records import BuildDir, dump_json

RECORD_NAME = "checkpointer.json"
# How long a connection attempt may take before the build gives up with a clear error.
CONNECT_TIMEOUT_S = 10
# Concurrent first builds on an empty database race to create the tables; the loser retries.
SETUP_ATTEMPTS = 5
INSTALL_HINT = "install the extra: pip install 'charter[postgres]'"


class CheckpointerError(RuntimeError):
    """The checkpoint database cannot be used; the message names it without its password."""


@dataclass(frozen=True)
class CheckpointStore:
    """Where new builds checkpoint: SQLite in the build directory (`dsn` None) or PostgreSQL.

    `source` says where the connection string came from (an environment variable or the
    settings field), for error messages.
    """

    dsn: str | None = field(default=None, repr=False)
    source: str = ""

    @property
    def postgres(self) -> bool:
        """Whether builds checkpoint to PostgreSQL."""
        return self.dsn is not None

    def describe(self) -> str:
        """The database without secrets: `postgresql://user@host:port/dbname`, or `sqlite`."""
        return describe_dsn(self.dsn) if self.dsn is not None else "sqlite"


class CheckpointRecord(BaseModel):
    """`checkpointer.json`: which store a build's checkpoints are in, and its thread there."""

    backend: str = "postgres"
    thread_id: str
    database: str


def describe_dsn(dsn: str) -> str:
    """A connection string with its password and options left out, fit for logs and files."""
    try:
        from psycopg.conninfo import conninfo_to_dict

        parts = conninfo_to_dict(dsn)
    except ImportError:
        parts = _url_parts(dsn)
    except Exception:  # a malformed string: its text may hold the password, so say nothing of it
        return "postgresql://(malformed connection string)"
    user = f"{parts['user']}@" if parts.get("user") else ""
    host = str(parts.get("host") or "localhost")
    port = f":{parts['port']}" if parts.get("port") else ""
    return f"postgresql://{user}{host}{port}/{parts.get('dbname') or ''}"


def _url_parts(dsn: str) -> dict[str, Any]:
    """user, host, port and dbname of a `postgresql://` URL (when psycopg is not installed)."""
    url = urlsplit(dsn)
    return {"user": url.username, "host": url.hostname, "port": url.port, "dbname": url.path[1:]}


def url_has_password(url: str) -> bool:
    """Whether a `postgresql://` URL carries a password (in its user part or its query)."""
    split = urlsplit(url)
    query = {kv.split("=", 1)[0] for kv in split.query.split("&") if kv}
    return split.password is not None or "password" in query


def check_available(store: CheckpointStore | None) -> None:
    """Raise CheckpointerError when `store` needs a driver that is not installed."""
    if store is None or not store.postgres:
        return
    try:
        import langgraph.checkpoint.postgres  # noqa: F401
        import psycopg  # noqa: F401
    except ImportError as exc:
        raise CheckpointerError(
            f"builds checkpoint to PostgreSQL ({store.describe()}), but {exc.name or 'psycopg'} "
            f"is not installed: {INSTALL_HINT}"
        ) from None


@contextmanager
def open_checkpointer(
    store: CheckpointStore | None, bdir: BuildDir, *, new: bool
) -> Iterator[tuple[Any, str]]:
    """Yield `(checkpointer, thread_id)` for a build, new or resumed; close it afterwards.

    Database failures inside the block come out as CheckpointerError (the build can resume).
    """
    recorded = _read_record(bdir)
    if new and store is not None and store.postgres:
        recorded = CheckpointRecord(
            thread_id=f"{bdir.id}-{uuid.uuid4().hex}", database=store.describe()
        )
        # Written before connecting: a build whose database was down at the start resumes there.
        (bdir.root / RECORD_NAME).write_bytes(dump_json(recorded))
    if recorded is None:
        with _sqlite(bdir) as saver:
            yield saver, bdir.id
        return
    if store is None or not store.postgres or store.describe() != recorded.database:
        now = store.describe() if store is not None else "sqlite"
        raise CheckpointerError(
            f"build {bdir.id} checkpoints to {recorded.database}, but the settings now name "
            f"{now}: point [build] checkpointer at that database to resume it"
        )
    assert store.dsn is not None
    with _postgres(store.dsn, store) as saver:
        yield saver, recorded.thread_id


def _read_record(bdir: BuildDir) -> CheckpointRecord | None:
    """The build's `checkpointer.json`, or None for a build on SQLite."""
    path = bdir.root / RECORD_NAME
    if not path.is_file():
        return None
    try:
        return CheckpointRecord.model_validate_json(path.read_bytes())
    except ValueError as exc:
        raise CheckpointerError(f"{path}: unreadable ({exc})") from None


@contextmanager
def _sqlite(bdir: BuildDir) -> Iterator[Any]:
    """A SQLite checkpointer on the build's own `checkpoints.db`."""
    from langgraph.checkpoint.sqlite import SqliteSaver

    conn = sqlite3.connect(str(bdir.checkpoints), check_same_thread=False)
    # WAL without a sync per transaction: a killed process loses nothing; a power cut may
    # lose the last steps, which a resume then redoes (from the response cache).
    conn.execute("pragma journal_mode=wal")
    conn.execute("pragma synchronous=normal")
    try:
        yield SqliteSaver(conn)
    finally:
        conn.close()


@contextmanager
def _postgres(dsn: str, store: CheckpointStore) -> Iterator[Any]:
    """A PostgreSQL checkpointer on one connection (the saver serialises its own use of it)."""
    check_available(store)
    import psycopg
    from langgraph.checkpoint.postgres import PostgresSaver
    from psycopg.conninfo import conninfo_to_dict
    from psycopg.rows import dict_row

    where = store.describe()
    try:
        params = conninfo_to_dict(dsn)
    except psycopg.Error:
        raise CheckpointerError(
            f"the PostgreSQL connection string{_from(store)} is malformed"
        ) from None
    params.setdefault("connect_timeout", CONNECT_TIMEOUT_S)
    params.setdefault("application_name", "charter-build")
    secret = str(params.get("password") or "")
    try:
        # The settings PostgresSaver.from_conn_string uses: autocommit, no prepared statements.
        conn = psycopg.Connection.connect(
            autocommit=True, prepare_threshold=0, row_factory=dict_row, **params
        )
    except psycopg.Error as exc:
        raise CheckpointerError(
            f"cannot connect to the checkpoint database {where}: {_scrub(exc, secret)}"
        ) from None
    try:
        saver = PostgresSaver(conn)
        _setup(saver, psycopg)
        yield saver
    except psycopg.Error as exc:
        raise CheckpointerError(
            f"the checkpoint database {where} failed: {_scrub(exc, secret)}"
        ) from None
    finally:
        conn.close()


def _setup(saver: Any, psycopg: Any) -> None:
    """Create or migrate the checkpoint tables, retrying when another client races us to it."""
    errors = psycopg.errors
    races = (
        errors.UniqueViolation,
        errors.DuplicateTable,
        errors.DuplicateObject,
        errors.DeadlockDetected,
    )
    for attempt in range(SETUP_ATTEMPTS):
        try:
            saver.setup()
            return
        except races:
            if attempt == SETUP_ATTEMPTS - 1:
                raise
            time.sleep(0.05 * (attempt + 1))


def _from(store: CheckpointStore) -> str:
    """` in $VAR` or ` in [build] checkpointer` for messages, or nothing."""
    return f" in {store.source}" if store.source else ""


def _scrub(exc: BaseException, secret: str) -> str:
    """An exception's first line with the password (if any) blotted out."""
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return text.replace(secret, "***") if secret else text
