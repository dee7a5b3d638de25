"""The commit journal: a spec commit either lands fully synced or not at all, across any kill.

A spec commit has steps that cannot be made one atomic act: the objects are written, the branch
ref is moved, then the work tree and the real index are brought up to the new HEAD. The journal
(one small JSON file, fsynced, under Charter's private state dir) names the commit in flight and
the step it reached:

    intent → objects → worktree → index → ref → (journal removed)

The work tree and index take the new contents before the branch moves, so no kill leaves a
moved branch over a stale index (which a plain `git commit` would commit, reverting the change).
`replay_journal`, run by every command before it does anything else, finishes or drops what a
killed process left: without a commit object nothing was touched and the commit is dropped (a
proposal stays pending); with one, the commit is finished (see `replay_journal`) and the work
tree and index of exactly the committed paths are synced to it. A working-tree file the user
changed since the kill is never overwritten (it is reported, and the index is still synced).

`kill_point(step)` is the test hook of the crash matrix: with `CHARTER_TEST_KILL_AT=<step>` in the
environment the process dies there (`os._exit`), as a SIGKILL would leave it.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path

from pydantic import BaseModel, Field

from charter.specs.git.merge import merge_text
from charter.specs.git.repo import GitRepo, HistoryError, open_repo

STEPS = ("intent", "objects", "worktree", "index", "ref", "done")
"""Every named kill point, in order (`done`: the commit is complete, the caller's record not)."""
KILL_ENV = "CHARTER_TEST_KILL_AT"
KILLED_EXIT = 137  # what a shell reports for SIGKILL
_REFLOG = "commit: a spec commit finished by Charter after an interruption"
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


def sync_worktree(
    repo: GitRepo, targets: dict[str, bytes | None], known: dict[str, set[str | None]]
) -> list[str]:
    """Bring each path's work-tree file to its target content (None: absent) where it still
    holds a version Charter knows (`known`: sha256 digests); return the paths left alone because
    the user changed them since."""
    from charter.specs.git.commit import write_file

    kept: list[str] = []
    for rel, data in targets.items():
        target = repo.top / rel
        current = target.read_bytes() if target.is_file() else None
        if current == data:
            continue
        if digest(current) not in known.get(rel, set()):
            kept.append(rel)
        elif data is None:
            target.unlink()
        else:
            write_file(target, data)
    return kept


def replay_journal(repo_root: Path, journal: Path) -> str | None:
    """Finish a commit a killed process left (or drop one that never got its commit object);
    return one sentence saying which, or None when there was nothing to do.

    Once the commit object exists the change is finished, never dropped: the work tree and the
    index may already hold it (they are synced before the branch moves), so dropping it would
    leave the accepted change staged with nothing pending. When HEAD is still where the commit
    started, the branch is moved to it; when the user moved HEAD meanwhile (e.g. a plain
    `git commit` of the staged change), the same change and message are committed on top of it,
    merged per file, so nothing the user committed is undone and no change lands twice.
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
        if entry.commit is None or (head is None and entry.old_head is not None):
            clear(journal)  # no commit object yet: the work tree and index were not touched
            return "an interrupted spec commit never landed; nothing was committed"
        commit, conflicts = entry.commit, []
        if head is not None and (head == commit or _is_ancestor(repo, commit, head)):
            synced = head  # landed; what the user committed on top of it since stays
        elif head == entry.old_head:
            repo.run("update-ref", "-m", _REFLOG, "HEAD", commit, head or "")
            synced = commit
        else:
            assert head is not None
            commit, conflicts = commit_again(repo, entry, head, journal)
            synced = commit
        targets = {p: _blob(repo, synced, p) for p in entry.paths}
        ours = {p: digest(base64.b64decode(text)) for p, text in entry.written.items()}
        known = {
            p: {entry.base.get(p), ours.get(p), digest(_blob(repo, entry.commit, p))}
            | ({digest(_blob(repo, head, p))} if head else set())
            for p in entry.paths
        }
        kept = sync_worktree(repo, targets, known)
        reset_index(repo, synced, entry.paths)
    clear(journal)
    note = f"finished the interrupted spec commit {commit[:12]}"
    if commit != entry.commit:
        note += " on top of your own commit"
    if conflicts:
        note += f" (your committed version of {', '.join(conflicts)} was kept: it conflicts)"
    if kept:
        note += f" (left your later edits to {', '.join(kept)} as they are)"
    return note


def commit_again(
    repo: GitRepo, entry: JournalEntry, head: str, journal: Path
) -> tuple[str, list[str]]:
    """Commit the journal's change again on top of `head` (HEAD moved since it was made): each
    path merged three ways (the commit's parent, `head`, the commit), with the same message.
    Returns the new commit and the paths kept as `head` has them because they conflict. The
    journal names the new commit before the branch moves, so a replay killed here finishes it.

    When `head` already holds the whole change (the user committed it as staged), the new
    commit changes no file: it is the one commit carrying the user's words for it."""
    assert entry.commit is not None
    message = repo.run("cat-file", "commit", entry.commit).partition(b"\n\n")[2]
    conflicts: list[str] = []
    with tempfile.TemporaryDirectory(prefix="charter-replay-", dir=repo.git_dir) as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        repo.run("read-tree", head, env=env)
        for path in entry.paths:
            ours, theirs = _blob(repo, entry.commit, path), _blob(repo, head, path)
            base = _blob(repo, entry.old_head, path) if entry.old_head else None
            if theirs == ours:
                continue
            if theirs == base:
                repo.run("reset", "-q", entry.commit, "--", path, env=env)
                continue
            merged = None
            if None not in (ours, theirs, base):
                merged = merge_text(theirs, base, ours)  # type: ignore[arg-type]
            if merged is None:
                conflicts.append(path)
                continue
            blob = repo.text("hash-object", "-w", "--no-filters", "--stdin", data=merged)
            mode = _mode(repo, head, path)
            repo.run("update-index", "--cacheinfo", f"{mode},{blob},{path}", env=env)
        tree = repo.text("write-tree", env=env)
    commit = repo.text("commit-tree", tree, "-p", head, env=repo.identity(), data=message)
    write_entry(journal, entry.model_copy(update={"commit": commit, "old_head": head}))
    repo.run("update-ref", "-m", _REFLOG, "HEAD", commit, head)
    return commit, conflicts


def _blob(repo: GitRepo, rev: str | None, path: str) -> bytes | None:
    """A path's content at `rev` (None when absent there, or when `rev` is None)."""
    if rev is None:
        return None
    found = repo.run("rev-parse", "-q", "--verify", f"{rev}:{path}", ok=(0, 1, 128)).strip()
    return repo.run("cat-file", "blob", found.decode()) if found else None


def _mode(repo: GitRepo, rev: str, path: str) -> str:
    """A path's file mode at `rev` (a plain file's when git has none to say)."""
    out = repo.text("ls-tree", rev, "--", path)
    return out.split(" ", 1)[0] if out else "100644"


def _is_ancestor(repo: GitRepo, commit: str, head: str) -> bool:
    """Whether `commit` is in `head`'s history (a later commit landed on top of it)."""
    try:
        repo.run("merge-base", "--is-ancestor", commit, head)
    except HistoryError:
        return False
    return True
