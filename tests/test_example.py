"""The bundled example workspace that `make run` opens: it must be a real, valid workspace."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from charter.app.services.example import ROOT, materialise
from tests.conftest import run_charter


def test_example_replays_into_a_valid_workspace_with_history(tmp_path: Path) -> None:
    """The example validates (quotes checked against its ledger) and explains its requirements."""
    dest = tmp_path / "example"
    materialise(ROOT / "examples" / "telemetry", dest)

    validate = run_charter("validate", "--json", cwd=dest)
    assert validate.code == 0, validate.out + validate.err
    report = json.loads(validate.out)
    assert report["requirements"] == 6
    assert report["findings"] == []

    log = subprocess.run(
        ["git", "log", "--format=%s"], cwd=dest, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert len(log) == 3
    assert log[0] == "spec: confirm the 1 MiB limit, report days in UTC"

    why = run_charter("why", "PRIV-1", "--json", cwd=dest)
    assert why.code == 0, why.err
    answer = json.loads(why.out)
    quoted = json.dumps(answer)
    assert "never keep the client IP addresses" in quoted
    assert answer["locked"] is True


def test_example_ledger_is_marked_as_an_example(tmp_path: Path) -> None:
    """The first ledger record says the session is scripted, so no one mistakes it for real."""
    dest = tmp_path / "example"
    materialise(ROOT / "examples" / "telemetry", dest)
    show = run_charter("transcript", "show", "--json", cwd=dest)
    assert show.code == 0, show.err
    records = json.loads(show.out)
    assert "EXAMPLE SESSION" in records[0]["text"]


def test_make_run_rebuilds_an_example_interrupted_part_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A copy left half-replayed (no completion marker) is built again, not opened as it is."""
    import charter.app.commands.tui
    import charter.app.services.example

    dest = tmp_path / "example"
    (dest / "specs").mkdir(parents=True)
    (dest / "charter.toml").write_text("", encoding="utf-8")  # what a replay writes first
    opened: list[Path] = []
    monkeypatch.setattr(charter.app.services.example, "DEFAULT_DEST", dest)
    monkeypatch.setattr(charter.app.commands.tui, "open_tui", opened.append)

    assert charter.app.services.example.main(["examples/telemetry"]) == 0

    assert opened == [dest]
    assert run_charter("validate", cwd=dest).code == 0
    assert (
        len(
            subprocess.run(
                ["git", "log", "--format=%s"], cwd=dest, capture_output=True, text=True, check=True
            ).stdout.splitlines()
        )
        == 3
    )
