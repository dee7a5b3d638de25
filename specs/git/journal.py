"""The commit journal: a spec commit either lands fully synced or not at all, across any kill.

A spec commit has steps that cannot be made one atomic act: the objects are written, the branch
ref is moved, then the work tree and the real index are brought up to the new HEAD. The journal
(one small JSON file, fsynced, under Charter's private state dir) names the commit in flight and
the step it reached:

    intent → objects → ref → worktree → index → (journal removed)

`replay_journal`, run by every command before it does anything else, finishes or drops what a
killed process left: when the ref never moved, the commit is dropped (nothing was committed;
a proposal stays pending); when it moved, the work tree and index of exactly the committed paths
are synced to it. A working-tree file the user changed since the kill is never overwritten (it
is reported, and the index is still synced).

`kill_point(step)` is the test hook of the crash matrix: with `CHARTER_TEST_KILL_AT=<step>` in the
environment the process dies there (`os._exit`), as a SIGKILL would leave it.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
from pathlib import Path

from pydantic import BaseModel, Field

from charter.specs.git.repo import GitRepo, HistoryError, open_repo

STEPS = ("intent", "objects", "ref", "worktree", "index", "done")
"""Every named kill point, in order (`done`: the commit is complete, the caller's record not)."""
KILL_ENV = "CHARTER_TEST_KILL_AT"
KILLED_EXIT = 137  # what a shell reports for SIGKILL
JOURNAL_NAME = "commit-journal.json"
"""The journal's file name in a workspace's private state dir (`.charter/`)."""


def journal_file(state_dir: Path) -> Path:
    """The commit journal of a workspace's private state dir."""
    return state_dir / JOURNAL_NAME


class JournalEntry(BaseModel):
    """The commit in flight: where it starts, what it writes, and the step it reached."""

    step: str
    old_head: str | None = None
    commit: str | None = None
    written: dict[str, str] = Field(
        default_factory=dict, description="top-relative path → new content, base64"
    )
    base: dict[str, str | None] = Field(
        default_factory=dict, description="top-relative path → sha256 of the content before"
    )
    removed: list[str] = Field(default_factory=list)
    paths: list[str] = Field(default_factory=list, description="every committed path")


def kill_point(step: str) -> None:
    """Die here when the crash-matrix test asks for it (`CHARTER_TEST_KILL_AT=step`)."""
    if os.environ.get(KILL_ENV) == step:
        os._exit(KILLED_EXIT)


def digest(data: bytes | None) -> str | None:
    """sha256 of a file's content (None for an absent file)."""
    return None if data is None else hashlib.sha256(data).hexdigest()


def encode(data: bytes) -> str:
    """File content as journal text."""
    return base64.b64encode(data).decode("ascii")


def write_entry(path: Path, entry: JournalEntry) -> None:
    """Write the journal atomically and durably (file and directory fsynced)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    data = json.dumps(entry.model_dump(mode="json"), sort_keys=True).encode("utf-8")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def clear(path: Path) -> None:
    """Remove the journal (the commit is complete or dropped)."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    """Make a rename or unlink in `directory` durable."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def read_entry(path: Path) -> JournalEntry | None:
    """The journal's entry, or None when there is none (or it was cut before its rename)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        return JournalEntry.model_validate_json(raw)
    except ValueError as exc:
        raise HistoryError(f"{path}: the commit journal cannot be read ({exc})") from None


def sync_worktree(repo: GitRepo, entry: JournalEntry) -> list[str]:
    """Write the committed contents where the work tree still has the old ones; return the paths
    left alone because the user changed them since."""
    from charter.specs.git.commit import write_file

    kept: list[str] = []
    for rel, text in entry.written.items():
        target = repo.top / rel
        data = base64.b64decode(text)
        current = target.read_bytes() if target.is_file() else None
        if current == data:
            continue
        if digest(current) != entry.base.get(rel):
            kept.append(rel)
            continue
        write_file(target, data)
    for rel in entry.removed:
        target = repo.top / rel
        current = target.read_bytes() if target.is_file() else None
        if current is None:
            continue
        if digest(current) != entry.base.get(rel):
            kept.append(rel)
            continue
        target.unlink()
    return kept


def replay_journal(repo_root: Path, journal: Path) -> str | None:
    """Finish or drop a commit a killed process left; return one sentence saying which, or None.

    The caller holds the workspace lock (no other Charter process is mid-commit).
    """
    from charter.specs.git.commit import reset_index

    entry = read_entry(journal)
    if entry is None:
        with contextlib.suppress(FileNotFoundError):
            journal.with_name(journal.name + ".tmp").unlink()
        return None
    with open_repo(repo_root) as repo:
        head = repo.head()
        landed = (
            entry.commit is not None
            and head is not None
            and (head == entry.commit or _is_ancestor(repo, entry.commit, head))
        )
        if not landed or head is None:
            clear(journal)  # the ref never moved: the objects are garbage, nothing was committed
            return "an interrupted spec commit never landed; nothing was committed"
        kept = sync_worktree(repo, entry)
        reset_index(repo, head, entry.paths)
    clear(journal)
    note = f"finished the interrupted spec commit {(entry.commit or '')[:12]}"
    if kept:
        note += f" (left your later edits to {', '.join(kept)} as they are)"
    return note


def _is_ancestor(repo: GitRepo, commit: str, head: str) -> bool:
    """Whether `commit` is in `head`'s history (a later commit landed on top of it)."""
    try:
        repo.run("merge-base", "--is-ancestor", commit, head)
    except HistoryError:
        return False
    return True
