"""A build's directory and its records' models: `build.json` (BuildRecord), questions, ids.

`.charter/builds/<id>/` holds `spec/` (read-only snapshot), `plan.toml`, `workspace/` (the
generated codebase), `calls/` (every exchange with the model, verbatim, one JSON file per call),
`logs/` (verify output), `build.json` (status and task states, rewritten atomically as the build
progresses: the TUI and `charter builds` read it), `report.md`, `assumptions.md`,
`deviations.md`, `questions.md` and `questions.json`.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

BUILD_ID_PREFIX = "b-"


def now_iso() -> str:
    """The current UTC time, ISO 8601 with milliseconds."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def new_build_id(now: datetime | None = None) -> str:
    """A sortable build ID: `b-YYYYMMDD-HHMMSS-xxxxxx` (UTC, then 6 random hex digits)."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    return f"{BUILD_ID_PREFIX}{stamp}-{secrets.token_hex(3)}"


class BuildStatus(StrEnum):
    """Where a build is, or how it ended."""

    STARTING = "starting"
    PLANNING = "planning"
    PLANNED = "planned"  # --plan-only stopped after plan.toml
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # some task failed or is blocked
    QUESTION = "question"  # some task asks a question (none failed)
    INVALID = "invalid"  # spec validation ERRORs
    PLAN_ERRORS = "plan-errors"
    ERROR = "error"  # model endpoint or replay failure: resumable
    INTERRUPTED = "interrupted"  # shown for a running build whose process is gone


FINISHED_STATUSES = {
    BuildStatus.PLANNED,
    BuildStatus.DONE,
    BuildStatus.FAILED,
    BuildStatus.QUESTION,
    BuildStatus.INVALID,
    BuildStatus.PLAN_ERRORS,
    BuildStatus.ERROR,
}


class TaskState(StrEnum):
    """A task's state; the last four are final."""

    PENDING = "pending"
    RUNNING = "running"
    VERIFYING = "verifying"
    FIXING = "fixing"
    DONE = "done"
    FAILED = "failed"
    QUESTION = "question"
    BLOCKED = "blocked"


FINAL_TASK_STATES = {TaskState.DONE, TaskState.FAILED, TaskState.QUESTION, TaskState.BLOCKED}


class Tokens(BaseModel):
    """Token counts reported by the endpoint."""

    prompt: int = 0
    completion: int = 0
    total: int = 0

    def add(self, usage: dict[str, int]) -> None:
        """Add one exchange's usage."""
        self.prompt += int(usage.get("prompt_tokens", 0))
        self.completion += int(usage.get("completion_tokens", 0))
        self.total += int(usage.get("total_tokens", 0)) or (
            int(usage.get("prompt_tokens", 0)) + int(usage.get("completion_tokens", 0))
        )


class RefusedWrite(BaseModel):
    """A file the model asked to write that was refused."""

    path: str
    reason: str


class VerifyRun(BaseModel):
    """One run of a task's verify command."""

    attempt: int
    code: int
    timed_out: bool = False
    limit: str | None = Field(
        default=None, description="the limit that stopped it: time, output, processes, sandbox"
    )
    duration_s: float = 0.0
    log: str = Field(description="log path relative to the build dir")


class TaskRecord(BaseModel):
    """One task's progress and outcome, as build.json shows it."""

    id: str
    title: str = ""
    state: TaskState = TaskState.PENDING
    requirements: list[str] = Field(default_factory=list)
    depends_on: list[str] = Field(default_factory=list)
    attempts: int = Field(default=0, description="fixer attempts used")
    files: list[str] = Field(default_factory=list)
    refused: list[RefusedWrite] = Field(default_factory=list)
    input_hash: str | None = None
    reused_from: str | None = None
    commit: str | None = None
    started: str | None = None
    finished: str | None = None
    duration_s: float = 0.0
    model_s: float = 0.0
    verify_s: float = 0.0
    tokens: Tokens = Field(default_factory=Tokens)
    calls: int = 0
    cached_calls: int = 0
    verify: list[VerifyRun] = Field(default_factory=list)
    assumptions: list[str] = Field(default_factory=list)
    deviations: list[dict[str, str]] = Field(default_factory=list)
    violations: list[str] = Field(default_factory=list)
    question: str | None = Field(default=None, description="question ID when state is question")
    error: str | None = None
    notes: str = ""


class BuildOptions(BaseModel):
    """How the build was asked for."""

    plan_file: str | None = None
    plan_only: bool = False
    replay_of: str | None = None
    force: bool = False
    fresh: bool = False
    resumed: int = 0
    replan: bool = False
    plan_base: str | None = Field(
        default=None, description="where the carried-over plan came from (build or plan file)"
    )
    forced_audit: list[str] = Field(
        default_factory=list, description="audit ERROR findings built past with --force"
    )


class BuildRecord(BaseModel):
    """`build.json`: the whole build at a glance."""

    id: str
    status: BuildStatus = BuildStatus.STARTING
    rev: str = "HEAD"
    commit: str = ""
    started: str = Field(default_factory=now_iso)
    finished: str | None = None
    duration_s: float = 0.0
    model: str | None = None
    models: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="model identity per role (part of request hashes)"
    )
    concurrency: int = 1
    max_fix_attempts: int = 0
    tokens: Tokens = Field(default_factory=Tokens)
    calls: int = 0
    cached_calls: int = 0
    tasks: dict[str, TaskRecord] = Field(default_factory=dict)
    not_built: list[dict[str, str]] = Field(default_factory=list)
    findings: list[dict[str, Any]] = Field(default_factory=list)
    plan_problems: list[str] = Field(default_factory=list)
    carryover: dict[str, Any] | None = Field(
        default=None, description="spec delta and task fates of a carried-over plan"
    )
    conventions: str = ""
    options: BuildOptions = Field(default_factory=BuildOptions)
    message: str | None = None
    replay_identical: bool | None = None
    pid: int | None = None
    sandbox: str = Field(default="", description="how verify commands ran (the jail, or none)")

    def counts(self) -> dict[str, int]:
        """How many tasks are in each state."""
        out: dict[str, int] = {}
        for task in self.tasks.values():
            out[task.state.value] = out.get(task.state.value, 0) + 1
        return out


class BuildQuestion(BaseModel):
    """A question a task raised because the spec does not decide something."""

    id: str
    build: str
    task: str
    requirements: list[str] = Field(default_factory=list)
    text: str
    raised: str = Field(default_factory=now_iso)
    rev: str = ""
    commit: str = ""


@dataclass(frozen=True)
class BuildDir:
    """The paths of one build directory."""

    root: Path

    @property
    def id(self) -> str:
        """The build ID (the directory's name)."""
        return self.root.name

    @property
    def spec(self) -> Path:
        """Read-only snapshot of the spec at the build's commit."""
        return self.root / "spec"

    @property
    def plan(self) -> Path:
        """The editable plan."""
        return self.root / "plan.toml"

    @property
    def workspace(self) -> Path:
        """The generated codebase (its own git repository)."""
        return self.root / "workspace"

    @property
    def calls(self) -> Path:
        """Every model exchange, one JSON file per call."""
        return self.root / "calls"

    @property
    def logs(self) -> Path:
        """Verify command output."""
        return self.root / "logs"

    @property
    def home(self) -> Path:
        """HOME of verify commands."""
        return self.root / "home"

    @property
    def tmp(self) -> Path:
        """TMPDIR of verify commands."""
        return self.root / "tmp"

    @property
    def record(self) -> Path:
        """`build.json`."""
        return self.root / "build.json"

    @property
    def checkpoints(self) -> Path:
        """The LangGraph checkpoints of this build (thread id = build id)."""
        return self.root / "checkpoints.db"

    @property
    def lock(self) -> Path:
        """Held (flock) by the process running the build."""
        return self.root / "build.lock"

    @property
    def report(self) -> Path:
        """`report.md`."""
        return self.root / "report.md"

    @property
    def assumptions(self) -> Path:
        """`assumptions.md`."""
        return self.root / "assumptions.md"

    @property
    def deviations(self) -> Path:
        """`deviations.md`."""
        return self.root / "deviations.md"

    @property
    def questions_md(self) -> Path:
        """`questions.md`."""
        return self.root / "questions.md"

    @property
    def questions_json(self) -> Path:
        """`questions.json`."""
        return self.root / "questions.json"

    def create(self) -> None:
        """Make the directory tree of a new build."""
        for path in (
            self.root,
            self.spec,
            self.workspace,
            self.calls,
            self.logs,
            self.home,
            self.tmp,
        ):
            path.mkdir(parents=True, exist_ok=True)


def dump_json(model: BaseModel | dict[str, Any] | list[Any]) -> bytes:
    """Pretty, stable JSON bytes for records humans also read."""
    data = model.model_dump(mode="json") if isinstance(model, BaseModel) else model
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def read_record(build_dir: Path) -> BuildRecord | None:
    """Load a build's `build.json`, or None when missing or unreadable."""
    try:
        return BuildRecord.model_validate_json((build_dir / "build.json").read_bytes())
    except (OSError, ValueError):
        return None


def list_builds(builds_dir: Path) -> list[BuildRecord]:
    """Every build's record, oldest first (IDs sort by start time)."""
    if not builds_dir.is_dir():
        return []
    out = []
    for child in sorted(builds_dir.iterdir()):
        if child.is_dir() and child.name.startswith(BUILD_ID_PREFIX):
            record = read_record(child)
            if record is not None:
                out.append(record)
    return out


def shown_status(builds_dir: Path, record: BuildRecord) -> BuildStatus:
    """The status to show a user: a build that never finished and whose process is gone (no one
    holds its lock) is `interrupted`, whatever its record last said."""
    if record.status in FINISHED_STATUSES or is_running(BuildDir(builds_dir / record.id)):
        return record.status
    return BuildStatus.INTERRUPTED


def is_running(bdir: BuildDir) -> bool:
    """Whether some process holds the build's lock right now."""
    import fcntl

    try:
        fd = os.open(bdir.lock, os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)
