"""agents: model access (per-role ChatOpenAI factory, usage, errors, structured output) and agents.

Public surface; other packages import only from here. Names resolve lazily (PEP 562) so that
importing `agents.settings` or a light CLI command never pays for langchain's import time; the
stub `__init__.pyi` gives type checkers each name's real type (tests/test_lazy_exports.py keeps the
two in step).
"""

from __future__ import annotations

import importlib
from typing import Any

# Public name -> module that defines it.
_EXPORTS: dict[str, str] = {
    "ModelCallError": "charter.agents.errors",
    "ModelConfigError": "charter.agents.errors",
    "ModelError": "charter.agents.errors",
    "ModelFactory": "charter.agents.llm",
    "ModelSettings": "charter.agents.settings",
    "PLACEHOLDER_KEY": "charter.agents.llm",
    "OP_MARK": "charter.agents.proposal",
    "Proposal": "charter.agents.proposal",
    "ProposalItem": "charter.agents.proposal",
    "Question": "charter.agents.proposal",
    "ROLES": "charter.agents.settings",
    "ResolvedModel": "charter.agents.llm",
    "ScribeResult": "charter.agents.scribe",
    "TokenCallback": "charter.agents.scribe",
    "SpecTools": "charter.agents.scribe_tools",
    "StructuredMethod": "charter.agents.settings",
    "TOOL_NAMES": "charter.agents.scribe_tools",
    "UsageRecord": "charter.agents.usage",
    "UsageSummary": "charter.agents.usage",
    "acall_model": "charter.agents.llm",
    "ainvoke_structured": "charter.agents.structured",
    "call_model": "charter.agents.llm",
    "describe_validation_error": "charter.agents.structured",
    "empty_reply_error": "charter.agents.errors",
    "error_context": "charter.agents.llm",
    "explain": "charter.agents.errors",
    "invoke_structured": "charter.agents.structured",
    "Prompt": "charter.agents.prompts",
    "PromptError": "charter.agents.prompts",
    "load_prompt": "charter.agents.prompts",
    "render_prompt": "charter.agents.prompts",
    "model_errors": "charter.agents.errors",
    "parse_json_reply": "charter.agents.structured",
    "parse_tool_args": "charter.agents.structured",
    "read_usage": "charter.agents.usage",
    "run_scribe": "charter.agents.scribe",
    "scribe_messages": "charter.agents.scribe_context",
    "scrub": "charter.agents.errors",
    "spec_overview": "charter.agents.scribe_tools",
    "summarise_usage": "charter.agents.usage",
    "tool_definitions": "charter.agents.scribe_tools",
    "tool_name": "charter.agents.structured",
}

# The auditor (agents/auditor.py): its schemas and its three calls.
_EXPORTS.update(
    {
        "AuditReport": "charter.agents.auditor",
        "DriftQuestion": "charter.agents.auditor",
        "DriftReport": "charter.agents.auditor",
        "DriftVerdict": "charter.agents.auditor",
        "ReportedIssue": "charter.agents.auditor",
        "auditor_prompt_version": "charter.agents.auditor",
        "drift_text": "charter.agents.auditor",
        "examine_outline": "charter.agents.auditor",
        "examine_section": "charter.agents.auditor",
        "judge_drift": "charter.agents.auditor",
    }
)

# The builder: plan and task-result schemas, task messages, recorded calls.
_EXPORTS.update(
    {
        **dict.fromkeys(
            ("Deviation", "FileOut", "NotBuilt", "Plan", "PlannedTask", "TaskResult"),
            "charter.agents.builder_schemas",
        ),
        **dict.fromkeys(
            (
                "BUILDER_ROLES",
                "TaskBrief",
                "coder_messages",
                "fence",
                "fixer_messages",
                "planner_messages",
                "prompt_versions",
            ),
            "charter.agents.builder_messages",
        ),
        **dict.fromkeys(("BuilderModels", "Exchange"), "charter.agents.builder"),
    }
)

# The planner's amendment after a spec change (agents/replanner.py).
_EXPORTS["amend_messages"] = "charter.agents.replanner"

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
