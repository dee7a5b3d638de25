"""The build's only input: the spec files as blobs of one commit's tree.

Nothing here reads the working directory, the ledger or `state.db`: a revision is resolved to a
commit with GitPython and the `*.md` blobs under the spec dir are read from that commit's tree.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class SourceError(ValueError):
    """The revision or the spec dir could not be resolved; the message says what to fix."""


@dataclass(frozen=True)
class SpecSource:
    """The spec at one commit: its files (path relative to the spec dir → bytes)."""

    rev: str
    commit: str
    files: dict[str, bytes]
    skipped: tuple[str, ...] = ()


def read_spec(root: Path, spec_dir: Path, rev: str) -> SpecSource:
    """Read `<spec_dir>/**/*.md` from the tree of `rev`'s commit (never from the disk)."""
    import git

    try:
        repo = git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
        raise SourceError(f"{root} is not a git repository") from exc
    try:
        try:
            commit = repo.commit(rev)
        except (git.BadName, ValueError, git.GitCommandError) as exc:
            raise SourceError(f"unknown revision {rev!r}: no such commit in {root}") from exc
        top = Path(repo.working_tree_dir or root).resolve()
        try:
            rel = spec_dir.resolve().relative_to(top).as_posix()
        except ValueError as exc:
            raise SourceError(f"the spec dir {spec_dir} is outside the repository {top}") from exc
        try:
            tree = commit.tree / rel if rel not in ("", ".") else commit.tree
        except KeyError as exc:
            raise SourceError(
                f"commit {commit.hexsha[:10]} has no `{rel}/` directory: commit the spec first"
            ) from exc
        files: dict[str, bytes] = {}
        skipped: list[str] = []
        for item in tree.traverse():
            if item.type != "blob" or not item.path.endswith(".md"):
                continue
            path = item.path[len(rel) + 1 :] if rel not in ("", ".") else item.path
            if item.mode & 0o170000 == 0o120000:  # a symlink in the tree is not a spec file
                skipped.append(path)
                continue
            files[path] = item.data_stream.read()
        return SpecSource(rev, commit.hexsha, dict(sorted(files.items())), tuple(skipped))
    finally:
        repo.close()
