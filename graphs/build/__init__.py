"""The builder: one committed spec revision in, an isolated, verified, reproducible build out.

Public surface (DESIGN §7): `run_build(BuildRequest)` starts, replays or resumes a build in
`.charter/builds/<id>/`; `list_builds` and `load_build` read their records; `list_questions` and
`find_question` read the questions tasks raised. Names resolve lazily (PEP 562): listing builds
or questions never pays for LangGraph's and LangChain's import time; `__init__.pyi` gives type
checkers each name's real type (tests/test_lazy_exports.py keeps the two in step).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from charter.graphs.build.records import BuildRecord

# Public name -> module that defines it.
_EXPORTS: dict[str, str] = {
    "BuildBusyError": "charter.graphs.build.request",
    "BuildDir": "charter.graphs.build.records",
    "BuildEvent": "charter.graphs.build.journal",
    "BuildInputError": "charter.graphs.build.request",
    "BuildOptions": "charter.graphs.build.records",
    "BuildOutcome": "charter.graphs.build.request",
    "BuildQuestion": "charter.graphs.build.records",
    "BuildRecord": "charter.graphs.build.records",
    "BuildRequest": "charter.graphs.build.request",
    "BuildStatus": "charter.graphs.build.records",
    "BuildDiff": "charter.graphs.build.export",
    "CacheMiss": "charter.graphs.build.cache",
    "CacheMode": "charter.graphs.build.cache",
    "CheckpointStore": "charter.graphs.build.checkpoint",
    "CheckpointerError": "charter.graphs.build.checkpoint",
    "ExampleResult": "charter.graphs.build.examples",
    "ExamplesRun": "charter.graphs.build.examples",
    "RequirementVerdict": "charter.graphs.build.verdicts",
    "Verdict": "charter.graphs.build.verdicts",
    "read_examples": "charter.graphs.build.examples",
    "requirement_verdicts": "charter.graphs.build.verdicts",
    "ExportError": "charter.graphs.build.export",
    "NothingToResume": "charter.graphs.build.request",
    "JailPolicy": "charter.graphs.build.jail",
    "Limits": "charter.graphs.build.jail",
    "Outcome": "charter.graphs.build.sandbox",
    "PathRefused": "charter.graphs.build.paths",
    "SandboxInfo": "charter.graphs.build.jail",
    "SandboxUnavailable": "charter.graphs.build.jail",
    "PlanLoadError": "charter.graphs.build.plan",
    "ResponseCache": "charter.graphs.build.cache",
    "TaskRecord": "charter.graphs.build.records",
    "TaskState": "charter.graphs.build.records",
    "check_path": "charter.graphs.build.paths",
    "detect_sandbox": "charter.graphs.build.jail",
    "check_plan": "charter.graphs.build.plan",
    "dump_plan": "charter.graphs.build.plan",
    "diff_builds": "charter.graphs.build.export",
    "export_to_branch": "charter.graphs.build.export",
    "export_to_dir": "charter.graphs.build.export",
    "find_question": "charter.graphs.build.questions",
    "is_running": "charter.graphs.build.records",
    "shown_status": "charter.graphs.build.records",
    "list_builds": "charter.graphs.build.records",
    "list_questions": "charter.graphs.build.questions",
    "load_plan": "charter.graphs.build.plan",
    "policy_problem": "charter.graphs.build.jail",
    "read_record": "charter.graphs.build.records",
    "run_build": "charter.graphs.build.run",
    "render_diff": "charter.graphs.build.export",
    "run_jailed": "charter.graphs.build.sandbox",
    "write_files": "charter.graphs.build.paths",
    "RemoteError": "charter.graphs.build.remote",
    "RemoteServer": "charter.graphs.build.remote",
    "remote_link": "charter.graphs.build.remote",
    "resume_remote_build": "charter.graphs.build.remote",
    "run_remote_build": "charter.graphs.build.remote",
    "url_has_password": "charter.graphs.build.checkpoint",
}

__all__ = sorted([*_EXPORTS, "load_build"])


def load_build(builds_dir: Path, build_id: str) -> BuildRecord | None:
    """One build's record by ID, or None when there is no such build."""
    from charter.graphs.build.records import read_record

    return read_record(builds_dir / build_id)


def __getattr__(name: str) -> Any:
    """Import the module defining `name` on first use and return the attribute."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'charter.graphs.build' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """Public names, for tab completion and introspection."""
    return __all__
