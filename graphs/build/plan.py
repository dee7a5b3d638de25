"""The plan on disk (`plan.toml`, which the user may edit) and the code checks every plan passes.

A plan is checked against the spec it was made for: unknown requirement IDs, duplicate task IDs,
unknown or cyclic dependencies, outputs outside the workspace, two tasks writing one file, a
missing verify command, and every requirement either covered by a task or listed in `not_built`
with a reason. Each problem is one sentence naming the task and what to fix.
"""

from __future__ import annotations

import graphlib
import tomllib
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

import tomli_w
from pydantic import ValidationError

from charter.agents import Plan, PlannedTask

PLAN_HEADER = (
    "# Charter build plan. Edit it, then run: charter build --plan <this file> [REV]\n"
    "# Each task names its requirements, the tasks it depends on, the files it writes and\n"
    "# a verify command run in the build's workspace/. `spec_commit` is the revision the plan\n"
    "# was made for: built at another revision, it is carried over to that one.\n\n"
)


class PlanLoadError(ValueError):
    """plan.toml could not be read; the message names the file and the field."""


def dump_plan(plan: Plan, spec_commit: str | None = None) -> str:
    """plan.toml text: a comment header, the spec commit it was made for, then the plan."""
    data: dict[str, object] = {} if spec_commit is None else {"spec_commit": spec_commit}
    data |= {
        "tasks": [task.model_dump() for task in plan.tasks],
        "not_built": [item.model_dump() for item in plan.not_built],
    }
    return PLAN_HEADER + tomli_w.dumps(data)


def write_plan(path: Path, plan: Plan, spec_commit: str | None = None) -> None:
    """Write plan.toml."""
    path.write_text(dump_plan(plan, spec_commit), encoding="utf-8")


def plan_commit(path: Path) -> str | None:
    """The spec commit a plan file says it was made for (`spec_commit`), or None."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None
    value = data.get("spec_commit")
    return value if isinstance(value, str) and value.strip() else None


def load_plan(path: Path) -> Plan:
    """Read and validate a plan file; raise PlanLoadError naming what is wrong."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PlanLoadError(f"{path}: cannot read the plan: {exc.strerror}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PlanLoadError(f"{path}: {exc}") from exc
    try:
        return Plan.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise PlanLoadError(f"{path}: {problems}") from exc


def outside_workspace(path: str) -> str | None:
    """Why an output path would leave the workspace, or None when it stays inside."""
    if not path.strip():
        return "is empty"
    pure = PurePosixPath(path)
    if pure.is_absolute() or path.startswith("~") or "\\" in path:
        return "is absolute"
    if ".." in pure.parts:
        return "has a `..` component"
    if ".git" in pure.parts:
        return "is inside .git"
    return None


def check_plan(plan: Plan, requirement_ids: Iterable[str], exempt: Iterable[str] = ()) -> list[str]:
    """Every problem with `plan` for a spec with `requirement_ids`; `exempt` need no coverage."""
    known = list(dict.fromkeys(requirement_ids))
    known_set = set(known) | set(exempt)
    problems: list[str] = []
    if not plan.tasks:
        problems.append("the plan has no tasks")
    ids = [t.id for t in plan.tasks]
    seen: set[str] = set()
    for tid in ids:
        if not tid.strip():
            problems.append("a task has an empty id")
        elif tid in seen:
            problems.append(f"task id {tid} is used twice")
        seen.add(tid)
    writers: dict[str, str] = {}
    for task in plan.tasks:
        problems += _check_task(task, known_set, seen, writers)
    problems += _check_cycles(plan.tasks, seen)
    covered = {r for t in plan.tasks for r in t.requirements}
    listed: set[str] = set()
    for item in plan.not_built:
        if item.requirement not in known_set:
            problems.append(f"not_built names unknown requirement {item.requirement}")
        if not item.reason.strip():
            problems.append(f"not_built {item.requirement} gives no reason")
        listed.add(item.requirement)
    exempt_set = set(exempt)
    for req in known:
        if req not in covered and req not in listed and req not in exempt_set:
            problems.append(
                f"requirement {req} is neither implemented by a task nor listed in not_built "
                "with a reason"
            )
    return problems


def _check_task(
    task: PlannedTask, known: set[str], ids: set[str], writers: dict[str, str]
) -> list[str]:
    """Problems local to one task (IDs, dependencies, outputs, verify)."""
    problems = []
    for req in task.requirements:
        if req not in known:
            problems.append(f"task {task.id} names unknown requirement {req}")
    for dep in task.depends_on:
        if dep == task.id:
            problems.append(f"task {task.id} depends on itself")
        elif dep not in ids:
            problems.append(f"task {task.id} depends on unknown task {dep}")
    for out in task.outputs:
        why = outside_workspace(out)
        if why is not None:
            problems.append(f"task {task.id} output `{out}` {why}; outputs stay inside workspace/")
            continue
        norm = PurePosixPath(out).as_posix()
        if norm in writers and writers[norm] != task.id:
            problems.append(f"tasks {writers[norm]} and {task.id} both write `{norm}`")
        writers.setdefault(norm, task.id)
    if not task.verify.strip():
        problems.append(f"task {task.id} has no verify command (use `true` to verify nothing)")
    return problems


def _check_cycles(tasks: list[PlannedTask], ids: set[str]) -> list[str]:
    """A problem naming the tasks of a dependency cycle, if there is one."""
    sorter = graphlib.TopologicalSorter(
        {t.id: [d for d in t.depends_on if d in ids and d != t.id] for t in tasks}
    )
    try:
        sorter.prepare()
    except graphlib.CycleError as exc:
        cycle = " -> ".join(exc.args[1])
        return [f"the dependencies form a cycle: {cycle}"]
    return []
