"""Types of `charter.graphs.build`'s lazily loaded names (PEP 562 in `__init__.py`).

Type checkers read this file instead of `__init__.py`; `tests/test_lazy_exports.py` checks that
it imports every name of `_EXPORTS` from the same module, so the two cannot drift.
"""

from pathlib import Path

from charter.graphs.build.cache import (
    CacheMiss,
    CacheMode,
    ResponseCache,
)
from charter.graphs.build.checkpoint import (
    CheckpointerError,
    CheckpointStore,
    url_has_password,
)
from charter.graphs.build.examples import (
    ExampleResult,
    ExamplesRun,
    read_examples,
)
from charter.graphs.build.export import (
    BuildDiff,
    ExportError,
    diff_builds,
    export_to_branch,
    export_to_dir,
    render_diff,
)
from charter.graphs.build.jail import (
    JailPolicy,
    Limits,
    SandboxInfo,
    SandboxUnavailable,
    detect_sandbox,
    policy_problem,
)
from charter.graphs.build.journal import (
    BuildEvent,
)
from charter.graphs.build.paths import (
    PathRefused,
    check_path,
    write_files,
)
from charter.graphs.build.plan import (
    PlanLoadError,
    check_plan,
    dump_plan,
    load_plan,
)
from charter.graphs.build.questions import (
    find_question,
    list_questions,
)
from charter.graphs.build.records import (
    BuildDir,
    BuildOptions,
    BuildQuestion,
    BuildRecord,
    BuildStatus,
    TaskRecord,
    TaskState,
    is_running,
    list_builds,
    read_record,
    shown_status,
)
from charter.graphs.build.remote import (
    RemoteError,
    RemoteServer,
    remote_link,
    resume_remote_build,
    run_remote_build,
)
from charter.graphs.build.request import (
    BuildBusyError,
    BuildInputError,
    BuildOutcome,
    BuildRequest,
    NothingToResume,
)
from charter.graphs.build.run import run_build
from charter.graphs.build.sandbox import (
    Outcome,
    run_jailed,
)
from charter.graphs.build.verdicts import (
    RequirementVerdict,
    Verdict,
    requirement_verdicts,
)

__all__ = [
    "BuildBusyError",
    "BuildDiff",
    "BuildDir",
    "BuildEvent",
    "BuildInputError",
    "BuildOptions",
    "BuildOutcome",
    "BuildQuestion",
    "BuildRecord",
    "BuildRequest",
    "BuildStatus",
    "CacheMiss",
    "CacheMode",
    "CheckpointStore",
    "CheckpointerError",
    "ExampleResult",
    "ExamplesRun",
    "ExportError",
    "JailPolicy",
    "Limits",
    "NothingToResume",
    "Outcome",
    "PathRefused",
    "PlanLoadError",
    "RemoteError",
    "RemoteServer",
    "RequirementVerdict",
    "ResponseCache",
    "SandboxInfo",
    "SandboxUnavailable",
    "TaskRecord",
    "TaskState",
    "Verdict",
    "check_path",
    "check_plan",
    "detect_sandbox",
    "diff_builds",
    "dump_plan",
    "export_to_branch",
    "export_to_dir",
    "find_question",
    "is_running",
    "list_builds",
    "list_questions",
    "load_build",
    "load_plan",
    "policy_problem",
    "read_examples",
    "read_record",
    "remote_link",
    "render_diff",
    "requirement_verdicts",
    "resume_remote_build",
    "run_build",
    "run_jailed",
    "run_remote_build",
    "shown_status",
    "url_has_password",
    "write_files",
]

def load_build(builds_dir: Path, build_id: str) -> BuildRecord | None:
    """One build's record by ID, or None when there is no such build."""
