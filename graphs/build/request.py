"""What a build's caller passes in and gets back: `BuildRequest`, `BuildOutcome`, the exit code
of each final status, and the errors a bad request raises. Kept apart from `run` so that a
caller (the remote client, the server graph) can name them without loading the builder.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from charter.agents import ModelSettings
from charter.graphs.build.checkpoint import CheckpointStore
from charter.graphs.build.jail import JailPolicy
from charter.graphs.build.records import BuildRecord, BuildStatus


class BuildInputError(ValueError):
    """Bad input: unknown revision, unknown build, unreadable plan file (exit code 2)."""


class NothingToResume(BuildInputError):
    """The build already finished; there is nothing to resume (exit code 1)."""


class BuildBusyError(RuntimeError):
    """The build is being run by another process right now (exit code 3)."""


@dataclass
class BuildRequest:
    """Everything a build needs, passed in by the caller (the app owns config and paths)."""

    root: Path
    spec_dir: Path
    builds_dir: Path
    cache_dir: Path
    model: ModelSettings = field(default_factory=ModelSettings)
    concurrency: int = 4
    max_fix_attempts: int = 3
    verify_timeout: float = 300.0
    rev: str = "HEAD"
    plan_file: Path | None = None
    plan_only: bool = False
    replay: str | None = None
    resume: str | None = None
    force: bool = False
    fresh: bool = False
    replan: bool = False  # ask for a whole new plan instead of carrying the previous one over
    env: Mapping[str, str] | None = None
    # How verify commands run (charter.toml's [build]); None runs no command at all.
    jail: JailPolicy | None = None
    # Audit ERRORs the caller found for this revision and the user chose to build past.
    forced_audit: Sequence[str] = ()
    # A remote build (graphs/build/server.py): the build ID its client chose, and the committed
    # spec snapshot it sent as (commit, files), read instead of a git tree.
    build_id: str | None = None
    snapshot: tuple[str, dict[str, bytes]] | None = None
    # Where new builds checkpoint (None: SQLite in the build directory); a resume uses the
    # store its build started on.
    checkpointer: CheckpointStore | None = None


@dataclass
class BuildOutcome:
    """How a build ended."""

    build_id: str
    path: Path
    status: BuildStatus
    exit_code: int
    message: str | None
    record: BuildRecord


EXIT_BY_STATUS = {
    BuildStatus.DONE: 0,
    BuildStatus.PLANNED: 0,
    BuildStatus.FAILED: 1,
    BuildStatus.QUESTION: 1,
    BuildStatus.INVALID: 1,
    BuildStatus.PLAN_ERRORS: 1,
}
