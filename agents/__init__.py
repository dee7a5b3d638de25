"""agents: model access (per-role ChatOpenAI factory, usage, errors, structured output) and agents.

Public surface; other packages import only from here. Names resolve lazily (PEP 562) so that
importing `agents.settings` or a light CLI command never pays for langchain's import time.
"""

from __future__ import annotations

import importlib
from typing import Any

# Public name -> module that defines it.
_EXPORTS: dict[str, str] = {
    "ModelCallError": "agents.errors",
    "ModelConfigError": "agents.errors",
    "ModelError": "agents.errors",
    "ModelFactory": "agents.llm",
    "ModelSettings": "agents.settings",
    "PLACEHOLDER_KEY": "agents.llm",
    "OP_MARK": "agents.proposal",
    "Proposal": "agents.proposal",
    "ProposalItem": "agents.proposal",
    "Question": "agents.proposal",
    "ROLES": "agents.settings",
    "ResolvedModel": "agents.llm",
    "ScribeResult": "agents.scribe",
    "TokenCallback": "agents.scribe",
    "SpecTools": "agents.scribe_tools",
    "StructuredMethod": "agents.settings",
    "TOOL_NAMES": "agents.scribe_tools",
    "UsageRecord": "agents.usage",
    "UsageSummary": "agents.usage",
    "acall_model": "agents.llm",
    "ainvoke_structured": "agents.structured",
    "call_model": "agents.llm",
    "describe_validation_error": "agents.structured",
    "empty_reply_error": "agents.errors",
    "error_context": "agents.llm",
    "explain": "agents.errors",
    "invoke_structured": "agents.structured",
    "load_prompt": "agents.scribe_context",
    "render_prompt": "agents.scribe_context",
    "model_errors": "agents.errors",
    "parse_json_reply": "agents.structured",
    "parse_tool_args": "agents.structured",
    "read_usage": "agents.usage",
    "run_scribe": "agents.scribe",
    "scribe_messages": "agents.scribe_context",
    "scrub": "agents.errors",
    "spec_overview": "agents.scribe_tools",
    "summarise_usage": "agents.usage",
    "tool_definitions": "agents.scribe_tools",
    "tool_name": "agents.structured",
}

# The auditor (agents/auditor.py): its schemas and its three calls.
_EXPORTS.update(
    {
        "AuditReport": "agents.auditor",
        "DriftQuestion": "agents.auditor",
        "DriftReport": "agents.auditor",
        "DriftVerdict": "agents.auditor",
        "ReportedIssue": "agents.auditor",
        "auditor_prompt_version": "agents.auditor",
        "drift_text": "agents.auditor",
        "examine_outline": "agents.auditor",
        "examine_section": "agents.auditor",
        "judge_drift": "agents.auditor",
    }
)

# The builder (agents/builder.py): plan and task-result schemas, task prompts, recorded calls.
_EXPORTS.update(
    {
        name: "agents.builder"
        for name in (
            "BUILDER_ROLES",
            "BuilderModels",
            "Deviation",
            "Exchange",
            "FileOut",
            "NotBuilt",
            "Plan",
            "PlannedTask",
            "TaskBrief",
            "TaskResult",
            "builder_prompt",
            "coder_messages",
            "fixer_messages",
            "planner_messages",
            "prompt_versions",
        )
    }
)

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import the module defining `name` on first use and return the attribute."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'agents' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """Public names, for tab completion and introspection."""
    return __all__
