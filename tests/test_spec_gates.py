"""One rule stops work on a broken spec: what `charter validate` calls an ERROR stops a build
(without `--force`) and an audit, through the real CLI.

The spec below cites a message the ledger does not hold: only a check that reads the ledger sees
it, which the builder itself never does, so the gate must be applied before the build starts.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_charter
from tests.fakellm import FakeLLM
from tests.scribe_support import seed

BROKEN = """# Telemetry

## Ingest

- **ING-1** The service MUST accept events.
  > explicit (m-0009): "accept events"
"""
LOCATION = "specs/telemetry.md:6:15"


def test_validation_errors_stop_build_and_audit_unless_forced(
    workspace: Path, llm: FakeLLM
) -> None:
    """validate exits 1; build --plan-only refuses with the same located ERROR and asks no model;
    the audit refuses too; --force builds anyway (the model is asked)."""
    seed(workspace, {"telemetry.md": BROKEN})
    env = {**llm.env(), "PYTHONDONTWRITEBYTECODE": "1"}

    validated = run_charter("validate", cwd=workspace, env=env)
    assert validated.code == 1
    assert f"{LOCATION}: ERROR unknown-message" in validated.out

    built = run_charter("build", "--plan-only", cwd=workspace, env=env)
    assert built.code == 1, built.out + built.err
    assert f"{LOCATION}: ERROR unknown-message" in built.out
    assert "1 validation error(s)" in built.err and "--force" in built.err
    assert "0 validation errors" not in built.out
    assert not (workspace / ".charter" / "builds").exists() or not any(
        (workspace / ".charter" / "builds").iterdir()
    )

    audited = run_charter("audit", cwd=workspace, env=env)
    assert audited.code == 1
    assert f"{LOCATION}: ERROR unknown-message" in audited.out
    assert llm.chat_requests == []

    forced = run_charter("build", "--plan-only", "--force", cwd=workspace, env=env)
    assert "--force: building despite 1 validation error(s)" in forced.err
    assert llm.chat_requests, "with --force the build goes on to the planner"
