"""Audit inputs from the workspace: spec files, the user's messages, LOCKED changes in history.

LOCKED changes are found per commit: for each spec commit that came from a proposal (it carries
a `Charter-Proposal` trailer), the spec before and after it is compared. A commit never changes,
so its result is stored once (table `audit_locked`) and later audits read it back.
"""

from __future__ import annotations

from pathlib import Path

from charter.graphs.audit.drift import LockedChange, locked_changes
from charter.graphs.audit.store import AuditStore
from charter.specs import (
    HistoryError,
    Intent,
    load_spec_files,
    read_spec_dir,
    spec_files_at,
    spec_log,
)
from charter.transcripts import Ledger, LedgerError, Record

PROPOSAL_TRAILER = "Charter-Proposal"


def spec_dir_files(spec_dir: Path) -> dict[str, bytes]:
    """The working tree's spec: every `*.md` under `spec_dir`, by path relative to it.

    The same mapping `specs.spec_files_at` returns for a commit, so `revision_key` of both agree.
    """
    return read_spec_dir(spec_dir)


def user_records(ledger: Ledger) -> list[Record]:
    """Every user message of every session, ordered by message number."""
    out: list[Record] = []
    for info in ledger.sessions():
        try:
            out += [r for r in ledger.records(info.id) if r.role == "user"]
        except LedgerError:
            continue  # a fresh current session has no file yet
    return sorted(out, key=lambda r: r.number)


def locked_history(
    state_db: Path, repo_root: Path, spec_dir: Path | str, rev: str = "HEAD"
) -> list[LockedChange]:
    """LOCKED requirements changed by proposal commits up to `rev`, oldest commit first."""
    try:
        commits = spec_log(repo_root, spec_dir, rev=rev)
    except HistoryError:
        return []
    out: list[LockedChange] = []
    with AuditStore(state_db) as store:
        for commit in reversed(commits):
            if not any(key == PROPOSAL_TRAILER for key, _ in commit.trailers):
                continue
            known = store.locked_changes(commit.sha)
            if known is None:
                found = _changes_in(repo_root, spec_dir, commit.sha, commit.intents)
                store.save_locked_changes(commit.sha, [c.to_dict() for c in found])
                known = [c.to_dict() for c in found]
            out += [LockedChange.from_dict(c) for c in known]
    return out


def _changes_in(
    repo_root: Path, spec_dir: Path | str, sha: str, intents: list[Intent]
) -> list[LockedChange]:
    """Compare the spec before and after one commit."""
    after, _ = load_spec_files(spec_files_at(repo_root, sha, spec_dir))
    try:
        before_files = spec_files_at(repo_root, f"{sha}^", spec_dir)
    except HistoryError:
        before_files = {}  # the root commit: nothing was LOCKED before it
    before, _ = load_spec_files(before_files)
    return locked_changes(sha, before, after, intents)
