"""Writing a tree of files to a new branch of the user's repository, with plumbing only.

Used to take a build's generated codebase out (`charter build export ID --branch NAME`). The
blobs are written with `hash-object`, the tree through a temporary index file outside the
repository (so the user's index is never read or written), the commit with `commit-tree` (no
hooks, no checkout) and the branch with `update-ref` against the all-zero old value, so git itself
refuses atomically when the branch already exists. The user's current branch, index, work tree
and stash are never touched. Also `ancestor_of`, which tells builds of one spec lineage apart.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path

from charter.specs.git.repo import HistoryError, open_repo

ZERO = "0" * 40
REGULAR, EXECUTABLE = "100644", "100755"


class BranchExistsError(HistoryError):
    """The branch an export would create already exists."""


def ancestor_of(repo_root: Path, ancestor: str, descendant: str) -> bool:
    """Whether commit `ancestor` is `descendant` or one of its ancestors (False if unknown)."""
    with open_repo(repo_root) as repo:
        try:  # exit 1: not an ancestor; 128: an unknown commit
            repo.run("merge-base", "--is-ancestor", ancestor, descendant)
        except HistoryError:
            return False
        return True


def commit_to_new_branch(
    repo_root: Path,
    branch: str,
    files: Mapping[str, tuple[bytes, bool]],
    message: str,
) -> str:
    """Commit `files` (path → (bytes, executable)) as the only commit of a new branch `branch`
    and return its SHA; BranchExistsError when the branch exists, HistoryError on a bad name."""
    with open_repo(repo_root) as repo:
        repo.run("check-ref-format", "--branch", branch)
        ref = f"refs/heads/{branch}"
        if repo.run("rev-parse", "-q", "--verify", ref, ok=(0, 1)).strip():
            raise BranchExistsError(
                f"branch {branch} already exists; export to a new name (nothing was changed)"
            )
        identity = repo.identity()
        with tempfile.TemporaryDirectory(prefix="charter-export-") as tmp:
            index = Path(tmp) / "index"
            env = {"GIT_INDEX_FILE": str(index)}
            paths = sorted(files)
            blobs = Path(tmp) / "blobs"
            blobs.mkdir()
            for n, path in enumerate(paths):  # numbered names: paths may hold any character
                (blobs / str(n)).write_bytes(files[path][0])
            names = "".join(f"{blobs / str(n)}\n" for n in range(len(paths))).encode()
            shas = repo.text("hash-object", "-w", "--no-filters", "--stdin-paths", data=names)
            entries = [
                f"{EXECUTABLE if files[path][1] else REGULAR} {sha}\t{path}"
                for path, sha in zip(paths, shas.split(), strict=True)
            ]
            listing = "".join(e + "\0" for e in entries).encode("utf-8")
            repo.run("update-index", "--add", "-z", "--index-info", data=listing, env=env)
            tree = repo.text("write-tree", env=env)
        commit = repo.text(
            "commit-tree", tree, "-F", "-", data=message.encode("utf-8"), env=identity
        )
        try:
            repo.run("update-ref", "-m", f"charter: export to {branch}", ref, commit, ZERO)
        except HistoryError as exc:  # created by someone else since the check above
            raise BranchExistsError(
                f"branch {branch} already exists; export to a new name (nothing was changed)"
            ) from exc
        return commit
