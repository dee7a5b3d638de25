"""The build graph's checkpointed state: JSON-able values only (no pydantic objects).

`tasks` maps task ID → final state name, merged key by key as tasks finish; `stage` says where
the graph is (`run` while tasks are running or ready); `plan` is the checked plan as a dict, so
a resumed build runs the plan it started with even if plan.toml was edited in the meantime.
"""

from __future__ import annotations

from typing import Annotated, Any, TypedDict


def merge_tasks(left: dict[str, str] | None, right: dict[str, str] | None) -> dict[str, str]:
    """Reducer: later task-state updates win, key by key."""
    return {**(left or {}), **(right or {})}


class BuildState(TypedDict, total=False):
    """What the build graph checkpoints between steps."""

    stage: str
    plan: dict[str, Any]
    tasks: Annotated[dict[str, str], merge_tasks]
