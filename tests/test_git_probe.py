"""Where a repository stands, asked through `charter.specs` (the TUI's status bar polls these).

Real git in temp dirs: HEAD and the branch before the first commit, after it, and detached.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from charter.specs import current_branch, head_commit, init_repo, probe_repo


def git(root: Path, *args: str) -> str:
    """Run git in `root` (the test's own helper)."""
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout.strip()


def test_head_and_branch_through_a_repositorys_life(tmp_path: Path) -> None:
    """Unborn: no HEAD, branch named; committed: HEAD's ID; detached: no branch."""
    root = tmp_path / "repo"
    assert probe_repo(tmp_path).kind == "none"
    assert head_commit(tmp_path) == "" and current_branch(tmp_path) == ""
    init_repo(root)
    found = probe_repo(root)
    assert found.kind == "work-tree" and found.top == root.resolve()
    assert head_commit(root) == "" and current_branch(root) == "main"
    (root / "a.txt").write_text("a\n", encoding="utf-8")
    git(root, "add", "a.txt")
    git(root, "commit", "-qm", "first")
    sha = git(root, "rev-parse", "HEAD")
    assert head_commit(root) == sha
    assert head_commit(root, short=True) == git(root, "rev-parse", "--short", "HEAD")
    git(root, "checkout", "-q", "--detach")
    assert current_branch(root) == "" and head_commit(root) == sha
    assert probe_repo(root / ".git").kind == "git-dir"
