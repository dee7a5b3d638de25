"""One commit's tree: which commit a revision names, and the blobs under a directory as that
commit has them (`spec_tree_at`, `spec_files_at`), read with one `ls-tree` and at most one
`cat-file --batch`. The history of commits is `log`."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from charter.specs.git.repo import GitRepo, HistoryError, open_repo

SYMLINK_MODE = "120000"


def _dir_spec(repo: GitRepo, directory: Path | str) -> str:
    """`repo.dir_spec`, turning a directory outside the work tree into a HistoryError."""
    try:
        return repo.dir_spec(directory)
    except ValueError as exc:
        raise HistoryError(f"{directory} is outside the repository at {repo.top}") from exc


def _start(repo: GitRepo, rev: str) -> str | None:
    """The commit `rev` names; None for HEAD on an unborn branch; else HistoryError."""
    out = (
        repo.run("rev-parse", "-q", "--verify", "--end-of-options", f"{rev}^{{commit}}", ok=(0, 1))
        .decode()
        .strip()
    )
    if not out and rev != "HEAD":
        raise HistoryError(f"unknown revision {rev!r}")
    return out or None


def _verify_rev(repo: GitRepo, rev: str) -> str:
    """The commit `rev` names, or HistoryError naming the revision."""
    out = _start(repo, rev)
    if out is None:
        raise HistoryError("there are no commits yet")
    return out


@dataclass(frozen=True)
class SpecTree:
    """A directory as committed in one commit: its blobs by path relative to that directory."""

    commit: str
    path: str
    """The directory, relative to the repository's top level (`.` for the top itself)."""
    files: dict[str, bytes]
    """Regular files (any name; `specs.loader` decides which are the spec)."""
    links: dict[str, bytes] = field(default_factory=dict)
    """Symbolic links (the blob is the link's target)."""

    @property
    def found(self) -> bool:
        """Whether the commit has the directory at all (git keeps no empty directories)."""
        return bool(self.files or self.links)

    @property
    def blobs(self) -> dict[str, bytes]:
        """Files and links together, sorted by path: what `spec_files_at` returns."""
        return dict(sorted({**self.files, **self.links}.items()))


def spec_tree_at(
    repo_root: Path, rev: str, spec_dir: Path | str, known: Iterable[bytes] = ()
) -> SpecTree:
    """Every blob under `spec_dir` in the tree of `rev`'s commit; HistoryError for a bad rev.

    `known` are contents the caller holds already (e.g. the work tree's files): a blob whose
    object ID is one of theirs is not read from git again (IDs name contents exactly)."""
    with open_repo(repo_root) as repo:
        sha = _head(repo) if rev == "HEAD" else _verify_rev(repo, rev)
        spec = _dir_spec(repo, spec_dir)
        out = repo.run("ls-tree", "-r", "-z", "--full-tree", sha, "--", spec)
        entries: list[tuple[str, str, str]] = []
        for entry in filter(None, out.decode("utf-8", "surrogateescape").split("\0")):
            info, _, path = entry.partition("\t")
            mode, kind, obj = info.split(" ")
            if kind == "blob":
                rel = path if spec == "." else path.removeprefix(spec.rstrip("/") + "/")
                entries.append((rel, mode, obj))
        have = {_blob_id(data, len(sha)): data for data in known}
        missing = [obj for _, _, obj in entries if obj not in have]
        have.update(zip(missing, _read_blobs(repo, missing), strict=True))
        tree = SpecTree(sha, spec, {}, {})
        for rel, mode, obj in entries:
            (tree.links if mode == SYMLINK_MODE else tree.files)[rel] = have[obj]
        return tree


def _head(repo: GitRepo) -> str:
    """HEAD's commit, read without a git process where that is exact; HistoryError if unborn."""
    head, _tree = repo.head_and_tree()
    if head is None:
        raise HistoryError("there are no commits yet")
    return head


def _blob_id(data: bytes, hex_len: int) -> str:
    """The object ID git gives `data` as a blob (SHA-1, or SHA-256 in a repository using it)."""
    algorithm = "sha256" if hex_len == 64 else "sha1"
    return hashlib.new(algorithm, b"blob %d\0" % len(data) + data).hexdigest()


def _read_blobs(repo: GitRepo, objects: list[str]) -> list[bytes]:
    """The contents of `objects`, in order, from one `git cat-file --batch`."""
    if not objects:
        return []
    out = repo.run("cat-file", "--batch", data="".join(f"{o}\n" for o in objects).encode())
    blobs: list[bytes] = []
    pos = 0
    for _ in objects:
        end = out.index(b"\n", pos)
        size = int(out[pos:end].split()[2])
        blobs.append(out[end + 1 : end + 1 + size])
        pos = end + 1 + size + 1  # the content is followed by a newline
    return blobs


def spec_files_at(
    repo_root: Path, rev: str, spec_dir: Path | str, known: Iterable[bytes] = ()
) -> dict[str, bytes]:
    """The spec dir's files as committed in `rev` (paths relative to the spec dir); `known` as
    for `spec_tree_at`."""
    return spec_tree_at(repo_root, rev, spec_dir, known).blobs
