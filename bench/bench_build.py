"""Builder benchmarks: parallel speedup, task prompt size, and Charter's own per-task overhead.

All in-process against the scripted server of `tests/fakellm.py` (real HTTP, real git, real
verify subprocesses):

- a 16-task plan in 4 waves of 4 with 300 ms of simulated model latency, built at concurrency 4
  and at concurrency 1 (target speedup ≥ 3.5×);
- the mean task prompt against a prompt holding the whole spec, on a 40-section spec, in the
  fake server's token count (a quarter of the characters sent; target ≤ 20 %);
- Charter's own overhead per task: the wall time of a 16-task build at concurrency 1 minus only
  the latency the server was told to add (target < 30 ms), with the CPU time per task beside it
  (the median of OVERHEAD_RUNS builds, each figure on its own);
- one slow task beside a chain of fast ones at concurrency 4: wall time against the critical
  path (target within 1.15x);
- plan carry-over with a planner that renames and reorders tasks on every call: coder calls and
  tokens of a rebuild after one requirement changed against the full build (targets: at most
  the affected tasks, under 15 % of the tokens).
"""

from __future__ import annotations

import json
import os
import re
import statistics
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
OVERHEAD_RUNS = 3  # builds measured for the overhead figure (after one warm-up build)


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


def _commit(root: Path, spec: str) -> None:
    """Commit a new version of the spec."""
    (root / "specs" / "bench.md").write_text(spec, encoding="utf-8")
    env_args = ["-c", "user.name=Bench", "-c", "user.email=bench@example.invalid"]
    for args in (["add", "-A"], [*env_args, "commit", "-q", "-m", "change"]):
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def _task(n: int, deps: list[str], title: str) -> dict[str, Any]:
    """A planned task building area n (one file, verify `true`)."""
    return {
        "id": f"T{n}",
        "title": f"{title} {n}",
        "requirements": [f"A{n}-{r}" for r in range(1, 4)],
        "sections": [f"Area {n}"],
        "depends_on": deps,
        "outputs": [f"area{n}.txt"],
        "verify": "true",
        "notes": "",
    }


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


def _handler(delay: float | dict[str, float]) -> Any:
    """Coder replies: one file per task, after `delay` seconds (or a delay per task ID)."""

    def answer(body: dict[str, Any]) -> ScriptedReply | None:
        """Route by the task ID in the prompt."""
        prompt = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
        found = TASK_RE.search(prompt)
        if found is None:
            return None
        tid = found.group(1)
        files = [{"path": f"area{tid[1:]}.txt", "content": f"{tid} done\n"}]
        args = {"files": files, "assumptions": [], "deviations": [], "notes": ""}
        wait = delay.get(tid, 0.0) if isinstance(delay, dict) else delay
        return ScriptedReply.tools([("TaskResult", args)], delay=wait)

    return answer


def _policy() -> JailPolicy:
    """The default jail (or none where bwrap cannot run: this measures the builder)."""
    sandbox = "bwrap" if detect_sandbox().usable else "none"
    return BuildSettings(sandbox=sandbox, verify_timeout=60).jail_policy()


def _build(
    root: Path,
    llm: FakeLLM,
    plan: Path | None,
    concurrency: int,
    *,
    max_fix_attempts: int = 0,
) -> tuple[float, Any]:
    """Run one build in-process (fresh when it has a plan file); its wall time and record."""
    request = BuildRequest(
        root=root,
        spec_dir=root / "specs",
        builds_dir=root / ".charter" / "builds",
        cache_dir=root / ".charter" / "cache",
        model=ModelSettings(max_retries=0),
        concurrency=concurrency,
        max_fix_attempts=max_fix_attempts,
        verify_timeout=60,
        plan_file=plan,
        fresh=plan is not None,
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
    """Wall time minus the scripted server's own latency, per task, at concurrency 1.

    Everything Charter does counts: hashing, the cache, call records, build.json, the workspace
    commits, the HTTP client and the verify subprocess (`true` in the jail). Only the latency the
    server was told to add is taken off, so the figure over-counts (the fake server's own JSON
    work runs in this process too) rather than under-counts. The median of OVERHEAD_RUNS
    builds, so that one build slowed by other work on a shared machine does not decide it.
    """
    root = tmp / "overhead"
    _repo(root, _spec(16, 3))
    plan = _plan_file(root, 4, 4)
    latency = 0.05
    walls, cpus = [], []
    with FakeLLM() as llm:
        llm.handler(_handler(latency))
        _build(root, llm, plan, 1)  # warm-up: imports, first connection
        for _ in range(OVERHEAD_RUNS):
            before, cpu = len(llm.chat_requests), _cpu()
            wall, record = _build(root, llm, plan, 1)
            calls, cpu = len(llm.chat_requests) - before, _cpu() - cpu
            n = len(record.tasks)
            walls.append((wall - calls * latency) / n * 1000)
            cpus.append(cpu / n * 1000)
    # CPU seconds (this process, the fake server's threads included, and its git and verify
    # children) say what the figure is on a machine that other work is not slowing down.
    return Result(
        "build: overhead per task (wall - server latency, conc. 1; "
        f"CPU {statistics.median(cpus):.0f} ms)",
        statistics.median(walls),
        "ms",
        30.0,
    )


def _cpu() -> float:
    """CPU seconds used so far by this process and its finished children."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _critical_path(tmp: Path) -> Result:
    """One slow task beside a chain of fast ones, at concurrency 4: wall time against the
    critical path (the longest chain of scripted latencies), target within 1.15x."""
    root = tmp / "critical"
    _repo(root, _spec(5, 3))
    slow, fast = 1.2, 0.25
    tasks = [_task(1, [], "slow")] + [
        _task(n, [f"T{n - 1}"] if n > 2 else [], "fast") for n in (2, 3, 4, 5)
    ]
    plan = root / "plan.toml"
    plan.write_text(tomli_w.dumps({"tasks": tasks, "not_built": []}), encoding="utf-8")
    delays = {"T1": slow, "T2": fast, "T3": fast, "T4": fast, "T5": fast}
    critical = max(slow, 4 * fast)
    with FakeLLM() as llm:
        llm.handler(_handler(delays))
        _build(root, llm, plan, 4)  # warm-up
        wall, _ = _build(root, llm, plan, 4)
    return Result(
        f"build: wall / critical path ({critical:.1f} s; slow task + fast chain)",
        wall / critical,
        "x",
        1.15,
    )


def _carryover(tmp: Path) -> list[Result]:
    """A planner that renames and reorders tasks on every call; one requirement of a
    40-section, 16-task spec changes: model calls and tokens of the rebuild against the full
    build (targets: no more coder calls than affected tasks, under 15 % of the tokens)."""
    from tests.buildkit import spec_text
    from tests.randomplanner import RandomPlanner, requirement, spec_sections

    root = tmp / "carry"
    _repo(root, spec_text("Service", spec_sections()))
    with FakeLLM() as llm:
        planner = RandomPlanner(seed=7)
        llm.handler(planner)
        _, full = _build(root, llm, None, 4, max_fix_attempts=0)
        changed = spec_sections({"A16-1": requirement(16, 1, " in UTC")})
        _commit(root, spec_text("Service", changed))
        coder_before = planner.count("coder")
        _, rebuild = _build(root, llm, None, 4, max_fix_attempts=0)
        coders = planner.count("coder") - coder_before
    affected = sum(1 for t in rebuild.tasks.values() if t.reused_from is None)
    share = 100 * rebuild.tokens.total / full.tokens.total
    return [
        Result(
            f"build: rebuild coder calls after 1 change (affected tasks {affected}, 16 in all)",
            coders,
            "",
            affected,
        ),
        Result(
            f"build: rebuild tokens vs full build ({rebuild.calls} vs {full.calls} calls)",
            share,
            "%",
            15.0,
        ),
    ]


def run() -> list[Result]:
    """Run the three builder benchmarks."""
    with tempfile.TemporaryDirectory(prefix="charter-bench-build-") as tmp:
        base = Path(tmp)
        return [
            _speedup(base),
            _prompt_share(base),
            _overhead(base),
            _critical_path(base),
            *_carryover(base),
        ]
