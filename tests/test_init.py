"""`charter init`: a new workspace from an empty dir or an existing repository (whose history,
index and files are left alone), idempotence, and clear refusals."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from charter.app.config import Config, load_config, write_config
from tests.conftest import run_charter


def git(root: Path, *args: str) -> str:
    """Run git in `root` and return its stdout."""
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout


def tree(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under `root` (`.git` included): contents and modification time."""
    return {
        p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_init_an_empty_directory(tmp_path: Path) -> None:
    """git init, the layout, `.charter/` ignored, no commit, no secret in charter.toml."""
    proj = tmp_path / "proj"
    proj.mkdir()
    result = run_charter("init", str(proj), cwd=tmp_path, env={"OPENAI_API_KEY": "sk-test-SECRET"})
    assert result.code == 0, result.err
    assert "new git repository" in result.out
    assert "git add charter.toml .gitignore" in result.out
    assert (proj / ".git").is_dir()
    for d in ("specs", "transcripts", ".charter"):
        assert (proj / d).is_dir()
    assert load_config(proj / "charter.toml") == Config()
    assert "sk-test-SECRET" not in (proj / "charter.toml").read_text()
    assert (proj / ".gitignore").read_text() == ".charter/\n"
    assert (
        subprocess.run(["git", "check-ignore", "-q", ".charter/state.db"], cwd=proj).returncode == 0
    )
    assert subprocess.run(["git", "rev-parse", "-q", "--verify", "HEAD"], cwd=proj).returncode != 0
    assert sorted(git(proj, "status", "--porcelain").splitlines()) == [
        "?? .gitignore",
        "?? charter.toml",
    ]
    status = run_charter("status", cwd=proj)
    assert status.code == 0, status.err
    assert "main at no commits yet" in status.out
    assert "lock       free" in status.out


def test_init_creates_a_missing_directory(tmp_path: Path) -> None:
    """A DIR that does not exist yet is created, parents included."""
    result = run_charter("init", "new/proj", cwd=tmp_path)
    assert result.code == 0, result.err
    assert (tmp_path / "new/proj/.git").is_dir()
    assert (tmp_path / "new/proj/charter.toml").is_file()


def test_init_an_existing_repository_with_code(tmp_path: Path) -> None:
    """History, index and the user's files stay exactly as they were; `.gitignore` gains a line."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "app.py").write_text("print('hello')\n")
    (repo / ".gitignore").write_text("node_modules")  # no final newline
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "first")
    (repo / "app.py").write_text("print('hello, world')\n")
    git(repo, "commit", "-q", "-am", "second")
    (repo / "lib.py").write_text("staged = True\n")
    git(repo, "add", "lib.py")
    (repo / "app.py").write_text("print('unstaged edit')\n")
    (repo / "notes.txt").write_text("untracked\n")
    status_before = git(repo, "status", "--porcelain").splitlines()  # (may refresh the index)
    before = tree(repo)

    result = run_charter("init", cwd=repo)
    assert result.code == 0, result.err
    assert "existing git repository" in result.out

    after = tree(repo)
    git_files = {k for k in before if k.startswith(".git/")}
    assert {k: after[k] for k in git_files} == {k: before[k] for k in git_files}
    assert {k for k in after if k.startswith(".git/")} == git_files  # nothing added to .git
    for name in ("app.py", "lib.py", "notes.txt"):
        assert after[name] == before[name]
    assert (repo / ".gitignore").read_text() == "node_modules\n.charter/\n"
    assert sorted(git(repo, "status", "--porcelain").splitlines()) == sorted(
        [*status_before, " M .gitignore", "?? charter.toml"]
    )


def test_reinit_changes_nothing_and_repairs_a_fresh_clone(workspace: Path) -> None:
    """A complete workspace is left alone; a missing empty dir (as after a clone) is re-made."""
    before = tree(workspace)
    again = run_charter("init", str(workspace), cwd=workspace.parent)
    assert again.code == 0, again.err
    assert again.out.strip() == f"{workspace} is already a Charter workspace; nothing changed."
    assert tree(workspace) == before

    (workspace / "transcripts").rmdir()
    repaired = run_charter("init", cwd=workspace)
    assert repaired.code == 0, repaired.err
    assert "created: transcripts/" in repaired.out
    assert (workspace / "transcripts").is_dir()
    assert (workspace / ".gitignore").read_text() == ".charter/\n"


def test_an_existing_ignore_line_is_not_duplicated(tmp_path: Path) -> None:
    """`.gitignore` that already ignores `/.charter` is not touched."""
    (tmp_path / ".gitignore").write_text("dist/\n/.charter\n")
    assert run_charter("init", cwd=tmp_path).code == 0
    assert (tmp_path / ".gitignore").read_text() == "dist/\n/.charter\n"


def refused(result_err: str) -> str:
    """The one-line refusal message (asserting it is exactly one line)."""
    lines = result_err.strip().splitlines()
    assert len(lines) == 1, result_err
    return lines[0]


def test_a_bare_repository_is_refused(tmp_path: Path) -> None:
    """Nothing is written into a bare repository."""
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    before = tree(bare)
    result = run_charter("init", str(bare), cwd=tmp_path)
    assert result.code == 2
    assert "is a bare git repository" in refused(result.err)
    assert tree(bare) == before


def test_a_file_path_is_refused(tmp_path: Path) -> None:
    """A regular file, or a path below one, is not a directory to init."""
    (tmp_path / "notes.txt").write_text("x")
    result = run_charter("init", "notes.txt", cwd=tmp_path)
    assert result.code == 2
    assert refused(result.err).endswith(
        "notes.txt is a file, not a directory; give charter init a directory."
    )
    below = run_charter("init", "notes.txt/sub", cwd=tmp_path)
    assert below.code == 2
    assert "notes.txt is a file, not a directory" in refused(below.err)
    assert (tmp_path / "notes.txt").read_text() == "x"


def test_a_subdirectory_of_a_repository_is_refused(tmp_path: Path) -> None:
    """A workspace is a repository's top level; the refusal names both ways out."""
    git(tmp_path, "init", "-q")
    (tmp_path / "service").mkdir()
    result = run_charter("init", "service", cwd=tmp_path)
    assert result.code == 2
    message = refused(result.err)
    assert f"is inside the git repository at {tmp_path.resolve()}" in message
    assert f"charter init {tmp_path.resolve()}" in message and "git init" in message
    assert list((tmp_path / "service").iterdir()) == []


def _can_write(directory: Path) -> bool:
    """Whether this process can create a file in `directory` (root ignores permission bits)."""
    try:
        with tempfile.TemporaryFile(dir=directory):
            return True
    except OSError:
        return False


def test_an_unwritable_directory_is_refused(tmp_path: Path) -> None:
    """A read-only directory (mode 0555) is refused before anything is written."""
    locked = tmp_path / "readonly"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        if _can_write(locked):
            pytest.skip("running as root: permission bits do not stop this process")
        result = run_charter("init", str(locked), cwd=tmp_path)
        assert result.code == 2
        assert refused(result.err).startswith(f"charter: cannot write to {locked}")
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o755)


@pytest.mark.skipif(not Path("/proc/1").is_dir(), reason="needs Linux procfs")
def test_a_directory_that_refuses_new_files_is_refused(tmp_path: Path) -> None:
    """Also as root: a procfs directory accepts no new files, so init must refuse it."""
    assert not _can_write(Path("/proc/1"))
    result = run_charter("init", "/proc/1", cwd=tmp_path)
    assert result.code == 2
    assert refused(result.err).startswith("charter: cannot write to /proc/1")
    assert not os.path.exists("/proc/1/charter.toml")


@pytest.mark.parametrize("field", ["spec_dir", "transcripts_dir"])
def test_a_configured_directory_outside_the_workspace_is_refused(
    workspace: Path, tmp_path: Path, field: str
) -> None:
    """A hand-edited `charter.toml` pointing a directory outside the workspace gets one line
    naming the file and field from every command (status used to crash with a traceback)."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    toml = workspace / "charter.toml"
    config = load_config(toml)
    setattr(config.workspace, field, str(elsewhere))
    write_config(toml, config)
    for args in (("status",), ("validate",), ("log",), ("transcript", "show")):
        result = run_charter(*args, cwd=workspace)
        assert result.code == 2, (args, result.err)
        assert result.err == (
            f"charter: {toml}: {field} '{elsewhere}' is outside the workspace.\n"
        ), args


def test_a_charter_toml_that_is_not_utf8_is_named_with_its_line(workspace: Path) -> None:
    """A config saved in another encoding gets file:line:column, not a codec traceback."""
    config = workspace / "charter.toml"
    config.write_bytes(config.read_bytes() + b"# caf\xe9\n")
    lines = config.read_bytes().count(b"\n")
    result = run_charter("status", cwd=workspace)
    assert result.code == 2
    assert result.err.strip() == (
        f"charter: {config}:{lines}:6: not valid UTF-8 (save it as UTF-8)"
    )
