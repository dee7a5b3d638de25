"""The builder: one committed spec revision in, an isolated, verified, reproducible build out.

Public surface (DESIGN §7): `run_build(BuildRequest)` starts, replays or resumes a build in
`.charter/builds/<id>/`; `list_builds` and `load_build` read their records; `list_questions` and
`find_question` read the questions tasks raised. Names resolve lazily (PEP 562): listing builds
or questions never pays for LangGraph's and LangChain's import time.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graphs.build.records import BuildRecord

# Public name -> module that defines it.
_EXPORTS: dict[str, str] = {
    "BuildBusyError": "graphs.build.run",
    "BuildDir": "graphs.build.records",
    "BuildEvent": "graphs.build.journal",
    "BuildInputError": "graphs.build.run",
    "BuildOptions": "graphs.build.records",
    "BuildOutcome": "graphs.build.run",
    "BuildQuestion": "graphs.build.records",
    "BuildRecord": "graphs.build.records",
    "BuildRequest": "graphs.build.run",
    "BuildStatus": "graphs.build.records",
    "CacheMiss": "graphs.build.cache",
    "CacheMode": "graphs.build.cache",
    "NothingToResume": "graphs.build.run",
    "PathRefused": "graphs.build.sandbox",
    "PlanLoadError": "graphs.build.plan",
    "ResponseCache": "graphs.build.cache",
    "TaskRecord": "graphs.build.records",
    "TaskState": "graphs.build.records",
    "check_path": "graphs.build.sandbox",
    "check_plan": "graphs.build.plan",
    "dump_plan": "graphs.build.plan",
    "find_question": "graphs.build.questions",
    "is_running": "graphs.build.records",
    "shown_status": "graphs.build.records",
    "list_builds": "graphs.build.records",
    "list_questions": "graphs.build.questions",
    "load_plan": "graphs.build.plan",
    "read_record": "graphs.build.records",
    "run_build": "graphs.build.run",
    "run_verify": "graphs.build.sandbox",
    "write_files": "graphs.build.sandbox",
}

__all__ = sorted([*_EXPORTS, "load_build"])


def load_build(builds_dir: Path, build_id: str) -> BuildRecord | None:
    """One build's record by ID, or None when there is no such build."""
    from graphs.build.records import read_record

    return read_record(builds_dir / build_id)


def __getattr__(name: str) -> Any:
    """Import the module defining `name` on first use and return the attribute."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'graphs.build' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """Public names, for tab completion and introspection."""
    return __all__
