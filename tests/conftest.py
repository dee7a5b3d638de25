"""Shared test setup: an isolated git identity and HOME, no API keys, and a CLI runner.

Every test runs with HOME pointing at a temporary directory whose `.gitconfig` holds a test
identity, so tests pass on a fresh machine and never read the developer's own configuration.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fakellm import llm  # noqa: F401  (the scripted model endpoint fixture)

ROOT = Path(__file__).resolve().parent.parent
SECRET_VARS = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "CHARTER_MODEL", "OPENAI_ORG_ID")


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Give each test its own HOME with a git identity, and strip model-related variables."""
    home = tmp_path_factory.mktemp("home")
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Test User\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    for var in (
        *SECRET_VARS,
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
        "GIT_DIR",
        "GIT_INDEX_FILE",
        "GIT_WORK_TREE",
    ):
        monkeypatch.delenv(var, raising=False)
    return home


@dataclass
class Result:
    """What a `charter` subprocess did."""

    code: int
    out: str
    err: str


def run_charter(
    *args: str,
    cwd: Path,
    input: str | bytes | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> Result:
    """Run the real `charter` CLI in a subprocess, as a user would from a shell."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    data = input.encode() if isinstance(input, str) else input
    proc = subprocess.run(
        # Run from inside the workspace on purpose: its `specs/` and `transcripts/` folders must
        # not shadow Charter's packages, which live under the `charter` namespace.
        [sys.executable, "-m", "charter.app.cli", *args],
        cwd=cwd,
        input=data,
        # CI runs with no standard input: never let a command wait on an inherited one.
        stdin=subprocess.DEVNULL if data is None else None,
        capture_output=True,
        env=full_env,
        timeout=timeout,
        check=False,
    )
    return Result(
        proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace")
    )


@pytest.fixture
def charter() -> object:
    """The `run_charter` helper, as a fixture."""
    return run_charter


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Path]:
    """A fresh, initialised Charter workspace in a temporary git repository.

    Made in-process (what `charter init` calls); tests/test_init.py covers the command itself.
    """
    from charter.app.workspace import init_workspace

    root = tmp_path / "ws"
    root.mkdir()
    init_workspace(root)
    yield root
    shutil.rmtree(root, ignore_errors=True)
