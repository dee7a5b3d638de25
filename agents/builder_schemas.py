"""The builder's structured outputs: the build plan and what a coder or fixer call returns.

Plain pydantic models (no langchain import), so the plan can be read and checked without paying
for the model stack.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class PlannedTask(BaseModel):
    """One task of the plan."""

    id: str = Field(description="short task ID such as T1")
    title: str = Field(description="what the task does, as a short imperative phrase")
    requirements: list[str] = Field(
        default_factory=list, description="IDs of the requirements this task implements"
    )
    sections: list[str] = Field(
        default_factory=list, description="titles of the spec sections those requirements are in"
    )
    depends_on: list[str] = Field(
        default_factory=list, description="IDs of tasks whose output files this task needs"
    )
    outputs: list[str] = Field(
        default_factory=list, description="files the task writes, relative to the workspace root"
    )
    verify: str = Field(
        default="", description="shell command, run in the workspace root, that passes when done"
    )
    notes: str = Field(default="", description="what the coder must know beyond the requirements")


class NotBuilt(BaseModel):
    """A requirement the plan does not build, and why."""

    requirement: str = Field(description="the requirement ID")
    reason: str = Field(description="why it cannot be built from this specification")


class Plan(BaseModel):
    """The build plan: tasks in dependency order, and what is deliberately not built."""

    tasks: list[PlannedTask] = Field(default_factory=list)
    not_built: list[NotBuilt] = Field(default_factory=list)

    def task(self, task_id: str) -> PlannedTask | None:
        """The task with `task_id`, or None."""
        return next((t for t in self.tasks if t.id == task_id), None)


class FileOut(BaseModel):
    """One file to write, whole."""

    path: str = Field(description="path relative to the workspace root")
    content: str = Field(description="the complete file content")


class Deviation(BaseModel):
    """Where the code departs from a SHOULD or MAY requirement, and why."""

    requirement: str = Field(description="the requirement ID")
    departure: str = Field(description="how the code departs from it")
    why: str = Field(description="the reason")


class TaskResult(BaseModel):
    """What a coder or fixer call returns."""

    files: list[FileOut] = Field(default_factory=list, description="files to write, whole")
    assumptions: list[str] = Field(
        default_factory=list, description="choices made that the requirements do not state"
    )
    deviations: list[Deviation] = Field(default_factory=list)
    question: str | None = Field(
        default=None,
        description="set only when the requirements do not decide something needed; no files then",
    )
    notes: str = Field(default="", description="anything the reviewer should know")
