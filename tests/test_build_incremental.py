"""Incremental, reproducible and resumable builds: reuse by input hash, replay from the response
cache with no model, and resume after SIGKILL without redoing finished tasks.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from charter.app.cli import cli
from tests.buildkit import (
    Script,
    builds,
    commit_spec,
    commits,
    kill_once_done,
    record,
    result,
    set_build,
    spec_text,
    task,
    tree,
)
from tests.conftest import run_charter
from tests.fakellm import FakeLLM

REQ_LINE = re.compile(r"^- \*\*(APP-\d)\*\* (.*)$", re.MULTILINE)


def spec(one: str = "The app MUST greet in English.") -> dict[str, str]:
    """Three requirements; APP-1's text is the one the test changes."""
    return {
        "app.md": spec_text(
            "App",
            {
                "Parts": [
                    ("APP-1", one),
                    ("APP-2", "The app MUST count."),
                    ("APP-3", "The app MUST report."),
                ]
            },
        )
    }


PLAN = {
    "tasks": [
        task("T1", ["APP-1"], ["t1.txt"], "test -f t1.txt"),
        task("T2", ["APP-2"], ["t2.txt"], "grep -q good t2.txt"),
        task("T3", ["APP-3"], ["t3.txt"], "test -f t3.txt", ["T1"]),
    ],
    "not_built": [],
}


def coder(tid: str, prompt: str) -> dict:
    """Files echo the task's requirement text, so a changed requirement changes the output.
    T2 starts wrong and needs the fixer (so replays must reproduce a fixer request)."""
    text = REQ_LINE.search(prompt).group(2)  # type: ignore[union-attr]
    content = "bad\n" if tid == "T2" else f"{tid}: {text}\n"
    if tid == "T3":
        content += "upstream: " + ("English" if "English" in prompt else "other") + "\n"
    return result([{"path": f"{tid.lower()}.txt", "content": content}])


def fixer(tid: str, prompt: str) -> dict:
    """Fix T2."""
    return result([{"path": f"{tid.lower()}.txt", "content": "good\n"}])


def test_rebuild_runs_only_changed_tasks_and_replay_needs_no_model(
    workspace: Path, llm: FakeLLM
) -> None:
    """After APP-1 changes only T1 and its dependent T3 reach the model; an unchanged rebuild
    makes no call at all; a replay reproduces a build byte for byte while the endpoint fails."""
    commit_spec(workspace, spec())
    script = Script(PLAN, coder, fixer)
    llm.handler(script)
    first = run_charter("build", cwd=workspace, env=llm.env())
    assert first.code == 0, first.err + first.out
    assert (script.count("coder"), script.count("fixer")) == (3, 1)

    commit_spec(workspace, spec("The app MUST greet in French."), "change APP-1")
    second = run_charter("build", "--json", cwd=workspace, env=llm.env())
    assert second.code == 0, second.err + second.out
    assert script.count("planner") == 2  # the spec changed, so the plan request did
    assert [script.count("coder", t) for t in ("T1", "T2", "T3")] == [2, 1, 2]
    assert script.count("fixer") == 1
    b1, b2 = builds(workspace)
    tasks2 = json.loads(second.out)["tasks"]
    assert tasks2["T2"]["reused_from"] == b1.name
    assert tasks2["T1"]["reused_from"] is None and tasks2["T3"]["reused_from"] is None
    assert (b2 / "workspace" / "t1.txt").read_text() == "T1: The app MUST greet in French.\n"
    assert (b2 / "workspace" / "t2.txt").read_text() == "good\n"
    assert len(commits(b2 / "workspace")) == 3
    assert "reused from build " + b1.name in (b2 / "report.md").read_text().replace(
        "Reused from build", "reused from build"
    )

    before = len(llm.requests)
    third = run_charter("build", cwd=workspace, env=llm.env())
    assert third.code == 0, third.err + third.out
    assert len(llm.requests) == before  # unchanged spec: cached plan, every task reused

    script.down = True  # from now on the endpoint answers HTTP 500 to everything
    replay = run_charter("build", "--replay", b1.name, "--json", cwd=workspace, env=llm.env())
    assert replay.code == 0, replay.err + replay.out
    assert len(llm.requests) == before
    summary = json.loads(replay.out)
    assert summary["replay_identical"] is True
    assert summary["tasks"]["T2"]["attempts"] == 1  # the fixer's answer came from the cache
    r = Path(summary["path"])
    assert tree(r / "workspace") == tree(b1 / "workspace")


def test_replay_with_a_cache_miss_is_an_error(workspace: Path, llm: FakeLLM) -> None:
    """Without the cached responses a replay stops with a clear error, not a model call."""
    commit_spec(workspace, spec())
    llm.handler(Script(PLAN, coder, fixer))
    assert run_charter("build", cwd=workspace, env=llm.env()).code == 0
    (b1,) = builds(workspace)
    for entry in (workspace / ".charter" / "cache").rglob("*.json"):
        entry.unlink()
    before = len(llm.requests)
    out = run_charter("build", "--replay", b1.name, cwd=workspace, env=llm.env())
    assert out.code == 1
    assert "replay: no cached" in out.out + out.err
    assert len(llm.requests) == before
    assert "Traceback" not in out.err, out.err


def test_resume_after_sigkill_redoes_no_finished_task(workspace: Path, llm: FakeLLM) -> None:
    """Kill `charter build` once a task is done; `--resume` finishes the rest and leaves the
    finished task alone (one call record, one commit)."""
    commit_spec(workspace, spec())
    plan = {
        "tasks": [
            task("T1", ["APP-1"], ["t1.txt"], "test -f t1.txt"),
            task("T2", ["APP-2"], ["t2.txt"], "test -f t2.txt"),
            task("T3", ["APP-3"], ["t3.txt"], "test -f t3.txt", ["T1", "T2"]),
        ],
        "not_built": [],
    }

    def slow_first_t2(role: str, tid: str) -> float:
        """T2's first coder call hangs long enough for the test to kill the build."""
        return 30.0 if tid == "T2" and script.count("coder", "T2") == 1 else 0.0

    def plain(tid: str, prompt: str) -> dict:
        """One file per task."""
        return result([{"path": f"{tid.lower()}.txt", "content": f"{tid}\n"}])

    script = Script(plan, plain, delay=slow_first_t2)
    llm.handler(script)
    bdir = kill_once_done(workspace, llm.env())
    assert record(bdir)["tasks"]["T2"]["state"] != "done"
    listed = run_charter("builds", "--json", cwd=workspace)
    assert json.loads(listed.out)[0]["status"] == "interrupted"

    out = run_charter("build", "--resume", bdir.name, "--json", cwd=workspace, env=llm.env())
    assert out.code == 0, out.err + out.out
    final = record(bdir)
    assert final["status"] == "done" and final["options"]["resumed"] == 1
    assert {t: s["state"] for t, s in final["tasks"].items()} == dict.fromkeys(
        ("T1", "T2", "T3"), "done"
    )
    t1_calls = [p.name for p in (bdir / "calls").glob("*T1-coder*")]
    assert len(t1_calls) == 1, t1_calls
    assert script.count("coder", "T1") == 1 and script.count("coder", "T2") == 2
    subjects = commits(bdir / "workspace")
    assert sorted(subjects) == ["T1: build T1", "T2: build T2", "T3: build T3"]


def test_resume_and_replay_of_unknown_builds_are_input_errors(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unknown build IDs and revisions exit 2 with one line (in-process CLI: no model)."""
    commit_spec(workspace, spec())
    monkeypatch.chdir(workspace)
    runner = CliRunner()
    for args in (("--resume", "b-nope"), ("--replay", "b-nope"), ("no-such-rev",)):
        out = runner.invoke(cli, ["build", *args])
        assert out.exit_code == 2, (args, out.output)
        assert out.stderr.startswith("charter: ") and out.exception is not None
        assert isinstance(out.exception, SystemExit)
    assert builds(workspace) == []


def test_a_change_upstream_reruns_every_dependent_not_just_the_direct_one(
    workspace: Path, llm: FakeLLM
) -> None:
    """T1 → T2 → T3, where T2's file does not depend on T1's and T3's verify reads T1's file.
    After APP-1 changes, T3 is rerun (and its verify fails) instead of being reused as done."""
    set_build(workspace, max_fix_attempts=0)
    plan = {
        "tasks": [
            task("T1", ["APP-1"], ["t1.txt"], "test -f t1.txt"),
            task("T2", ["APP-2"], ["t2.txt"], "test -f t2.txt", ["T1"]),
            task("T3", ["APP-3"], ["t3.txt"], "grep -q English t1.txt", ["T2"]),
        ],
        "not_built": [],
    }

    def steady(tid: str, prompt: str) -> dict:
        """T1 echoes its requirement; T2 and T3 write the same file whatever they are told."""
        text = REQ_LINE.search(prompt).group(2)  # type: ignore[union-attr]
        content = f"{tid}: {text}\n" if tid == "T1" else f"{tid}\n"
        return result([{"path": f"{tid.lower()}.txt", "content": content}])

    script = Script(plan, steady)
    llm.handler(script)
    commit_spec(workspace, spec())
    first = run_charter("build", cwd=workspace, env=llm.env())
    assert first.code == 0, first.err + first.out
    commit_spec(workspace, spec("The app MUST greet in French."), "french")
    second = run_charter("build", "--json", cwd=workspace, env=llm.env())
    tasks = json.loads(second.out)["tasks"]
    assert second.code == 1, second.err + second.out
    assert tasks["T3"]["state"] == "failed"  # its verify ran again, on the new t1.txt
    _, b2 = builds(workspace)
    assert record(b2)["tasks"]["T3"]["reused_from"] is None
