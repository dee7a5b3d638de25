"""Builder benchmarks: parallel speedup, task prompt size, and Charter's own per-task overhead.

All in-process against the scripted server of `tests/fakellm.py` (real HTTP, real git, real
verify subprocesses):

- a 16-task plan in 4 waves of 4 with 300 ms of simulated model latency, built at concurrency 4
  and at concurrency 1 (target speedup ≥ 3.5×);
- the mean task prompt against a prompt holding the whole spec, on a 40-section spec, in the
  fake server's token count (a quarter of the characters sent; target ≤ 20 %);
- the wall time of a 16-task build at concurrency 1 minus the time spent in model calls and
  verify commands, per task (target < 30 ms).
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import tomli_w

from bench.harness import Result
from charter.agents import ModelSettings, TaskBrief, coder_messages
from charter.app.config import BuildSettings
from charter.graphs.build import BuildRequest, JailPolicy, detect_sandbox, load_plan, run_build
from charter.graphs.build.specview import SpecView
from tests.fakellm import FakeLLM, ScriptedReply

TASK_RE = re.compile(r"^# Task (\S+):", re.MULTILINE)
LATENCY = 0.3


def _spec(sections: int, per_section: int) -> str:
    """A spec with `sections` sections of `per_section` requirements each."""
    from charter.specs import (
        Prose,
        Provenance,
        ProvenanceKind,
        Requirement,
        Section,
        SpecFile,
        render_file,
    )

    inferred = Provenance(kind=ProvenanceKind.INFERRED, reason="benchmark fixture")
    spec = SpecFile(
        path="bench.md",
        title="Bench",
        intro=[Prose(text="A service used to measure the builder.")],
        sections=[
            Section(
                title=f"Area {s}",
                blocks=[
                    Prose(text=f"Area {s} handles one part of the service."),
                    *(
                        Requirement(
                            id=f"A{s}-{r}",
                            text=f"The service MUST handle case {r} of area {s} and report "
                            f"its outcome in the area {s} log with a clear message.",
                            provenance=inferred,
                        )
                        for r in range(1, per_section + 1)
                    ),
                ],
            )
            for s in range(1, sections + 1)
        ],
    )
    return render_file(spec)


def _repo(root: Path, spec: str) -> None:
    """A git repository with the spec committed under specs/."""
    (root / "specs").mkdir(parents=True)
    (root / "specs" / "bench.md").write_text(spec, encoding="utf-8")
    env_args = ["-c", "user.name=Bench", "-c", "user.email=bench@example.invalid"]
    for args in (["init", "-q"], ["add", "-A"], [*env_args, "commit", "-q", "-m", "spec"]):
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def _plan_file(root: Path, waves: int, width: int) -> Path:
    """plan.toml: `waves` waves of `width` tasks; each task builds one area."""
    tasks = []
    for w in range(waves):
        for i in range(width):
            n = w * width + i + 1
            area = n
            deps = [f"T{(w - 1) * width + i + 1}"] if w else []
            tasks.append(
                {
                    "id": f"T{n}",
                    "title": f"area {area}",
                    "requirements": [f"A{area}-{r}" for r in range(1, 4)],
                    "sections": [f"Area {area}"],
                    "depends_on": deps,
                    "outputs": [f"area{area}.txt"],
                    "verify": "true",
                    "notes": "",
                }
            )
    path = root / "plan.toml"
    path.write_text(tomli_w.dumps({"tasks": tasks, "not_built": []}), encoding="utf-8")
    return path


def _handler(delay: float) -> Any:
    """Coder replies: one file per task, after `delay` seconds."""

    def answer(body: dict[str, Any]) -> ScriptedReply | None:
        """Route by the task ID in the prompt."""
        prompt = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
        found = TASK_RE.search(prompt)
        if found is None:
            return None
        tid = found.group(1)
        files = [{"path": f"area{tid[1:]}.txt", "content": f"{tid} done\n"}]
        args = {"files": files, "assumptions": [], "deviations": [], "notes": ""}
        return ScriptedReply.tools([("TaskResult", args)], delay=delay)

    return answer


def _policy() -> JailPolicy:
    """The default jail (or none where bwrap cannot run: this measures the builder)."""
    sandbox = "bwrap" if detect_sandbox().usable else "none"
    return BuildSettings(sandbox=sandbox, verify_timeout=60).jail_policy()


def _build(root: Path, llm: FakeLLM, plan: Path, concurrency: int) -> tuple[float, Any]:
    """Run one fresh build in-process; return its wall time and record."""
    request = BuildRequest(
        root=root,
        spec_dir=root / "specs",
        builds_dir=root / ".charter" / "builds",
        cache_dir=root / ".charter" / "cache",
        model=ModelSettings(max_retries=0),
        concurrency=concurrency,
        max_fix_attempts=0,
        verify_timeout=60,
        plan_file=plan,
        fresh=True,
        env=llm.env(),
        jail=_policy(),
    )
    start = time.perf_counter()
    outcome = run_build(request)
    wall = time.perf_counter() - start
    if outcome.exit_code != 0:
        raise RuntimeError(f"bench build failed: {outcome.status} {outcome.message}")
    return wall, outcome.record


def _speedup(tmp: Path) -> Result:
    """Concurrency 4 against 1 on 16 tasks in 4 waves, 300 ms per model call."""
    root = tmp / "speed"
    _repo(root, _spec(16, 3))
    plan = _plan_file(root, 4, 4)
    with FakeLLM() as llm:
        llm.handler(_handler(LATENCY))
        _build(root, llm, plan, 4)  # warm-up: imports, thread pools, the first connection
        parallel, _ = _build(root, llm, plan, 4)
        serial, _ = _build(root, llm, plan, 1)
    return Result(
        "build: speedup at concurrency 4 (16 tasks, 4 waves)",
        serial / parallel,
        "x",
        3.5,
        lower_is_better=False,
    )


def _prompt_share(tmp: Path) -> Result:
    """Mean task prompt tokens against a task prompt holding the whole 40-section spec."""
    root = tmp / "tokens"
    spec = _spec(40, 3)
    _repo(root, spec)
    plan = _plan_file(root, 1, 40)
    with FakeLLM() as llm:
        llm.handler(_handler(0.0))
        _, record = _build(root, llm, plan, 4)
    task_tokens = [t.tokens.prompt for t in record.tasks.values()]
    view = SpecView.load({"bench.md": spec.encode()})
    task = load_plan(plan).tasks[0]
    brief = view.brief(task, [])
    whole = TaskBrief(
        task=task,
        requirements=[view.rendered(r) for r in view.requirement_ids()],
        locked=brief.locked,
        conventions=brief.conventions,
    )
    # The fake server counts a quarter of the characters of the JSON messages it receives.
    whole_tokens = max(1, len(json.dumps(coder_messages(whole))) // 4)
    share = 100 * (sum(task_tokens) / len(task_tokens)) / whole_tokens
    return Result("build: task prompt vs whole-spec prompt (40 sections)", share, "%", 20.0)


def _overhead(tmp: Path) -> Result:
    """Wall time minus model and verify time, per task, at concurrency 1."""
    root = tmp / "overhead"
    _repo(root, _spec(16, 3))
    plan = _plan_file(root, 4, 4)
    with FakeLLM() as llm:
        llm.handler(_handler(0.0))
        _build(root, llm, plan, 1)  # warm-up: imports, first connection
        wall, record = _build(root, llm, plan, 1)
    spent = sum(t.model_s + t.verify_s for t in record.tasks.values())
    per_task = (wall - spent) / len(record.tasks) * 1000
    return Result("build: Charter overhead per task (model, verify excluded)", per_task, "ms", 30.0)


def run() -> list[Result]:
    """Run the three builder benchmarks."""
    with tempfile.TemporaryDirectory(prefix="charter-bench-build-") as tmp:
        base = Path(tmp)
        return [_speedup(base), _prompt_share(base), _overhead(base)]
