"""The spec commit as git sees it: file modes, attributes and filters, identity, packed history.

`commit_spec_change` builds its tree with plumbing in a scratch index and work tree, so these
check what `git add` + `git commit` would have given a user: an executable bit kept, clean
filters applied, a changed git identity picked up by the next commit of the same process, and a
commit on top of a history that `git gc` has packed.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from charter.specs import CommitMessage, NothingToCommitError, commit_spec_change

SPEC = "specs/telemetry.md"


def git(root: Path, *args: str) -> str:
    """Run git in `root` and return its stdout."""
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout


def message(subject: str = "a change") -> CommitMessage:
    """A minimal spec commit message."""
    return CommitMessage(subject=subject)


def test_modes_attributes_and_filters_are_git_s_own(workspace: Path) -> None:
    """An executable file stays executable, a new one is plain, a clean filter is applied."""
    git(workspace, "config", "filter.shout.clean", "tr a-z A-Z")
    git(workspace, "config", "filter.shout.smudge", "cat")
    (workspace / "specs" / ".gitattributes").write_text("*.loud filter=shout\n")
    tool = workspace / "specs" / "check.sh"
    tool.write_text("echo old\n")
    tool.chmod(0o755)
    git(workspace, "add", "specs/check.sh", "specs/.gitattributes")
    git(workspace, "commit", "-q", "-m", "seed")

    commit_spec_change(
        workspace,
        files={"specs/check.sh": b"echo new\n", "specs/notes.loud": b"quiet words\n", SPEC: b"x\n"},
        message=message(),
    )

    tree = {
        line.split("\t")[1]: line.split(" ")[0]
        for line in git(workspace, "ls-tree", "-r", "HEAD").splitlines()
    }
    assert tree["specs/check.sh"] == "100755"
    assert tree["specs/notes.loud"] == "100644"
    assert tree[SPEC] == "100644"
    assert git(workspace, "show", "HEAD:specs/notes.loud") == "QUIET WORDS\n"
    assert git(workspace, "show", "HEAD:specs/check.sh") == "echo new\n"
    assert tool.stat().st_mode & 0o111  # the working copy kept its mode too
    assert git(workspace, "status", "--porcelain", "--", "specs/check.sh", SPEC) == ""


def test_a_changed_identity_is_used_by_the_next_commit(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Editing git config, or setting GIT_AUTHOR_NAME, between two commits of one process."""
    commit_spec_change(workspace, files={SPEC: b"1\n"}, message=message())
    assert git(workspace, "log", "-1", "--format=%an <%ae>") == "Test User <test@example.com>\n"

    git(workspace, "config", "user.name", "Repo Person")
    commit_spec_change(workspace, files={SPEC: b"2\n"}, message=message())
    assert git(workspace, "log", "-1", "--format=%an|%cn") == "Repo Person|Repo Person\n"

    monkeypatch.setenv("GIT_AUTHOR_NAME", "Env Author")
    commit_spec_change(workspace, files={SPEC: b"3\n"}, message=message())
    assert git(workspace, "log", "-1", "--format=%an|%cn") == "Env Author|Repo Person\n"


def test_commits_on_a_packed_history_and_nothing_to_commit(workspace: Path) -> None:
    """After `git gc` packed HEAD, the next commit still builds on it; an unchanged tree is
    refused."""
    first = commit_spec_change(workspace, files={SPEC: b"one\n"}, message=message())
    git(workspace, "gc", "-q")
    second = commit_spec_change(
        workspace, files={SPEC: b"two\n"}, message=message(), expected_head=first
    )
    assert git(workspace, "rev-parse", "HEAD^").strip() == first
    assert git(workspace, "rev-parse", "HEAD").strip() == second
    git(workspace, "gc", "-q")
    with pytest.raises(NothingToCommitError):
        commit_spec_change(workspace, files={SPEC: b"two\n"}, message=message())
    assert git(workspace, "rev-parse", "HEAD").strip() == second
