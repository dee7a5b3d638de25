"""Spec commits (DESIGN §6): one accepted change = one commit that carries the user's words.

Committing never disturbs the user's own work: the new tree is built in a temporary index
(`GIT_INDEX_FILE`) seeded from HEAD and the commit object is made with `commit-tree`. Then the new
contents are written to the working tree and the real index entries of exactly those paths are
set to the new commit's, and only then is the branch moved with a compare-and-swap `update-ref`
(so a kill never leaves a moved branch over a stale index that a plain `git commit` would commit
back); any other staged or unstaged work stays as it was. Charter
never amends, rewrites or deletes git's lock files. Git processes are the cost of a commit, so
the path runs as few as it can (see `_make_commit` and `specs.git.repo`).

`root` arguments name the workspace root. When it is the repository's top level (what
`charter init` makes) paths are relative to both; a root below the top level also works, with
paths relative to the root.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from charter.specs.git.hooks import run_commit_hooks
from charter.specs.git.journal import (
    JournalEntry,
    clear,
    digest,
    encode,
    kill_point,
    write_entry,
)
from charter.specs.git.message import (
    CommitMessage,
    clean_subject,
    encode_text,
    render_commit_message,
)
from charter.specs.git.repo import (
    GC_SAMPLE_THRESHOLD,
    GitIdentityError,  # noqa: F401  (re-exported: commit_spec_change raises it)
    GitRepo,
    HistoryError,
    open_repo,
)

_INDEX_RETRY_SECONDS = 3.0
_SCRATCH_COPY_LIMIT = 8 * 1024 * 1024  # bytes of on-disk files worth copying into memory
_SCRATCH_SLACK = 4 * 1024 * 1024  # free bytes a tmpfs keeps beyond the scratch's own needs


class HeadMovedError(HistoryError):
    """HEAD is not where the caller expected (another commit landed); nothing was committed."""


class NothingToCommitError(HistoryError):
    """The change leaves the tree as it is; no commit was made."""


def commit_spec_change(
    repo_root: Path,
    *,
    files: Mapping[str, bytes],
    message: CommitMessage,
    include_paths: Sequence[str] = (),
    delete: Sequence[str] = (),
    expected_head: str | None = None,
    base: Mapping[str, bytes | None] | None = None,
    journal: Path | None = None,
    run_hooks: bool = False,
) -> str:
    """Commit exactly `files` (new contents), `delete` and the on-disk `include_paths`, at once.

    Paths are relative to `repo_root` (the workspace root). `include_paths` are committed as they
    are on disk (the ledger's JSONL files). `expected_head`, when given, must be the current HEAD
    commit. `base`, when given, maps paths to the contents the change was computed from (None:
    absent); if the working tree differs (a hand edit made meanwhile) nothing is committed and
    nothing is overwritten. Returns the new commit's sha. Other staged or unstaged work of the
    user is left as it was; the committed paths end up clean in the working tree and the index.

    `journal`, when given, is the commit journal file (`specs.git.journal`): the steps are
    recorded there so a killed process leaves a state `replay_journal` can finish or drop.
    `run_hooks` runs the repository's `pre-commit` and `commit-msg` hooks first (a refusal
    raises `HookRefusedError`; nothing is committed).
    """
    with open_repo(repo_root) as repo:
        repo.check_writable_state()
        ident = repo.identity()
        head, head_tree = repo.head_and_tree()
        if expected_head is not None and expected_head != head:
            raise HeadMovedError(
                f"HEAD is at {head or 'an unborn branch'}, not {expected_head}: the history "
                "moved since the change was prepared; nothing was committed"
            )
        written = {repo.path(p): bytes(data) for p, data in files.items()}
        removed = [repo.path(p) for p in delete]
        included = [repo.path(p) for p in include_paths]
        everything = [*written, *removed, *included]
        if len(set(everything)) != len(everything) or len(written) != len(files):
            raise HistoryError("a path appears twice among files, delete and include_paths")
        if not everything:
            raise NothingToCommitError("no paths given; nothing to commit")
        for p in included:
            if not (repo.top / p).is_file():
                raise HistoryError(f"{repo.rel(p)} does not exist; nothing was committed")
        _check_base(repo, base or {})
        sample = repo.loose_sample()
        entry = JournalEntry(
            step="intent",
            old_head=head,
            written={p: encode(data) for p, data in written.items()},
            base={p: digest(_read(repo.top / p)) for p in [*written, *removed]},
            removed=list(removed),
            paths=list(everything),
        )
        plan = _CommitPlan(head, head_tree, written, removed, included, message, ident)
        commit = _make_commit(repo, plan, entry, journal, run_hooks)
        # The work tree and index take the new contents BEFORE the branch moves: killed in
        # between, the accepted change is staged (a plain `git commit` commits it, never reverts
        # it) and the journal's replay moves the branch; see `specs.git.journal`.
        originals = {p: _read(repo.top / p) for p in [*written, *removed]}
        _write_worktree(repo, written, removed)
        kill_point("worktree")
        reset_index(repo, commit, everything)
        kill_point("index")
        try:
            _move_ref(repo, plan, commit)
        except HeadMovedError:
            _put_back(repo, originals, head, everything)
            if journal is not None:
                clear(journal)
            raise
        kill_point("ref")
        if journal is not None:
            clear(journal)
        _auto_gc(repo, sample)
        return commit


def _move_ref(repo: GitRepo, plan: _CommitPlan, commit: str) -> None:
    """Move the branch to `commit` by compare-and-swap from the plan's parent."""
    reflog = f"commit{'' if plan.head else ' (initial)'}: {clean_subject(plan.message.subject)}"
    try:
        repo.run("update-ref", "-m", reflog, "HEAD", commit, plan.head or "")
    except HistoryError as exc:
        raise HeadMovedError(
            f"the branch moved while Charter was committing ({exc}); nothing was committed"
        ) from exc


def _put_back(
    repo: GitRepo, originals: Mapping[str, bytes | None], head: str | None, paths: Sequence[str]
) -> None:
    """Undo the early work-tree and index sync of a commit whose branch move was refused."""
    for rel, data in originals.items():
        if data is None:
            with contextlib.suppress(FileNotFoundError):
                (repo.top / rel).unlink()
        else:
            write_file(repo.top / rel, data)
    _index_to(repo, head, paths)


def _index_to(repo: GitRepo, head: str | None, paths: Sequence[str]) -> None:
    """Make the index entries of `paths` (top-relative) match `head`; on an unborn branch
    they leave the index."""
    if head is not None:
        reset_index(repo, head, paths)
    else:
        repo.run("rm", "-q", "--cached", "--ignore-unmatch", "--", *paths)


def _read(path: Path) -> bytes | None:
    """A file's bytes, or None when it is absent."""
    return path.read_bytes() if path.is_file() else None


@dataclass(frozen=True)
class _CommitPlan:
    """What one commit is made of: the parent, the files, the message and the identity."""

    head: str | None
    head_tree: str | None
    written: Mapping[str, bytes]
    removed: Sequence[str]
    included: Sequence[str]
    message: CommitMessage
    ident: Mapping[str, str]


def _check_base(repo: GitRepo, base: Mapping[str, bytes | None]) -> None:
    """Refuse when a path's working-tree content is not what the change was computed from."""
    for rel, expected in base.items():
        path = repo.top / repo.path(rel)
        current = path.read_bytes() if path.is_file() else None
        if current != expected:
            raise HistoryError(
                f"{rel} changed on disk since the change was prepared (a hand edit?); "
                "nothing was committed or overwritten"
            )


def _make_commit(
    repo: GitRepo,
    plan: _CommitPlan,
    entry: JournalEntry,
    journal: Path | None,
    run_hooks: bool,
) -> str:
    """Build the tree in a temporary index and write the commit object (the branch stays).

    All blobs are made by ONE `update-index --add --remove --stdin` run against a scratch work
    tree that holds exactly the paths to commit (`_stage`), so git applies its filters and
    attributes as it would at the real paths. With `core.filemode=false` a path keeps the mode
    it has in HEAD (e.g. an executable bit) and a new one is a plain file, whatever the scratch
    file's mode; a path absent from the scratch tree (a delete) leaves the index. The user's
    hooks run against that index; the journal records each step before the next one.
    """
    head, written, included = plan.head, plan.written, plan.included
    message_bytes = encode_text(render_commit_message(plan.message))
    parent = _scratch_parent(repo, written, included)
    with tempfile.TemporaryDirectory(prefix="charter-commit-", dir=parent) as tmp:
        scratch = Path(tmp) / "tree"
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        if head:
            repo.run("read-tree", head, env=env)
        _stage(repo, scratch, written, included)
        repo.run(
            *("-c", "core.filemode=false", "-c", "core.fsmonitor=false"),
            *("update-index", "--add", "--remove", "--replace", "-z", "--stdin"),
            env={**env, "GIT_DIR": str(repo.git_dir), "GIT_WORK_TREE": str(scratch)},
            cwd=scratch,  # the names as the scratch files were created under (`fsencode`)
            data=b"".join(os.fsencode(p) + b"\0" for p in [*written, *included, *plan.removed]),
        )
        tree = repo.text("write-tree", env=env)
        if head and tree == plan.head_tree:
            raise NothingToCommitError("the change leaves the spec as it is; nothing to commit")
        if run_hooks:
            message_bytes = run_commit_hooks(repo, message_bytes, env)
    if journal is not None:
        write_entry(journal, entry)
    kill_point("intent")
    parents = ["-p", head] if head else []
    commit = repo.text("commit-tree", tree, *parents, env=plan.ident, data=message_bytes)
    if journal is not None:
        write_entry(journal, entry.model_copy(update={"step": "objects", "commit": commit}))
    kill_point("objects")
    return commit


def _scratch_parent(repo: GitRepo, written: Mapping[str, bytes], included: Sequence[str]) -> str:
    """Where to build the temporary index and scratch tree: in memory when it can.

    A tmpfs (`$XDG_RUNTIME_DIR`, `/dev/shm`) spares the disk journal the index and file
    writes, which on a busy disk cost more than the git processes themselves. The on-disk
    files to commit are copied there, so when they are large, or memory has no room for the
    scratch (twice its size, to be safe), it goes next to the repository instead, where they
    are hard-linked.
    """
    copied = 0
    for path in included:
        with contextlib.suppress(OSError):  # a vanished file is reported by `_stage`
            copied += (repo.top / path).stat().st_size
    if copied > _SCRATCH_COPY_LIMIT:
        return str(repo.git_dir)
    need = copied + sum(len(data) for data in written.values())
    with contextlib.suppress(OSError):
        need += (repo.git_dir / "index").stat().st_size  # the temporary index is about as big
    for candidate in (os.environ.get("XDG_RUNTIME_DIR"), "/dev/shm"):
        if not candidate or not os.access(candidate, os.W_OK | os.X_OK):
            continue
        with contextlib.suppress(OSError):
            free = os.statvfs(candidate)
            if free.f_bavail * free.f_frsize > 2 * need + _SCRATCH_SLACK:
                return candidate
    return str(repo.git_dir)


def _stage(
    repo: GitRepo, scratch: Path, written: Mapping[str, bytes], included: Sequence[str]
) -> None:
    """Lay out the scratch work tree: new contents, on-disk files linked, and attributes.

    Each directory on the way to a path gets the real work tree's `.gitattributes`, or an empty
    one where it has none (or only a symlink, which git ignores): `hash-object --path`, which
    this replaces, reads attributes from the work tree only, never from an index copy.
    """
    try:
        scratch.mkdir()
        for path, data in written.items():
            target = scratch / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        for path in included:
            target = scratch / path
            target.parent.mkdir(parents=True, exist_ok=True)
            _link_or_copy(repo.top / path, target)
        dirs = {d for p in [*written, *included] for d in PurePosixPath(p).parents}
        for d in sorted(dirs):
            target = scratch / d / ".gitattributes"
            if target.exists():
                continue  # committed itself
            source = repo.top / d / ".gitattributes"
            if source.is_file() and not source.is_symlink():
                _link_or_copy(source, target)
            else:
                target.touch()
    except OSError as exc:
        raise HistoryError(f"could not prepare the commit: {exc}; nothing was committed") from exc


def _link_or_copy(source: Path, target: Path) -> None:
    """Hard-link `source` (following symlinks, as git reads it) at `target`, or copy it."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _auto_gc(repo: GitRepo, before: int) -> None:
    """The housekeeping `git commit` does and plumbing skips: `gc --auto`, when it may be due.

    git decides from how many loose objects one sample directory holds, a count that changes
    only when an object lands there; so git is asked when this commit saw the count grow, or
    when it is already past the default threshold (a gc git could not run before).
    """
    after = repo.loose_sample()
    if after > before or after > GC_SAMPLE_THRESHOLD:
        with contextlib.suppress(HistoryError):
            repo.run("gc", "--auto", "--quiet")


def _write_worktree(repo: GitRepo, written: Mapping[str, bytes], removed: Sequence[str]) -> None:
    """Put the committed contents in the working tree (atomically per file)."""
    for rel, data in written.items():
        write_file(repo.top / rel, data)
    for rel in removed:
        with contextlib.suppress(FileNotFoundError):
            (repo.top / rel).unlink()


def write_file(target: Path, data: bytes) -> None:
    """Replace one work-tree file atomically, keeping its mode (a new one gets the umask's)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        if target.exists():
            os.chmod(tmp, target.stat().st_mode & 0o7777)
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    """The process umask (read without changing it for long)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def reset_index(repo: GitRepo, commit: str, paths: Sequence[str]) -> None:
    """Make the real index match the new HEAD for exactly `paths`, waiting out a busy index."""
    deadline = time.monotonic() + _INDEX_RETRY_SECONDS
    while True:
        try:
            repo.run("reset", "-q", commit, "--", *paths)
            return
        except HistoryError as exc:
            if "index.lock" not in str(exc) or time.monotonic() > deadline:
                raise HistoryError(
                    f"committed {commit[:12]}, but git's index could not be updated ({exc}); "
                    f"run git reset -q -- {' '.join(repo.rel(p) for p in paths)}"
                ) from exc
            time.sleep(0.1)


def unstage_paths(repo_root: Path, paths: Sequence[str]) -> None:
    """Make the index entries of `paths` (root-relative) match HEAD again, as `git stash` does;
    on an unborn branch they leave the index."""
    if not paths:
        return
    with open_repo(repo_root) as repo:
        _index_to(repo, repo.head(), [repo.path(p) for p in paths])
