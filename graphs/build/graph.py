"""The build graph: load → validate → plan → run* → report.

Dispatch is on readiness: a task starts as soon as its own dependencies are done, bounded by the
build's concurrency. LangGraph runs a graph in supersteps that each wait for all their nodes, so
one `Send` per task would make a task wait for every unrelated task of its wave; instead the
`run` node starts ready tasks on the build's own thread pool and ends its step as soon as one of
them finishes, and loops. Each step's checkpoint holds every finished task's state, so a killed
build resumes with its finished tasks kept (a task committed in the workspace is not redone
either). Side effects go to the build directory; graph state stays JSON-able and is
checkpointed in the build's own `checkpoints.db`.
"""

from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, wait
from pathlib import Path
from typing import Any

from langgraph.graph import END, START, StateGraph

from charter.agents import Plan, amend_messages, planner_messages
from charter.graphs.build.cache import canonical_json
from charter.graphs.build.carryover import (
    Carried,
    PlanBase,
    carry_over,
    merge_amendment,
    spec_delta,
)
from charter.graphs.build.context import BuildContext
from charter.graphs.build.examples import run_examples
from charter.graphs.build.plan import PlanLoadError, check_plan, load_plan, write_plan
from charter.graphs.build.records import BuildStatus, TaskRecord, TaskState
from charter.graphs.build.scheduler import next_step
from charter.graphs.build.state import BuildState
from charter.graphs.build.tasks import run_task
from charter.specs import Severity, render_requirement

MAX_TASKS = 500
RECURSION_LIMIT = 2 * MAX_TASKS + 20


def build_graph(
    ctx: BuildContext,
    *,
    plan_file: Path | None,
    plan_only: bool,
    force: bool,
    spec_files: dict[str, bytes],
    checkpointer: Any,
) -> Any:
    """Compile the build graph for one build's runtime context."""

    def load(state: BuildState) -> dict[str, Any]:
        """Record the parse and validation findings of the spec at the commit."""
        findings = [f.model_dump(mode="json") for f in ctx.view.findings]
        errors = sum(f.severity is Severity.ERROR for f in ctx.view.findings)
        ctx.journal.build(
            f"spec at {ctx.journal.record.commit[:10]}: {len(ctx.view.spec.files)} files, "
            f"{len(ctx.view.spec.requirements())} requirements, {errors} validation errors",
            findings=findings,
            conventions=ctx.view.conventions_source,
        )
        return {"stage": "loaded"}

    def validate(state: BuildState) -> dict[str, Any]:
        """Stop on validation ERRORs unless the build is forced."""
        errors = [f for f in ctx.view.findings if f.severity is Severity.ERROR]
        if not ctx.view.requirement_ids():
            ctx.journal.build(
                "the spec at this commit has no requirements; nothing to build",
                status=BuildStatus.INVALID,
                message="no requirements in the spec at this commit",
            )
            return {"stage": "invalid"}
        if errors and not force:
            ctx.journal.build(
                f"the spec has {len(errors)} validation error(s); nothing was built",
                status=BuildStatus.INVALID,
                message=f"{len(errors)} validation error(s) in the spec",
            )
            return {"stage": "invalid"}
        if errors:
            ctx.journal.build(f"--force: building despite {len(errors)} validation error(s)")
        return {"stage": "valid"}

    def plan(state: BuildState) -> dict[str, Any]:
        """Make (or load) the plan, write plan.toml, and check it; one repair round."""
        ctx.journal.build("planning", status=BuildStatus.PLANNING)
        ids = ctx.view.requirement_ids()
        exempt = ctx.view.convention_ids()
        commit = ctx.journal.record.commit
        if ctx.base is not None:
            made, problems = _carry_plan(ctx, ctx.base, ids, exempt)
            write_plan(ctx.bdir.plan, made, commit)
        elif plan_file is not None:
            try:
                made = load_plan(plan_file)
            except PlanLoadError as exc:
                return _plan_failed(ctx, [str(exc)], None)
            ctx.bdir.plan.write_bytes(plan_file.read_bytes())
            problems = check_plan(made, ids, exempt)
        else:
            made, problems = _ask_planner(ctx, spec_files, ids, exempt)
            write_plan(ctx.bdir.plan, made, commit)
        if len(made.tasks) > MAX_TASKS:
            problems.append(f"the plan has {len(made.tasks)} tasks; at most {MAX_TASKS} allowed")
        if problems:
            return _plan_failed(ctx, problems, made)
        ctx.plan = made
        tasks = {
            t.id: TaskRecord(
                id=t.id,
                title=t.title,
                requirements=list(t.requirements),
                depends_on=list(t.depends_on),
            )
            for t in made.tasks
        }
        stage = "planned" if plan_only else "run"
        ctx.journal.build(
            f"plan: {len(made.tasks)} tasks, {len(made.not_built)} not built ({ctx.bdir.plan})",
            tasks=tasks,
            not_built=[n.model_dump() for n in made.not_built],
            status=BuildStatus.PLANNED if plan_only else BuildStatus.RUNNING,
        )
        return {
            "stage": stage,
            "plan": made.model_dump(mode="json"),
            "tasks": {t.id: "pending" for t in made.tasks},
        }

    def run(state: BuildState) -> dict[str, Any]:
        """Start every ready task (up to the concurrency) and return when the next one ends."""
        current = _plan(ctx, state)
        running = ctx.running
        updates = _start_ready(ctx, current, state.get("tasks", {}))
        if not running:
            return {"tasks": updates, "stage": "settled"}
        wait(list(running.values()), return_when=FIRST_COMPLETED)
        failure: BaseException | None = None
        for task_id, future in list(running.items()):
            if not future.done():
                continue
            del running[task_id]
            if (exc := future.exception()) is not None:
                failure = failure or exc
            else:
                updates[task_id] = future.result()
        if failure is not None:  # let the running tasks end (and commit), then stop the build
            wait(list(running.values()))
            running.clear()
            raise failure
        # Start what the finished tasks made ready now, not a checkpoint later.
        updates |= _start_ready(ctx, current, {**state.get("tasks", {}), **updates})
        return {"tasks": updates, "stage": "run"}

    def report(state: BuildState) -> dict[str, Any]:
        """Decide the build's status (`_drive` then writes report.md and the other records)."""
        states = state.get("tasks", {})
        found = set(states.values())
        if "failed" in found:
            status = BuildStatus.FAILED
        elif "question" in found:  # tasks blocked behind a question wait for its answer
            status = BuildStatus.QUESTION
        elif "blocked" in found:
            status = BuildStatus.FAILED
        else:
            status = BuildStatus.DONE
        run_examples(ctx)
        ctx.journal.build(None, status=status)
        return {"stage": "reported"}

    graph = StateGraph(BuildState)
    graph.add_node("load", load)
    graph.add_node("validate", validate)
    graph.add_node("plan", plan)
    graph.add_node("run", run)
    graph.add_node("report", report)
    graph.add_edge(START, "load")
    graph.add_edge("load", "validate")
    graph.add_conditional_edges(
        "validate", lambda s: "plan" if s.get("stage") == "valid" else END, ["plan", END]
    )
    graph.add_conditional_edges(
        "plan", lambda s: "run" if s.get("stage") == "run" else END, ["run", END]
    )
    graph.add_conditional_edges(
        "run", lambda s: "run" if s.get("stage") == "run" else "report", ["run", "report"]
    )
    graph.add_edge("report", END)
    return graph.compile(checkpointer=checkpointer)


def _start_ready(ctx: BuildContext, plan: Plan, states: dict[str, str]) -> dict[str, str]:
    """Block tasks behind failed dependencies and start ready ones, up to the concurrency;
    returns the newly blocked tasks' states."""
    step = next_step(plan, states, ctx.running)
    for task_id, reason in step.blocked.items():
        ctx.journal.task(
            task_id, f"{task_id} blocked: {reason}", state=TaskState.BLOCKED, error=reason
        )
    for task_id in step.ready:
        if len(ctx.running) >= ctx.concurrency:
            break
        ctx.running[task_id] = ctx.executor().submit(run_task, ctx, task_id)
    return dict.fromkeys(step.blocked, "blocked")


def _plan(ctx: BuildContext, state: BuildState) -> Plan:
    """The build's plan (from the runtime, or from the checkpointed state after a resume)."""
    if ctx.plan is None:
        ctx.plan = Plan.model_validate(state["plan"])
    return ctx.plan


def _ask_planner(
    ctx: BuildContext, spec_files: dict[str, bytes], ids: list[str], exempt: list[str]
) -> tuple[Plan, list[str]]:
    """Ask the planner for a plan; on problems, one repair round with the problems listed."""
    files = [(p, data.decode("utf-8", errors="replace")) for p, data in spec_files.items()]
    conventions = (
        [] if ctx.view.user_conventions else [render_requirement(r) for r in ctx.view.conventions]
    )
    messages = planner_messages(files, conventions, exempt)
    made = ctx.ask("planner", Plan, messages, task=None, attempt=0, label="plan")
    problems = check_plan(made, ids, exempt)
    if not problems:
        return made, problems
    ctx.journal.build(f"the plan has {len(problems)} problem(s); one repair round with the planner")
    previous = canonical_json(made.model_dump(mode="json"))
    messages = planner_messages(files, conventions, exempt, previous=previous, problems=problems)
    made = ctx.ask("planner", Plan, messages, task=None, attempt=1, label="plan-repair")
    return made, check_plan(made, ids, exempt)


def _carry_plan(
    ctx: BuildContext, base: PlanBase, ids: list[str], exempt: list[str]
) -> tuple[Plan, list[str]]:
    """Carry the base plan over to this revision: unchanged tasks kept by code, only changed and
    new requirements sent to the planner; one repair round when the merged plan has problems."""
    delta = spec_delta(base.spec, ctx.view.spec, exempt)
    carried = carry_over(base.plan, delta)
    asked = delta.to_plan()
    ctx.journal.build(
        f"plan carried over from {ctx.journal.record.options.plan_base} "
        f"({base.commit[:10]}): {len(carried.kept)} task(s) kept, "
        f"{len(carried.affected)} affected, {len(carried.dropped)} dropped; "
        + (f"asking the planner about {', '.join(asked)}" if asked else "no planner call")
    )
    amendment = Plan()
    made, problems = _merged(carried, amendment, ids, exempt)
    for attempt in range(2 if asked else 0):
        messages = amend_messages(
            [ctx.view.rendered(r) for r in asked],
            carried.affected_tasks(),
            carried.kept_tasks(),
            exempt,
            previous=canonical_json(amendment.model_dump(mode="json")) if attempt else None,
            problems=problems if attempt else (),
        )
        label = "plan-amend-repair" if attempt else "plan-amend"
        amendment = ctx.ask("planner", Plan, messages, task=None, attempt=attempt, label=label)
        made, problems = _merged(carried, amendment, ids, exempt)
        if not problems:
            break
        if not attempt:
            ctx.journal.build(f"the amended plan has {len(problems)} problem(s); one repair round")
    before = {t.id for t in base.plan.tasks}
    after = {t.id for t in made.tasks}
    ctx.journal.build(
        None,
        carryover={
            "from": ctx.journal.record.options.plan_base,
            "commit": base.commit,
            "delta": delta.as_dict(),
            "kept": [t for t in carried.kept if t in after],
            "amended": [t.id for t in amendment.tasks if t.id in set(carried.affected)],
            "added": sorted(after - before),
            "dropped": sorted(before - after),
            "planner_asked": asked,
        },
    )
    return made, problems


def _merged(
    carried: Carried, amendment: Plan, ids: list[str], exempt: list[str]
) -> tuple[Plan, list[str]]:
    """The carried plan with the amendment applied, and every problem code finds in it."""
    made, problems = merge_amendment(carried, amendment)
    return made, problems + check_plan(made, ids, exempt)


def _plan_failed(ctx: BuildContext, problems: list[str], made: Plan | None) -> dict[str, Any]:
    """Stop the build with the plan's problems listed."""
    ctx.journal.build(
        f"the plan has {len(problems)} problem(s); nothing was built",
        status=BuildStatus.PLAN_ERRORS,
        plan_problems=problems,
        message=f"{len(problems)} problem(s) in the plan",
    )
    out: dict[str, Any] = {"stage": "plan-errors"}
    if made is not None:
        out["plan"] = made.model_dump(mode="json")
    return out
