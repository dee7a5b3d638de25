"""CLI conventions users expect, run as a user would: `--version`, `-h`, shell completion,
`--json` on `show` and `reindex`, `-q`/`-v`, the LICENSE and the install section of the README;
and the lazy command table that keeps start-up light."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import typer

from charter.app.commands import COMMANDS, load_module
from charter.specs import CommitMessage, Intent, commit_spec_change
from tests.conftest import run_charter

ROOT = Path(__file__).resolve().parent.parent
SPEC = b"# Spec\n\n## Ingest\n\n- **ING-1** The service MUST accept events.\n  > inferred: x\n"


def test_version_and_short_help(tmp_path: Path) -> None:
    """`--version` prints the installed version; `-h` is `--help`, on commands too."""
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    result = run_charter("--version", cwd=tmp_path)
    assert (result.code, result.out) == (0, f"charter {version}\n")
    short, long = run_charter("-h", cwd=tmp_path), run_charter("--help", cwd=tmp_path)
    assert short.code == 0 and short.out == long.out
    assert "--install-completion" in short.out and "why" in short.out
    sub = run_charter("why", "-h", cwd=tmp_path)
    assert sub.code == 0 and "REQ-ID" in sub.out


def test_shell_completion_script_and_completing_a_command(tmp_path: Path) -> None:
    """`--show-completion bash` prints a script for `charter`; completing `sta` gives status."""
    script = run_charter("--show-completion", "bash", cwd=tmp_path)
    assert script.code == 0
    assert "complete" in script.out and "_CHARTER_COMPLETE" in script.out
    env = {"_CHARTER_COMPLETE": "complete_bash", "COMP_WORDS": "charter sta", "COMP_CWORD": "1"}
    completed = run_charter(cwd=tmp_path, env=env)
    assert completed.code == 0 and completed.out.split() == ["status"]


def test_show_json_carries_the_users_words_and_the_diff(workspace: Path) -> None:
    """`charter show REV --json`: sha, subject, verbatim intents, the spec diff."""
    sha = commit_spec_change(
        workspace,
        files={"specs/spec.md": SPEC},
        message=CommitMessage(
            subject="accept events", intents=[Intent(id="m-0001", text="take «events»\n too")]
        ),
    )
    result = run_charter("show", "HEAD", "--json", cwd=workspace)
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert doc["sha"] == sha and doc["subject"] == "spec: accept events"
    assert doc["intents"] == [{"id": "m-0001", "text": "take «events»\n too"}]
    assert "+- **ING-1** The service MUST accept events." in doc["diff"]
    bad = run_charter("show", "no-such-rev", "--json", cwd=workspace)
    assert bad.code == 2 and "no-such-rev" in bad.err


def test_quiet_drops_summaries_and_verbose_adds_where_and_how_long(workspace: Path) -> None:
    """-q: results only (a clean validate prints nothing); -v: workspace and timing on stderr;
    both at once is a usage error."""
    (workspace / "specs" / "spec.md").write_bytes(SPEC)
    plain = run_charter("validate", cwd=workspace)
    assert plain.code == 0 and plain.out.startswith("spec OK")
    quiet = run_charter("-q", "validate", cwd=workspace)
    assert (quiet.code, quiet.out, quiet.err) == (0, "", "")
    assert run_charter("-q", "reindex", cwd=workspace).out == ""
    assert run_charter("--quiet", "status", cwd=workspace).out.startswith("workspace")
    loud = run_charter("-v", "status", cwd=workspace)
    assert loud.code == 0 and loud.out == run_charter("status", cwd=workspace).out
    assert f"charter: workspace {workspace}" in loud.err
    assert "charter: done in " in loud.err
    both = run_charter("-v", "-q", "status", cwd=workspace)
    assert both.code == 2 and "cannot be used together" in both.err


def test_license_matches_pyproject_and_readme_shows_how_to_install() -> None:
    """An MIT LICENSE, as pyproject says; the README installs with pipx / uv from the repo."""
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert meta["license"] == {"text": "MIT"}
    assert (ROOT / "LICENSE").read_text().startswith("MIT License\n")
    readme = (ROOT / "README.md").read_text()
    install = readme[readme.index("## Install") : readme.index("## Quick start")]
    assert "pipx install git+" in install and "uv tool install git+" in install
    assert "make run" in readme[readme.index("## Quick start") :]


def test_the_lazy_command_table_names_every_command() -> None:
    """Each command is looked up in the table, so a command missing from it would load late."""
    registered: dict[str, str] = {}
    for module in sorted(set(COMMANDS.values())):
        holder = load_module(module)
        assert holder is not None
        group = typer.main.get_group(holder)
        registered.update(dict.fromkeys(group.commands, module))
    assert registered == COMMANDS


def test_status_imports_neither_the_model_nor_the_tui_stack(workspace: Path) -> None:
    """Parsing arguments and `charter status` import no LangChain, LangGraph, openai, Textual."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "charter.app.cli", "status"],
        cwd=workspace,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    imported = {
        line.rsplit("|", 1)[-1].strip().split(".")[0]
        for line in proc.stderr.splitlines()
        if line.startswith("import time:")
    }
    heavy = {"langchain", "langchain_core", "langgraph", "openai", "textual"}
    assert imported.isdisjoint(heavy), sorted(imported & heavy)
