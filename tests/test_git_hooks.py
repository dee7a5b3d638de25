"""Spec commits run the user's `pre-commit` and `commit-msg` hooks as `git commit` would.

A refusing hook refuses the accept with its own output; nothing is lost and the proposal stays
pending. `core.hooksPath` is honoured, and `[git] run_hooks = false` turns the hooks off.
"""

from __future__ import annotations

import stat
from pathlib import Path

from charter.app.config import load_config, write_config
from tests.fakellm import FakeLLM
from tests.scribe_support import add, cli, configure, git, head, proposal, seed

SPEC = "specs/telemetry.md"


def _hook(folder: Path, name: str, body: str) -> Path:
    """Install an executable shell hook."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n" + body, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def _propose(workspace: Path, llm: FakeLLM) -> None:
    """One pending proposal adding ING-3."""
    llm.tool_call("propose_change", proposal("more", add("The service MUST do more.")))
    said = cli(workspace, "say", "more please", env=llm.env())
    assert said.code == 0, said.err


def test_failing_pre_commit_hook_refuses_the_accept(workspace: Path, llm: FakeLLM) -> None:
    """The hook's output is shown, nothing is committed, the proposal stays pending."""
    configure(workspace)
    base = seed(workspace)
    _propose(workspace, llm)
    before = (workspace / SPEC).read_bytes()
    hook = _hook(
        workspace / ".git" / "hooks",
        "pre-commit",
        'git diff --cached --name-only > "$(git rev-parse --git-dir)/staged.txt"\n'
        'echo "spec-lint: line 12 is too long" >&2\nexit 1\n',
    )
    refused = cli(workspace, "accept")
    assert refused.code == 1
    assert "pre-commit hook refused" in refused.err and "spec-lint: line 12" in refused.err
    assert head(workspace) == base
    assert (workspace / SPEC).read_bytes() == before
    staged = (workspace / ".git" / "staged.txt").read_text().split()
    assert SPEC in staged, "the hook saw the spec change as the commit's index"
    assert cli(workspace, "pending").code == 0

    hook.unlink()
    accepted = cli(workspace, "accept")
    assert accepted.code == 0, accepted.err
    assert "ING-3" in git(workspace, "show", f"HEAD:{SPEC}")


def test_commit_msg_hook_in_core_hooks_path_edits_the_message(
    workspace: Path, llm: FakeLLM
) -> None:
    """`core.hooksPath` is honoured and a commit-msg hook may add to the message."""
    configure(workspace)
    seed(workspace)
    hooks = workspace / "githooks"
    _hook(hooks, "commit-msg", 'printf "\\nReviewed-by: hook\\n" >> "$1"\n')
    git(workspace, "config", "core.hooksPath", "githooks")
    _propose(workspace, llm)
    assert cli(workspace, "accept").code == 0
    message = git(workspace, "log", "-1", "--format=%B")
    assert "Reviewed-by: hook" in message and "Charter-Proposal: p-0001" in message


def test_run_hooks_false_skips_them(workspace: Path, llm: FakeLLM) -> None:
    """`[git] run_hooks = false`: a refusing hook does not run for spec commits."""
    configure(workspace)
    seed(workspace)
    config = load_config(workspace / "charter.toml")
    config.git.run_hooks = False
    write_config(workspace / "charter.toml", config)
    git(workspace, "commit", "-qam", "hooks off")
    _hook(workspace / ".git" / "hooks", "pre-commit", "exit 1\n")
    _propose(workspace, llm)
    accepted = cli(workspace, "accept")
    assert accepted.code == 0, accepted.err
    assert "ING-3" in git(workspace, "show", f"HEAD:{SPEC}")
