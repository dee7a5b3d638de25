"""The build graph: load → validate → plan → (schedule → tasks in parallel)* → report.

Tasks whose dependencies are done are dispatched together with `Send`; LangGraph runs them in a
thread pool bounded by the config's `max_concurrency` (the build's concurrency). Every node's
side effects go to the build directory; graph state stays JSON-able and is checkpointed in the
build's own `checkpoints.db`, so a killed build resumes where it stopped (finished tasks of an
interrupted step are kept as pending writes and are not run again).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.types import Send

from charter.agents import Plan, planner_messages
from charter.graphs.build.cache import canonical_json
from charter.graphs.build.context import BuildContext
from charter.graphs.build.examples import run_examples
from charter.graphs.build.plan import PlanLoadError, check_plan, load_plan, write_plan
from charter.graphs.build.records import BuildStatus, TaskRecord, TaskState
from charter.graphs.build.scheduler import next_step
from charter.graphs.build.state import BuildState, TaskInput
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
        if plan_file is not None:
            try:
                made = load_plan(plan_file)
            except PlanLoadError as exc:
                return _plan_failed(ctx, [str(exc)], None)
            ctx.bdir.plan.write_bytes(plan_file.read_bytes())
            problems = check_plan(made, ids, exempt)
        else:
            made, problems = _ask_planner(ctx, spec_files, ids, exempt)
            write_plan(ctx.bdir.plan, made)
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

    def schedule(state: BuildState) -> dict[str, Any]:
        """Block tasks behind failed dependencies (dispatch happens on the outgoing edge)."""
        current = _plan(ctx, state)
        step = next_step(current, state.get("tasks", {}))
        for task_id, reason in step.blocked.items():
            ctx.journal.task(
                task_id, f"{task_id} blocked: {reason}", state=TaskState.BLOCKED, error=reason
            )
        return {"tasks": {t: "blocked" for t in step.blocked}}

    def dispatch(state: BuildState) -> list[Send] | str:
        """One Send per ready task, or the report when nothing can run."""
        step = next_step(_plan(ctx, state), state.get("tasks", {}))
        if not step.ready:
            return "report"
        return [Send("task", TaskInput(task_id=t)) for t in step.ready]

    def task(payload: TaskInput) -> dict[str, Any]:
        """Run one task to its final state."""
        task_id = payload["task_id"]
        return {"tasks": {task_id: run_task(ctx, task_id)}}

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
    graph.add_node("schedule", schedule)
    graph.add_node("task", task)  # type: ignore[arg-type]
    graph.add_node("report", report)
    graph.add_edge(START, "load")
    graph.add_edge("load", "validate")
    graph.add_conditional_edges(
        "validate", lambda s: "plan" if s.get("stage") == "valid" else END, ["plan", END]
    )
    graph.add_conditional_edges(
        "plan", lambda s: "schedule" if s.get("stage") == "run" else END, ["schedule", END]
    )
    graph.add_conditional_edges("schedule", dispatch, ["task", "report"])
    graph.add_edge("task", "schedule")
    graph.add_edge("report", END)
    return graph.compile(checkpointer=checkpointer)


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
