"""`charter build` end to end: plan, parallel waves, verify, fixer, commits, report, questions.

The model is the scripted server on 127.0.0.1; git, files and verify subprocesses are real.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.buildkit import (
    Script,
    builds,
    commit_spec,
    commits,
    git,
    record,
    result,
    spec_text,
    task,
)
from tests.conftest import run_charter
from tests.fakellm import FakeLLM

SIX = {
    "app.md": spec_text(
        "App",
        {
            "Parts": [(f"APP-{n}", f"The app MUST have part {n}.") for n in range(1, 7)],
        },
    )
}


def six_task_plan() -> dict[str, object]:
    """Two waves: T1..T3 independent, then T4..T6 each on one of them."""
    tasks = [task(f"T{n}", [f"APP-{n}"], [f"t{n}.txt"], f"test -f t{n}.txt") for n in (1, 2, 3)]
    tasks += [
        task("T4", ["APP-4"], ["t4.txt"], "test -f t4.txt && test -f t1.txt", ["T1"]),
        task("T5", ["APP-5"], ["t5.txt"], "grep -q good t5.txt", ["T2"]),
        task("T6", ["APP-6"], ["t6.txt"], "test -f t6.txt", ["T3"]),
    ]
    return {"tasks": tasks, "not_built": []}


def coder(tid: str, prompt: str) -> dict[str, object]:
    """Each task writes its file; T5 starts wrong (v0)."""
    content = "v0 wrong\n" if tid == "T5" else f"{tid} content\n"
    return result(
        [{"path": f"{tid.lower()}.txt", "content": content}],
        assumptions=[f"{tid} assumed plain text"],
    )


def fixer(tid: str, prompt: str) -> dict[str, object]:
    """The first fix is still wrong (v1), the second is right."""
    content = "v1 still wrong\n" if "v0 wrong" in prompt else "good\n"
    return result([{"path": f"{tid.lower()}.txt", "content": content}])


def test_six_tasks_two_waves_with_one_fixed_task(workspace: Path, llm: FakeLLM) -> None:
    """Every task is done, T5 after two fixer attempts; one commit per task; the report says so."""
    commit_spec(workspace, SIX)
    script = Script(six_task_plan(), coder, fixer)
    llm.handler(script)
    out = run_charter("build", "--json", cwd=workspace, env=llm.env())
    assert out.code == 0, out.err + out.out
    summary = json.loads(out.out)
    assert summary["status"] == "done"
    assert {t: s["state"] for t, s in summary["tasks"].items()} == {
        f"T{n}": "done" for n in range(1, 7)
    }
    assert summary["tasks"]["T5"]["attempts"] == 2
    assert script.count("fixer", "T5") == 2 and script.count("fixer") == 2
    assert script.count("planner") == 1 and script.count("coder") == 6

    (bdir,) = builds(workspace)
    ws = bdir / "workspace"
    assert (ws / "t5.txt").read_text() == "good\n"
    subjects = commits(ws)
    assert sorted(subjects) == sorted(f"T{n}: build T{n}" for n in range(1, 7))
    # Wave 2 commits come after the wave-1 task they depend on.
    assert subjects.index("T4: build T4") > subjects.index("T1: build T1")
    builder = "Charter Builder <builder@charter.invalid>"
    assert set(git(ws, "log", "--format=%an <%ae>|%cn <%ce>").splitlines()) == {
        f"{builder}|{builder}"
    }

    report = (bdir / "report.md").read_text()
    for n in range(1, 7):
        assert f"| T{n} | build T{n} | done |" in report
    assert "| T5 | build T5 | done | 2 |" in report
    assert "Verify run 2: exit 0" in report and "Verify run 0: exit 1" in report
    assert "Charter's default conventions" in report
    assert "T5 assumed plain text" in (bdir / "assumptions.md").read_text()
    assert (bdir / "plan.toml").read_text().count("[[tasks]]") == 6
    assert (bdir / "logs" / "T5-verify-0.log").exists()
    # Progress lines went to stderr (stdout is the JSON summary).
    assert "T5 verify failed (attempt 1/3)" in out.err
    # Every prompt and response is kept; the key never is.
    calls = list((bdir / "calls").glob("*.json"))
    assert len(calls) == 1 + 6 + 2
    assert all(b"sk-test-SECRET" not in p.read_bytes() for p in bdir.rglob("*") if p.is_file())
    one = json.loads(next(p for p in calls if "T5-fixer-1" in p.name).read_text())
    assert one["exchanges"][0]["params"]["tools"][0]["function"]["name"] == "TaskResult"
    assert one["exchanges"][0]["usage"]["prompt_tokens"] > 0
    # The spec snapshot is read-only; build.json says done.
    snap = bdir / "spec" / "app.md"
    assert snap.read_text() == SIX["app.md"] and not (snap.stat().st_mode & 0o222)
    assert record(bdir)["status"] == "done"


def test_plan_only_then_an_edited_plan(workspace: Path, llm: FakeLLM) -> None:
    """--plan-only writes plan.toml and stops; --plan FILE builds the edited plan without
    asking the planner."""
    commit_spec(workspace, SIX)
    script = Script(six_task_plan(), coder, fixer)
    llm.handler(script)
    out = run_charter("build", "--plan-only", cwd=workspace, env=llm.env())
    assert out.code == 0, out.err + out.out
    (bdir,) = builds(workspace)
    plan_path = bdir / "plan.toml"
    assert f"plan written: {plan_path}" in out.out
    assert record(bdir)["status"] == "planned"
    assert (script.count("planner"), script.count("coder")) == (1, 0)

    edited = workspace / "edited.toml"
    text = plan_path.read_text().replace(
        'verify = "grep -q good t5.txt"', 'verify = "test -f t5.txt"'
    )
    edited.write_text(text)
    out = run_charter("build", "--plan", str(edited), "--json", cwd=workspace, env=llm.env())
    assert out.code == 0, out.err + out.out
    assert script.count("planner") == 1  # no planner call for an edited plan
    assert script.count("fixer") == 0  # the edited verify accepts T5's first file
    _, second = builds(workspace)
    assert (second / "plan.toml").read_text() == text
    assert "the edited plan" in (second / "report.md").read_text()


def test_plan_problems_get_one_repair_round_then_stop(workspace: Path, llm: FakeLLM) -> None:
    """Unknown requirements, cycles, outputs outside the workspace and uncovered requirements
    go back to the planner once; still wrong, the build stops with every problem listed."""
    commit_spec(workspace, SIX)
    bad = {
        "tasks": [
            task("T1", ["APP-1", "NOPE-9"], ["../t1.txt"], "true", ["T2"]),
            task("T2", ["APP-2"], ["t2.txt"], "true", ["T1"]),
        ],
        "not_built": [{"requirement": "APP-3", "reason": "no hardware to test on"}],
    }
    script = Script(bad, coder)
    llm.handler(script)
    out = run_charter("build", cwd=workspace, env=llm.env())
    assert out.code == 1
    assert script.count("planner") == 2 and script.count("coder") == 0
    repair = llm.messages(-1)[-1]["content"]
    assert "unknown requirement NOPE-9" in repair
    for text in (
        "unknown requirement NOPE-9",
        "cycle",
        "`../t1.txt`",
        "requirement APP-4 is neither implemented",
    ):
        assert text in out.out
    assert "APP-3 is neither" not in out.out  # not_built with a reason covers it
    (bdir,) = builds(workspace)
    assert record(bdir)["status"] == "plan-errors"
    assert (bdir / "plan.toml").exists()
    assert "--fresh" not in out.out  # the model was asked; no cache to blame

    # The same spec asks the planner the same question: the cached bad plan comes back, and
    # the user is told how to ask the model again instead of being stuck with it.
    again = run_charter("build", cwd=workspace, env=llm.env())
    assert again.code == 1
    assert script.count("planner") == 2
    assert "charter build --fresh" in again.out


def test_validation_errors_stop_the_build_before_any_model_call(
    workspace: Path, llm: FakeLLM
) -> None:
    """A spec with a validation ERROR (a duplicated ID) is not built; --force overrides it and
    the report says so."""
    dup = spec_text("App", {"Parts": [("APP-1", "It MUST a."), ("APP-1", "It MUST b.")]})
    commit_spec(workspace, {"app.md": dup})
    plan = {"tasks": [task("T1", ["APP-1"], ["t1.txt"], "true")], "not_built": []}
    llm.handler(Script(plan, coder))
    out = run_charter("build", cwd=workspace, env=llm.env())
    assert out.code == 1
    assert "app.md:" in out.out and "ERROR" in out.out
    assert llm.chat_requests == []
    assert builds(workspace) == []  # refused before a build directory is made
    forced = run_charter("build", "--force", cwd=workspace, env=llm.env())
    assert forced.code == 0, forced.err + forced.out
    (second,) = builds(workspace)
    assert "**Forced** (`--force`)" in (second / "report.md").read_text()


def test_model_endpoint_failure_exits_4_then_resumes(workspace: Path, llm: FakeLLM) -> None:
    """An endpoint that fails is reported in one sentence naming it, exit 4, no traceback;
    once it is back, `--resume` finishes the build; a finished build has nothing to resume."""
    commit_spec(workspace, SIX)
    (workspace / "charter.toml").write_text(
        (workspace / "charter.toml").read_text().replace("max_retries = 2", "max_retries = 0")
    )
    llm.fault("500", times=3)
    out = run_charter("build", cwd=workspace, env=llm.env())
    assert out.code == 4, out.err + out.out
    assert llm.base_url in out.out + out.err
    assert "Traceback" not in out.err
    (bdir,) = builds(workspace)
    assert record(bdir)["status"] == "error"
    assert f"charter build --resume {bdir.name}" in out.out

    llm.handler(Script(six_task_plan(), coder, fixer))
    resumed = run_charter("build", "--resume", bdir.name, cwd=workspace, env=llm.env())
    assert resumed.code == 0, resumed.err + resumed.out
    assert record(bdir)["status"] == "done" and len(commits(bdir / "workspace")) == 6
    again = run_charter("build", "--resume", bdir.name, cwd=workspace, env=llm.env())
    assert again.code == 1 and "nothing to resume" in again.err

    listed = run_charter("builds", "--json", cwd=workspace)
    (row,) = json.loads(listed.out)
    assert (row["id"], row["status"], row["tasks_done"], row["tasks"]) == (bdir.name, "done", 6, 6)
    assert row["tokens"] > 0 and row["commit"] == record(bdir)["commit"]
    text = run_charter("builds", cwd=workspace).out
    assert bdir.name in text and "done" in text and "6/6" in text


def test_user_conventions_replace_the_default(workspace: Path, llm: FakeLLM) -> None:
    """A spec with its own Conventions section gets those in every task prompt, not Charter's."""
    own = spec_text(
        "App",
        {
            "Parts": [("APP-1", "The app MUST have part 1.")],
            "Conventions": [("CON-1", "Code MUST be written in shell.")],
        },
        locked={"CON-1"},
    )
    commit_spec(workspace, {"app.md": own})
    plan = {"tasks": [task("T1", ["APP-1"], ["t1.txt"], "test -f t1.txt")], "not_built": []}
    llm.handler(Script(plan, coder))
    out = run_charter("build", cwd=workspace, env=llm.env())
    assert out.code == 0, out.err + out.out
    coder_prompt = next(
        json.dumps(r.body) for r in llm.chat_requests if "# Task T1" in json.dumps(r.body)
    )
    assert "CON-1" in coder_prompt and "CONV-1" not in coder_prompt
    (bdir,) = builds(workspace)
    assert "the spec's own conventions" in (bdir / "report.md").read_text()


def test_a_departure_from_a_must_fails_the_task(workspace: Path, llm: FakeLLM) -> None:
    """A task may depart from a SHOULD (logged), never from a MUST: that task fails."""
    spec = spec_text(
        "App",
        {
            "Parts": [
                ("APP-1", "The app MUST log in JSON."),
                ("APP-2", "The app SHOULD log in colour."),
            ]
        },
    )
    commit_spec(workspace, {"app.md": spec})
    plan = {
        "tasks": [
            task("T1", ["APP-1"], ["t1.txt"], "true"),
            task("T2", ["APP-2"], ["t2.txt"], "true"),
        ],
        "not_built": [],
    }

    def departs(tid: str, prompt: str) -> dict[str, object]:
        """Both tasks report a deviation from their requirement."""
        req = "APP-1" if tid == "T1" else "APP-2"
        dev = {"requirement": req, "departure": "plain text", "why": "simpler"}
        return result([{"path": f"{tid.lower()}.txt", "content": "x\n"}], deviations=[dev])

    llm.handler(Script(plan, departs))
    out = run_charter("build", "--json", cwd=workspace, env=llm.env())
    assert out.code == 1, out.err + out.out
    tasks = json.loads(out.out)["tasks"]
    assert (tasks["T1"]["state"], tasks["T2"]["state"]) == ("failed", "done")
    (bdir,) = builds(workspace)
    deviations = (bdir / "deviations.md").read_text()
    assert "APP-1 **(not allowed: MUST or LOCKED)**: plain text (why: simpler)" in deviations
    assert "- APP-2: plain text (why: simpler)" in deviations
