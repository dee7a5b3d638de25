"""The audit's tables in `.charter/state.db`: model answers cached by content, runs per revision.

Tables (all prefixed `audit_`, created on first write):
- `audit_cache`: one model answer per key (hash of prompt version, model and the exact text sent),
  so an unchanged section, outline or message pair is never sent twice;
- `audit_runs`: the latest findings of each spec revision (hash of the spec files' content);
- `audit_fixes`: every `charter audit fix` request, linked to its ledger record and proposal;
- `audit_locked`: the LOCKED-item changes found in a commit (a commit never changes, nor does this).

Reads never create the database: a workspace that was never audited simply has no findings.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import sqlite_utils
from pydantic import BaseModel, Field
from sqlite_utils.db import NotFoundError, Table

from charter.graphs.audit.findings import AuditFinding
from charter.specs import Severity, is_spec_file

CACHE = "audit_cache"
RUNS = "audit_runs"
FIXES = "audit_fixes"
LOCKED = "audit_locked"

_CACHE_COLUMNS: dict[str, type] = {"key": str, "kind": str, "answer": str}
_RUN_COLUMNS: dict[str, type] = {
    "revision": str,
    "findings": str,
    "model": str,
    "prompt_version": str,
    "model_calls": int,
    "audited_at": str,
}
_FIX_COLUMNS: dict[str, type] = {
    "record": str,
    "finding": str,
    "revision": str,
    "proposal": str,
    "ts": str,
}
_LOCKED_COLUMNS: dict[str, type] = {"commit": str, "changes": str}
# One writer at a time within a process: the audit's parallel model calls each cache their
# answer from their own thread and connection (SQLite refuses concurrent write upgrades).
_WRITE_LOCK = threading.Lock()


def content_key(*parts: str) -> str:
    """A hex SHA-256 over the parts, separated so that ("ab", "c") differs from ("a", "bc")."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8")
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


def revision_key(spec_files: Mapping[str, bytes]) -> str:
    """The revision key: a hash of every `.md` file's path (relative to the spec dir) and bytes.

    The working tree and a commit holding the same files get the same key, so a build of a commit
    sees the findings of an audit of the identical working tree.
    """
    digest = hashlib.sha256()
    for path in sorted(p for p in spec_files if is_spec_file(p)):
        name = path.encode("utf-8")
        data = bytes(spec_files[path])
        digest.update(len(name).to_bytes(8, "big") + name)
        digest.update(len(data).to_bytes(8, "big") + data)
    return "r-" + digest.hexdigest()[:16]


class AuditRun(BaseModel):
    """The stored outcome of auditing one revision."""

    revision: str
    findings: list[AuditFinding] = Field(default_factory=list)
    auditor_errors: list[str] = Field(
        default_factory=list, description="what the auditor got wrong; its findings were checked"
    )
    model: str = ""
    prompt_version: str = ""
    model_calls: int = 0
    audited_at: str = ""

    def errors(self) -> list[AuditFinding]:
        """The ERROR findings."""
        return [f for f in self.findings if f.severity is Severity.ERROR]


class FixRequest(BaseModel):
    """One `charter audit fix` request: which finding, from which revision, and its trail."""

    finding: str
    revision: str
    record: str = Field(description="the ledger event record (kind audit-fix)")
    proposal: str | None = None
    ts: str = ""


class AuditStore:
    """The audit tables of one state database; open one per thread (sqlite-utils rule)."""

    def __init__(self, path: Path) -> None:
        """Open (and on first write create) the database at `path`."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite_utils.Database(path)

    def ensure_tables(self) -> None:
        """Create the audit tables, so that parallel writers never race to create one."""
        with _WRITE_LOCK:
            self._table(CACHE).create(_CACHE_COLUMNS, pk="key", if_not_exists=True)
            self._table(RUNS).create(_RUN_COLUMNS, pk="revision", if_not_exists=True)
            self._table(FIXES).create(_FIX_COLUMNS, pk="record", if_not_exists=True)
            self._table(LOCKED).create(_LOCKED_COLUMNS, pk="commit", if_not_exists=True)

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    def __enter__(self) -> AuditStore:
        """Use as a context manager."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close on leaving the block."""
        self.close()

    def _table(self, name: str) -> Table:
        """A table by name."""
        return self.db.table(name)

    # -- model answers -------------------------------------------------------------------------

    def cached(self, key: str) -> list[dict[str, Any]] | None:
        """The cached model answer under `key`, or None."""
        table = self._table(CACHE)
        if not table.exists():
            return None
        try:
            row = table.get(key)
        except NotFoundError:
            return None
        return json.loads(row["answer"])

    def cache(self, key: str, kind: str, answer: list[dict[str, Any]]) -> None:
        """Store a model answer (a list of JSON objects) under `key`."""
        record = {"key": key, "kind": kind, "answer": answer}
        with _WRITE_LOCK:
            self._table(CACHE).upsert(record, pk="key", alter=True)

    # -- runs ----------------------------------------------------------------------------------

    def save_run(self, run: AuditRun) -> None:
        """Store (replace) the findings of one revision."""
        record = run.model_dump(mode="json")
        with _WRITE_LOCK:
            self._table(RUNS).upsert(record, pk="revision", alter=True)

    def load_run(self, revision: str) -> AuditRun | None:
        """The stored run of `revision`, or None when it was never audited."""
        table = self._table(RUNS)
        if not table.exists():
            return None
        try:
            row = table.get(revision)
        except NotFoundError:
            return None
        for key in ("findings", "auditor_errors"):
            value = row.get(key)
            row[key] = json.loads(value) if isinstance(value, str) else value or []
        return AuditRun.model_validate(row)

    def runs(self) -> list[AuditRun]:
        """Every stored run, newest first."""
        table = self._table(RUNS)
        if not table.exists():
            return []
        out = [self.load_run(row["revision"]) for row in table.rows]
        return sorted((r for r in out if r), key=lambda r: r.audited_at, reverse=True)

    # -- fixes ---------------------------------------------------------------------------------

    def add_fix(self, fix: FixRequest) -> None:
        """Record a fix request."""
        with _WRITE_LOCK:
            self._table(FIXES).insert(fix.model_dump(mode="json"), pk="record", alter=True)

    def fixes(self, finding: str | None = None) -> list[FixRequest]:
        """Fix requests, oldest first; only those for `finding` when given."""
        table = self._table(FIXES)
        if not table.exists():
            return []
        rows = table.rows_where("finding = ?", [finding]) if finding else table.rows
        return sorted((FixRequest.model_validate(r) for r in rows), key=lambda f: f.ts)

    # -- LOCKED changes per commit -------------------------------------------------------------

    def locked_changes(self, commit: str) -> list[dict[str, Any]] | None:
        """The LOCKED changes recorded for `commit`, or None when it was never examined."""
        table = self._table(LOCKED)
        if not table.exists():
            return None
        try:
            row = table.get(commit)
        except NotFoundError:
            return None
        return json.loads(row["changes"])

    def save_locked_changes(self, commit: str, changes: list[dict[str, Any]]) -> None:
        """Record what LOCKED items `commit` changed (possibly nothing)."""
        with _WRITE_LOCK:
            self._table(LOCKED).upsert(
                {"commit": commit, "changes": changes}, pk="commit", alter=True
            )


def _open_existing(state_db: Path) -> AuditStore | None:
    """Open the store only when the database file already exists (reads never create it)."""
    return AuditStore(state_db) if state_db.is_file() else None


def load_run(state_db: Path, revision: str) -> AuditRun | None:
    """The stored audit of `revision` (a `revision_key`), or None; never calls a model."""
    store = _open_existing(state_db)
    if store is None:
        return None
    with store:
        return store.load_run(revision)


def load_findings(state_db: Path, revision: str) -> list[AuditFinding] | None:
    """The findings stored for `revision`, sorted; None when that revision was never audited."""
    run = load_run(state_db, revision)
    return None if run is None else run.findings


def unresolved_errors(state_db: Path, spec_files: Mapping[str, bytes]) -> list[AuditFinding]:
    """ERROR findings of the last audit of exactly these spec files (cached results, no model).

    `spec_files` maps paths relative to the spec dir to their bytes (`.md` files count). An
    unaudited revision has no recorded findings and yields an empty list: use `load_run` to tell
    "clean" from "never audited".
    """
    run = load_run(state_db, revision_key(spec_files))
    return [] if run is None else run.errors()


def find_finding(state_db: Path, finding_id: str) -> tuple[AuditRun, AuditFinding] | None:
    """The newest stored run holding `finding_id`, and the finding; None when unknown."""
    store = _open_existing(state_db)
    if store is None:
        return None
    with store:
        for run in store.runs():
            for finding in run.findings:
                if finding.id == finding_id:
                    return run, finding
    return None


def load_fixes(state_db: Path, finding: str | None = None) -> list[FixRequest]:
    """Fix requests made so far (for one finding when given), oldest first; never creates the db."""
    store = _open_existing(state_db)
    if store is None:
        return []
    with store:
        return store.fixes(finding)
