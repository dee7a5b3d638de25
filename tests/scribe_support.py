"""Helpers shared by the scribe and intent tests: workspace setup, git and ledger inspection.

Only setup and observation live here (writing a user's spec and committing it, reading git and
the JSONL files); everything under test runs through the CLI or `graphs.intent.IntentSession`.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
from pathlib import Path
from typing import Any

from charter.app.config import load_config, write_config
from tests.conftest import Result

TELEMETRY = """# Telemetry service

Devices send batches of events; the service reports daily totals.

## Ingest

- **ING-1** The service MUST accept `POST /events` with a JSON array of events.
  > inferred: the user described an event collector
- **ING-2** LOCKED The service MUST NOT store client IP addresses.
  > inferred: privacy by default

## Reports

- **REP-1** The service SHOULD report daily totals per device.
  > inferred: the intro says so
"""


def git(root: Path, *args: str, input_text: str | None = None) -> str:
    """Run git in `root` (optionally with stdin) and return stdout; fails the test on error."""
    data = input_text.encode("utf-8") if input_text is not None else None
    done = subprocess.run(["git", *args], cwd=root, input=data, capture_output=True, check=True)
    return done.stdout.decode("utf-8", "replace")


def head(root: Path) -> str | None:
    """HEAD's sha, or None on an unborn branch."""
    done = subprocess.run(
        ["git", "rev-parse", "-q", "--verify", "HEAD"], cwd=root, capture_output=True, check=False
    )
    return done.stdout.decode().strip() or None


def configure(root: Path, *, timeout: float = 5.0, max_retries: int = 0) -> None:
    """Small timeout and no client retries, so endpoint faults fail fast."""
    path = root / "charter.toml"
    config = load_config(path)
    config.model.timeout = timeout
    config.model.max_retries = max_retries
    write_config(path, config)


def seed(root: Path, files: dict[str, str] | None = None) -> str:
    """Write spec files (default: the telemetry example) and commit everything as the user."""
    for rel, text in (files if files is not None else {"telemetry.md": TELEMETRY}).items():
        target = root / "specs" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "user: seed the spec")
    sha = head(root)
    assert sha is not None
    return sha


def ledger_records(root: Path) -> list[dict[str, Any]]:
    """Every record of every session file, in file order."""
    out: list[dict[str, Any]] = []
    for path in sorted((root / "transcripts").glob("*.jsonl")):
        for line in path.read_bytes().split(b"\n"):
            if line.strip():
                out.append(json.loads(line))
    return out


def add(
    text: str,
    quote: str | None = None,
    *,
    msg: str = "m-0001",
    section: str = "Ingest",
    file: str = "telemetry.md",
    reason: str = "the scribe's reading",
) -> dict[str, Any]:
    """A propose_change item adding a requirement (explicit when a quote is given)."""
    item: dict[str, Any] = {"op": "add_requirement", "file": file, "section": section, "text": text}
    if quote is not None:
        item.update(provenance="explicit", messages=[msg], quote=quote)
    else:
        item.update(provenance="inferred", reason=reason)
    return item


def proposal(summary: str, *items: dict[str, Any]) -> dict[str, Any]:
    """propose_change arguments."""
    return {"summary": summary, "items": list(items)}


def cli(
    root: Path,
    *args: str,
    env: dict[str, str] | None = None,
    input: str | bytes | None = None,
) -> Result:
    """Run the real `charter` CLI in-process (Typer's runner) from `root`: fast, same code path."""
    from typer.testing import CliRunner

    from charter.app.cli import cli as root_cli

    runner = CliRunner()
    with contextlib.chdir(root):
        done = runner.invoke(root_cli, list(args), input=input, env=env, catch_exceptions=False)
    return Result(done.exit_code, done.stdout, done.stderr)
