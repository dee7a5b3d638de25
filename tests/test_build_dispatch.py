"""Dispatch on readiness: a task starts when its own dependencies are done, not when every task
of its wave is; a killed build resumes with its finished tasks kept (see test_build_incremental).
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.buildkit import Script, builds, commit_spec, record, result, spec_text, task
from tests.conftest import run_charter
from tests.fakellm import FakeLLM


def test_a_task_behind_a_fast_task_does_not_wait_for_a_slow_one(
    workspace: Path, llm: FakeLLM
) -> None:
    """T1 is slow; T2 → T3 → T4 is a chain of fast tasks. The whole chain is done before T1,
    and the build still finishes every task with one commit each."""
    reqs = [(f"APP-{n}", f"The app MUST have part {n}.") for n in range(1, 5)]
    commit_spec(workspace, {"app.md": spec_text("App", {"Parts": reqs})})
    plan = {
        "tasks": [
            task("T1", ["APP-1"], ["t1.txt"], "test -f t1.txt"),
            task("T2", ["APP-2"], ["t2.txt"], "test -f t2.txt"),
            task("T3", ["APP-3"], ["t3.txt"], "test -f t3.txt", ["T2"]),
            task("T4", ["APP-4"], ["t4.txt"], "test -f t3.txt", ["T3"]),
        ],
        "not_built": [],
    }

    def one_file(tid: str, prompt: str) -> dict:
        """Each task writes its own file."""
        return result([{"path": f"{tid.lower()}.txt", "content": f"{tid}\n"}])

    slow = 6.0  # far longer than the fast chain, so the order cannot come from chance
    llm.handler(Script(plan, one_file, delay=lambda role, tid: slow if tid == "T1" else 0.0))
    out = run_charter("build", "--json", cwd=workspace, env=llm.env())
    assert out.code == 0, out.err + out.out
    assert set(json.loads(out.out)["tasks"]) == {"T1", "T2", "T3", "T4"}
    tasks = record(builds(workspace)[0])["tasks"]
    assert tasks["T4"]["finished"] < tasks["T1"]["finished"]
    assert tasks["T3"]["started"] >= tasks["T2"]["finished"]
    assert tasks["T4"]["started"] >= tasks["T3"]["finished"]
    lines = [ln for ln in out.err.splitlines() if " done " in ln]
    assert lines[-1].split()[1] == "T1"  # the slow task is the last to finish
