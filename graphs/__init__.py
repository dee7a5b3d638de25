"""graphs: the LangGraph graphs (the intent turn, the build, the audit).

Names listed in `_EXPORTS` resolve lazily (PEP 562), so importing one graph never pays for the
others; each graph's own package (`graphs.intent`, `graphs.build`, `graphs.audit`) is its surface.
"""

from __future__ import annotations

import importlib
from typing import Any

# Public name -> module that defines it.
_EXPORTS: dict[str, str] = {}

# The audit (graphs/audit): run it, read stored findings, hand a finding to the scribe.
_EXPORTS.update(
    {
        name: "charter.graphs.audit"
        for name in (
            "AuditFinding",
            "AuditRequest",
            "AuditResult",
            "find_finding",
            "load_findings",
            "load_run",
            "request_fix",
            "revision_key",
            "run_audit",
            "unresolved_errors",
        )
    }
)

# The intent turn (graphs/intent): the session runner the CLI and the TUI drive, and its views.
_EXPORTS.update(
    {
        name: "charter.graphs.intent"
        for name in (
            "IntentError",
            "IntentSession",
            "NothingPending",
            "PendingProposal",
            "ProposalView",
            "TurnOutcome",
            "render_proposal",
        )
    }
)

# The build (graphs/build): run a build, read builds and the questions they raised.
_EXPORTS.update(
    {
        name: "charter.graphs.build"
        for name in (
            "BuildInputError",
            "BuildOutcome",
            "BuildQuestion",
            "BuildRecord",
            "BuildRequest",
            "find_question",
            "list_builds",
            "list_questions",
            "load_build",
            "run_build",
        )
    }
)

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import the module defining `name` on first use and return the attribute."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'graphs' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """Public names, for tab completion and introspection."""
    return __all__
