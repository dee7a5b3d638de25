"""Which tasks can run now: dependency order, with tasks behind a failed dependency blocked.

The graph's run loop calls `next_step` each time a task finishes: every task whose own
dependencies are all done (and that is not already running) may start, up to the build's
concurrency; a task whose dependency ended in any other final state is blocked, naming that
dependency.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from charter.agents import Plan

FINAL = {"done", "failed", "question", "blocked"}


@dataclass(frozen=True)
class Step:
    """What to do next: tasks to run now, and tasks that can never run (with the reason)."""

    ready: list[str]
    blocked: dict[str, str]


def next_step(plan: Plan, states: dict[str, str], running: Collection[str] = ()) -> Step:
    """The tasks ready to run and the tasks newly blocked, given the current task states and
    the tasks running now."""
    current = dict(states)
    blocked: dict[str, str] = {}
    changed = True
    while changed:  # blocking propagates down dependency chains in one step
        changed = False
        for task in plan.tasks:
            if current.get(task.id, "pending") in FINAL:
                continue
            bad = [d for d in task.depends_on if current.get(d) in FINAL - {"done"}]
            if bad:
                reason = ", ".join(f"{d} ({current[d]})" for d in bad)
                blocked[task.id] = f"depends on {reason}"
                current[task.id] = "blocked"
                changed = True
    ready = [
        t.id
        for t in plan.tasks
        if current.get(t.id, "pending") not in FINAL
        and t.id not in running
        and all(current.get(d) == "done" for d in t.depends_on)
    ]
    return Step(ready, blocked)
