"""Taking a build out: `charter build export` to a directory and to a new branch (plumbing only:
the user's branch, index, work tree and stash stay as they were), and `charter build diff`,
headed by the spec changes between the two builds' revisions.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tests.buildkit import Script, builds, commit_spec, git, result, spec_text, task, tree
from tests.conftest import run_charter
from tests.fakellm import FakeLLM


def spec(one: str = "The app MUST greet in English.") -> dict[str, str]:
    """Two requirements; APP-1's text is the one a test changes."""
    reqs = [("APP-1", one), ("APP-2", "The app MUST count.")]
    return {"app.md": spec_text("App", {"Parts": reqs})}


PLAN = {
    "tasks": [
        task("T1", ["APP-1"], ["src/greet.txt"], "test -f src/greet.txt"),
        task("T2", ["APP-2"], ["count.txt"], "test -f count.txt", ["T1"]),
    ],
    "not_built": [],
}


def coder(tid: str, prompt: str) -> dict:
    """T1 echoes whether it greets in English; T2 writes a fixed file (no final newline)."""
    if tid == "T1":
        word = "hello" if "English" in prompt else "bonjour"
        return result([{"path": "src/greet.txt", "content": f"{word}\nworld\n"}])
    return result([{"path": "count.txt", "content": "1 2 3"}])


def user_state(root: Path) -> dict[str, object]:
    """Everything an export must not touch: HEAD, branch, index, status, stash, work tree."""
    return {
        "head": git(root, "rev-parse", "HEAD"),
        "branch": git(root, "symbolic-ref", "HEAD"),
        "index": hashlib.sha256((root / ".git" / "index").read_bytes()).hexdigest(),
        "status": git(root, "status", "--porcelain=v2", "--untracked-files=all"),
        "stash": git(root, "stash", "list", "--format=%H %s"),
        "files": tree(root),
    }


def test_export_to_a_directory_and_a_branch_then_diff(workspace: Path, llm: FakeLLM) -> None:
    """Files come out byte for byte; the branch export is one parentless commit naming the build
    and the spec commit, refused the second time; the user's state never moves."""
    spec_commit = commit_spec(workspace, spec())
    llm.handler(Script(PLAN, coder))
    assert run_charter("build", cwd=workspace, env=llm.env()).code == 0
    (b1,) = builds(workspace)
    generated = tree(b1 / "workspace")
    assert set(generated) == {"src/greet.txt", "count.txt"}

    # The user is mid-work: a stash, a staged file, an unstaged edit, an untracked file.
    (workspace / "specs" / "app.md").write_text("stashed edit\n")
    git(workspace, "stash")
    (workspace / "staged.txt").write_text("staged\n")
    git(workspace, "add", "staged.txt")
    (workspace / "charter.toml").write_text((workspace / "charter.toml").read_text() + "\n")
    (workspace / "notes.txt").write_text("untracked\n")
    before = user_state(workspace)

    target = workspace.parent / "out"
    out = run_charter("build", "export", b1.name, "--to", str(target), cwd=workspace)
    assert out.code == 0, out.err
    assert tree(target) == generated
    again = run_charter("build", "export", b1.name, "--to", str(target), cwd=workspace)
    assert again.code == 1 and "not empty" in again.err and "--force" in again.err
    forced = run_charter("build", "export", b1.name, "--to", str(target), "--force", cwd=workspace)
    assert forced.code == 0, forced.err

    out = run_charter("build", "export", b1.name, "--branch", "generated/app", cwd=workspace)
    assert out.code == 0, out.err
    sha = git(workspace, "rev-parse", "refs/heads/generated/app").strip()
    listed = git(workspace, "ls-tree", "-r", "--name-only", sha).split()
    assert sorted(listed) == sorted(generated)
    for path, data in generated.items():
        blob = git(workspace, "rev-parse", f"{sha}:{path}").strip()
        assert git(workspace, "cat-file", "blob", blob) == data.decode()
    message = git(workspace, "log", "-1", "--format=%B", sha)
    assert b1.name in message and spec_commit in message and "done" in message
    assert git(workspace, "rev-list", "--parents", "-n1", sha).split() == [sha]
    twice = run_charter("build", "export", b1.name, "--branch", "generated/app", cwd=workspace)
    assert twice.code == 1 and "already exists" in twice.err
    assert git(workspace, "rev-parse", "refs/heads/generated/app").strip() == sha
    assert user_state(workspace) == before

    git(workspace, "reset", "-q", "--hard")
    git(workspace, "clean", "-qfd", "-e", ".charter")
    commit_spec(workspace, spec("The app MUST greet in French."), "french")
    assert run_charter("build", cwd=workspace, env=llm.env()).code == 0
    _, b2 = builds(workspace)
    diff = run_charter("build", "diff", b1.name, b2.name, cwd=workspace)
    assert diff.code == 0, diff.err
    spec_part, files_part = diff.out.split("Generated files:")
    assert "~ APP-1 changed" in spec_part and "APP-2" not in spec_part
    assert "  M src/greet.txt" in files_part and "count.txt" not in files_part
    assert "-hello\n+bonjour\n" in files_part
    doc = json.loads(run_charter("build", "diff", b1.name, b2.name, "--json", cwd=workspace).out)
    assert doc["spec"]["changed"] == ["APP-1"] and doc["changed"] == ["src/greet.txt"]
    bad = run_charter("build", "diff", b1.name, "b-nope", cwd=workspace)
    assert bad.code == 2 and "unknown build b-nope" in bad.err
