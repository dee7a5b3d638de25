"""The audit: model-assisted and intent-aware checks of a spec revision, stored per revision.

Public surface:
- `run_audit(AuditRequest) -> AuditResult`: audit one revision (model calls only for cache misses);
- `load_findings(state_db, revision)`, `load_run`, `unresolved_errors(state_db, spec_files)`,
  `find_finding(state_db, finding_id)`: stored results, never a model call;
- `revision_key(spec_files)`: the key findings are stored under;
- `spec_dir_files(spec_dir)`, `user_records(ledger)`, `locked_history(...)`: the workspace
  inputs of an audit (the working tree's spec, the user's messages, LOCKED changes in history);
- `load_fixes(state_db, finding=None)`: the fix requests made so far;
- `request_fix(...)`: hand a finding to the scribe as a reviewed proposal (see `graphs.audit.fix`).

The graph and the fix (LangGraph, the scribe), and the audit's inputs, load on first use (PEP
562), so reading stored findings (`charter status`, `charter coverage`) never imports the model
stack or the drift checks; the `TYPE_CHECKING` imports give those names their real types.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from charter.graphs.audit.findings import (
    AuditFinding,
    Evidence,
    FindingKind,
    finding_id,
    sort_findings,
    unknown_requirements,
)
from charter.graphs.audit.store import (
    AuditRun,
    AuditStore,
    FixRequest,
    find_finding,
    load_findings,
    load_fixes,
    load_run,
    revision_key,
    unresolved_errors,
)

if TYPE_CHECKING:
    from charter.graphs.audit.drift import LockedChange
    from charter.graphs.audit.fix import FINDING_TRAILER, FIX_KIND, request_fix
    from charter.graphs.audit.graph import AuditRequest, AuditResult, run_audit
    from charter.graphs.audit.inputs import locked_history, spec_dir_files, user_records

_LAZY = {
    "LockedChange": "charter.graphs.audit.drift",
    "locked_history": "charter.graphs.audit.inputs",
    "spec_dir_files": "charter.graphs.audit.inputs",
    "user_records": "charter.graphs.audit.inputs",
    "FINDING_TRAILER": "charter.graphs.audit.fix",
    "FIX_KIND": "charter.graphs.audit.fix",
    "request_fix": "charter.graphs.audit.fix",
    "AuditRequest": "charter.graphs.audit.graph",
    "AuditResult": "charter.graphs.audit.graph",
    "run_audit": "charter.graphs.audit.graph",
}


def __getattr__(name: str) -> Any:
    """Import the graph or the fix module on first use of one of their names."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'charter.graphs.audit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "FINDING_TRAILER",
    "FIX_KIND",
    "AuditFinding",
    "AuditRequest",
    "AuditResult",
    "AuditRun",
    "AuditStore",
    "Evidence",
    "FindingKind",
    "FixRequest",
    "LockedChange",
    "find_finding",
    "finding_id",
    "load_findings",
    "load_fixes",
    "load_run",
    "locked_history",
    "request_fix",
    "revision_key",
    "run_audit",
    "sort_findings",
    "spec_dir_files",
    "unknown_requirements",
    "unresolved_errors",
    "user_records",
]
