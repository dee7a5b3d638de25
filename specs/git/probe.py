"""Questions about a repository before (or without) opening it for the spec, and setting one up.

`charter init` asks where the work tree around a directory has its top level (and refuses a bare
repository or a `.git` directory), runs `git init`, and the example gets a local identity; the TUI
polls HEAD and the branch. Each is one git process in the C locale (see `repo.probe_git`); none
raises for "no repository here".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from charter.specs.git.repo import HistoryError, first_error_line, probe_git

RepoKind = Literal["none", "bare", "git-dir", "work-tree"]


@dataclass(frozen=True)
class RepoProbe:
    """What is at a directory: no repository, a bare one, a `.git` directory, or a work tree."""

    kind: RepoKind
    top: Path | None = None
    """The work tree's top level (only for `work-tree`)."""


def probe_repo(path: Path) -> RepoProbe:
    """Find the repository around `path`; HistoryError (git's own words) when git cannot tell."""
    code, out, err = probe_git(
        ["rev-parse", "--is-bare-repository", "--is-inside-git-dir"], cwd=path
    )
    if code != 0 and "not a git repository" in err:
        return RepoProbe("none")
    flags = out.decode("utf-8", "replace").split()
    if flags[:1] == ["true"]:
        return RepoProbe("bare")
    if flags[1:2] == ["true"]:
        return RepoProbe("git-dir")
    if code != 0:
        raise HistoryError(first_error_line(err))
    code, out, err = probe_git(["rev-parse", "--show-toplevel"], cwd=path)
    if code != 0:
        raise HistoryError(first_error_line(err))
    return RepoProbe("work-tree", Path(out.decode("utf-8", "replace").strip()).resolve())


def init_repo(path: Path) -> None:
    """`git init` a new repository at `path` (created if missing); HistoryError on failure."""
    code, _, err = probe_git(["init", "-q", str(path)])
    if code != 0:
        raise HistoryError(first_error_line(err))


def ensure_identity(root: Path, name: str, email: str) -> bool:
    """Give the repository at `root` a local identity when git has no email for it; True if set."""
    code, out, _ = probe_git(["config", "user.email"], cwd=root)
    if code == 0 and out.strip():
        return False
    for key, value in (("user.name", name), ("user.email", email)):
        code, _, err = probe_git(["config", key, value], cwd=root)
        if code != 0:
            raise HistoryError(f"git config {key}: {first_error_line(err)}")
    return True


def head_commit(root: Path, *, short: bool = False) -> str:
    """HEAD's commit ID (abbreviated with `short`); "" before the first commit or outside git."""
    args = ["rev-parse", *(["--short"] if short else []), "-q", "--verify", "HEAD"]
    code, out, _ = probe_git(args, cwd=root)
    return out.decode().strip() if code == 0 else ""


def current_branch(root: Path) -> str:
    """The checked-out branch's short name; "" when HEAD is detached or outside git."""
    code, out, _ = probe_git(["symbolic-ref", "--short", "-q", "HEAD"], cwd=root)
    return out.decode().strip() if code == 0 else ""
