"""Plan carry-over: a rebuild starts from the previous plan, and code decides what the planner sees.

A model asked twice for a plan names, splits and words its tasks differently each time, so every
task's input hash would change and nothing would be reused. Instead, code computes the
requirement-level difference between the revision the previous plan was made for and the new one
(`spec_delta`), keeps every task none of whose requirements changed exactly as it was (same ID,
outputs, verify and notes: no planner call), shrinks or drops tasks whose requirements were
removed, and sends only the changed and new requirements to the planner (`carry_over`). The
planner may only amend the affected tasks or add new ones; `merge_amendment` applies its answer
and names every overstep as a problem, and the caller then runs the usual plan checks (coverage,
cycles, output clashes) on the result.

A requirement counts as changed when its text (keyword included) or its LOCKED flag changed; a
provenance-only change (say inferred → confirmed) or a move to another section leaves the plan as
it is (the task's prompt still shows the new provenance, so the task itself is rebuilt by its
input hash).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from charter.agents import NotBuilt, Plan, PlannedTask
from charter.specs import ChangeKind, Spec, requirement_changes


@dataclass(frozen=True)
class SpecDelta:
    """Requirement IDs that differ between two revisions of a spec, by kind of difference."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    provenance: list[str] = field(default_factory=list)

    def to_plan(self) -> list[str]:
        """The requirements the planner must see: changed and new ones."""
        return [*self.changed, *self.added]

    def as_dict(self) -> dict[str, list[str]]:
        """The delta as a JSON-able dict (for build.json)."""
        return {
            "added": list(self.added),
            "changed": list(self.changed),
            "removed": list(self.removed),
            "moved": list(self.moved),
            "provenance": list(self.provenance),
        }


def _locations(spec: Spec) -> dict[str, tuple[str, str]]:
    """Requirement ID → (file, section title)."""
    return {r.id: (f.path, s.title) for f in spec.files for s in f.sections for r in s.requirements}


def spec_delta(old: Spec, new: Spec, ignore: Iterable[str] = ()) -> SpecDelta:
    """What changed, requirement by requirement, from `old` to `new` (code, not a model);
    `ignore` (the conventions, which no task implements) never needs planning."""
    skip = set(ignore)
    before = {r.id: r for r in old.requirements()}
    after = {r.id: r for r in new.requirements()}
    delta = SpecDelta()
    for change in requirement_changes(old, new):
        rid = change.req_id
        if rid in skip:
            continue
        if change.kind is ChangeKind.ADDED:
            delta.added.append(rid)
        elif change.kind is ChangeKind.REMOVED:
            delta.removed.append(rid)
        elif (before[rid].text, before[rid].locked) != (after[rid].text, after[rid].locked):
            delta.changed.append(rid)
        else:
            delta.provenance.append(rid)
    was, now = _locations(old), _locations(new)
    delta.moved.extend(r for r in now if r in was and was[r] != now[r])
    return delta


@dataclass
class Carried:
    """The previous plan brought forward to a new revision, before the planner's amendment."""

    plan: Plan
    delta: SpecDelta
    kept: list[str]
    affected: list[str]
    dropped: list[str]
    outputs_of_dropped: dict[str, list[str]] = field(default_factory=dict)

    def kept_tasks(self) -> list[PlannedTask]:
        """The tasks the planner may not change."""
        kept = set(self.kept)
        return [t for t in self.plan.tasks if t.id in kept]

    def affected_tasks(self) -> list[PlannedTask]:
        """The tasks the planner may amend (each implements a changed requirement)."""
        affected = set(self.affected)
        return [t for t in self.plan.tasks if t.id in affected]


def carry_over(previous: Plan, delta: SpecDelta) -> Carried:
    """The previous plan with removed requirements taken out, and its tasks sorted into kept
    (untouched) and affected (they implement a changed requirement)."""
    removed = set(delta.removed)
    replanned = set(delta.to_plan())
    tasks: list[PlannedTask] = []
    dropped: list[str] = []
    outputs: dict[str, list[str]] = {}
    for task in previous.tasks:
        remaining = [r for r in task.requirements if r not in removed]
        if task.requirements and not remaining:  # every requirement it built is gone
            dropped.append(task.id)
            outputs[task.id] = list(task.outputs)
            continue
        if len(remaining) != len(task.requirements):
            task = task.model_copy(update={"requirements": remaining})
        tasks.append(task)
    not_built = [n for n in previous.not_built if n.requirement not in removed | replanned]
    plan = Plan(tasks=tasks, not_built=not_built)  # dependencies are redirected on merge
    affected = [t.id for t in plan.tasks if replanned & set(t.requirements)]
    kept = [t.id for t in plan.tasks if t.id not in set(affected)]
    return Carried(plan, delta, kept, affected, dropped, outputs)


def merge_amendment(carried: Carried, amendment: Plan) -> tuple[Plan, list[str]]:
    """Apply the planner's amendment to the carried plan; problems name every overstep.

    A returned task with an affected task's ID replaces it; one with a kept task's ID must be
    identical to it; any other is added. An amended or added task names only changed or new
    requirements (or those the amended task already had). A changed requirement the planner
    placed elsewhere leaves the affected tasks not returned; one left with no requirement is
    dropped, and dependencies on dropped tasks move to the task now writing their files.
    """
    allowed = set(carried.delta.to_plan())
    kept = {t.id: t for t in carried.kept_tasks()}
    affected = {t.id: t for t in carried.affected_tasks()}
    problems: list[str] = []
    replaced: dict[str, PlannedTask] = {}
    added: list[PlannedTask] = []
    for task in amendment.tasks:
        if task.id in kept:
            if task != kept[task.id]:
                problems.append(
                    f"task {task.id} is kept from the previous plan (none of its requirements "
                    "changed) and may not be changed; give a new task a new ID"
                )
            continue
        own = set(affected[task.id].requirements) if task.id in affected else set()
        extra = [r for r in task.requirements if r not in allowed | own]
        if extra:
            problems.append(
                f"task {task.id} names {', '.join(extra)}, which kept tasks implement; plan only "
                "the changed and new requirements"
            )
        if task.id in affected:
            replaced[task.id] = task
        else:
            added.append(task)
    placed = {r for t in [*replaced.values(), *added] for r in t.requirements}
    placed |= {n.requirement for n in amendment.not_built}
    tasks: list[PlannedTask] = []
    dropped = dict(carried.outputs_of_dropped)
    for task in carried.plan.tasks:
        if task.id in replaced:
            tasks.append(replaced[task.id])
            continue
        if task.id in affected:
            mine = set(affected[task.id].requirements) & allowed
            moved = mine & placed
            if moved:
                remaining = [r for r in task.requirements if r not in moved]
                if not remaining:
                    dropped[task.id] = list(task.outputs)
                    continue
                task = task.model_copy(update={"requirements": remaining})
        tasks.append(task)
    tasks += added
    not_built = list(carried.plan.not_built)
    for item in amendment.not_built:
        if item.requirement in allowed:
            not_built.append(NotBuilt(requirement=item.requirement, reason=item.reason))
        else:
            problems.append(
                f"not_built names {item.requirement}, which is not a changed or new requirement"
            )
    merged = _redirect(Plan(tasks=tasks, not_built=not_built), dropped)
    return merged, problems


def _redirect(plan: Plan, dropped: dict[str, list[str]]) -> Plan:
    """Point dependencies on dropped tasks at the tasks now writing their files (or drop them)."""
    if not dropped:
        return plan
    writers: dict[str, str] = {}
    for task in plan.tasks:
        for out in task.outputs:
            writers.setdefault(PurePosixPath(out).as_posix(), task.id)
    tasks = []
    for task in plan.tasks:
        if not any(d in dropped for d in task.depends_on):
            tasks.append(task)
            continue
        deps: list[str] = []
        for dep in task.depends_on:
            targets = [dep] if dep not in dropped else []
            for out in dropped.get(dep, []):
                w = writers.get(PurePosixPath(out).as_posix())
                if w is not None and w != task.id:
                    targets.append(w)
            deps += [t for t in targets if t not in deps]
        tasks.append(task.model_copy(update={"depends_on": deps}))
    return Plan(tasks=tasks, not_built=plan.not_built)


# -- where a rebuild's plan comes from -------------------------------------------------------

BASE_FILE = "plan-base.toml"  # in the build dir: the plan this build carried over, as it was


@dataclass(frozen=True)
class PlanBase:
    """The plan a build starts from: the plan, the spec it was made for, and where it came from."""

    plan: Plan
    spec: Spec
    commit: str


def choose_base(
    builds_dir: Path, root: Path, plan_file: Path | None, commit: str
) -> tuple[Path, str, str] | None:
    """(plan file, the spec commit it was made for, where it came from) to carry over, or None.

    An edited plan made for another revision is carried over; one made for this revision (or
    saying nothing) is built as it is. Without a plan file, the newest earlier build of the same
    spec lineage (its commit is this one or an ancestor) that got a plan gives it.
    """
    from charter.graphs.build.plan import plan_commit
    from charter.graphs.build.records import BuildStatus, list_builds
    from charter.specs import ancestor_of

    if plan_file is not None:
        made_for = plan_commit(plan_file)
        if made_for is None or made_for == commit:
            return None
        return plan_file, made_for, f"plan file {plan_file}"
    for record in reversed(list_builds(builds_dir)):
        if record.status in (BuildStatus.INVALID, BuildStatus.PLAN_ERRORS) or not record.commit:
            continue
        path = builds_dir / record.id / "plan.toml"
        if not path.is_file():
            continue
        made_for = plan_commit(path) or record.commit
        if made_for == commit or ancestor_of(root, made_for, commit):
            return path, made_for, f"build {record.id}"
    return None


def save_base(target: Path, source: Path, commit: str) -> str | None:
    """Copy the plan to carry over into the build dir (with its commit); the reason if unusable."""
    from charter.graphs.build.plan import PlanLoadError, load_plan, write_plan

    try:
        plan = load_plan(source)
    except PlanLoadError as exc:
        return str(exc)
    write_plan(target, plan, commit)
    return None


def load_base(path: Path, read_spec: Callable[[str], dict[str, bytes]]) -> PlanBase | None:
    """The saved base plan of a build and the spec at its commit (None when there is none)."""
    from charter.graphs.build.plan import load_plan, plan_commit
    from charter.specs import load_spec_files

    commit = plan_commit(path) if path.is_file() else None
    if commit is None:
        return None
    spec, _ = load_spec_files(read_spec(commit))
    return PlanBase(load_plan(path), spec, commit)
