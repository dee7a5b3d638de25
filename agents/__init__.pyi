"""Types of `charter.agents`' lazily loaded names (PEP 562 in `__init__.py`).

Type checkers read this file instead of `__init__.py`; `tests/test_lazy_exports.py` checks that
it imports every name of `_EXPORTS` from the same module, so the two cannot drift.
"""

from charter.agents.auditor import (
    AuditReport,
    DriftQuestion,
    DriftReport,
    DriftVerdict,
    ReportedIssue,
    auditor_prompt_version,
    drift_text,
    examine_outline,
    examine_section,
    judge_drift,
)
from charter.agents.builder import (
    BuilderModels,
    Exchange,
)
from charter.agents.builder_messages import (
    BUILDER_ROLES,
    TaskBrief,
    coder_messages,
    fence,
    fixer_messages,
    planner_messages,
    prompt_versions,
)
from charter.agents.builder_schemas import (
    Deviation,
    FileOut,
    NotBuilt,
    Plan,
    PlannedTask,
    TaskResult,
)
from charter.agents.errors import (
    ModelCallError,
    ModelConfigError,
    ModelError,
    empty_reply_error,
    explain,
    model_errors,
    scrub,
)
from charter.agents.llm import (
    PLACEHOLDER_KEY,
    ModelFactory,
    ResolvedModel,
    acall_model,
    call_model,
    error_context,
)
from charter.agents.prompts import (
    Prompt,
    PromptError,
    load_prompt,
    render_prompt,
)
from charter.agents.proposal import (
    OP_MARK,
    Proposal,
    ProposalItem,
    Question,
)
from charter.agents.replanner import (
    amend_messages,
)
from charter.agents.scribe import (
    ScribeResult,
    TokenCallback,
    run_scribe,
)
from charter.agents.scribe_context import (
    scribe_messages,
)
from charter.agents.scribe_tools import (
    TOOL_NAMES,
    SpecTools,
    spec_overview,
    tool_definitions,
)
from charter.agents.settings import (
    ROLES,
    ModelSettings,
    StructuredMethod,
)
from charter.agents.structured import (
    ainvoke_structured,
    describe_validation_error,
    invoke_structured,
    parse_json_reply,
    parse_tool_args,
    tool_name,
)
from charter.agents.usage import (
    UsageRecord,
    UsageSummary,
    read_usage,
    summarise_usage,
)

__all__ = [
    "BUILDER_ROLES",
    "OP_MARK",
    "PLACEHOLDER_KEY",
    "ROLES",
    "TOOL_NAMES",
    "AuditReport",
    "BuilderModels",
    "Deviation",
    "DriftQuestion",
    "DriftReport",
    "DriftVerdict",
    "Exchange",
    "FileOut",
    "ModelCallError",
    "ModelConfigError",
    "ModelError",
    "ModelFactory",
    "ModelSettings",
    "NotBuilt",
    "Plan",
    "PlannedTask",
    "Prompt",
    "PromptError",
    "Proposal",
    "ProposalItem",
    "Question",
    "ReportedIssue",
    "ResolvedModel",
    "ScribeResult",
    "SpecTools",
    "StructuredMethod",
    "TaskBrief",
    "TaskResult",
    "TokenCallback",
    "UsageRecord",
    "UsageSummary",
    "acall_model",
    "ainvoke_structured",
    "amend_messages",
    "auditor_prompt_version",
    "call_model",
    "coder_messages",
    "describe_validation_error",
    "drift_text",
    "empty_reply_error",
    "error_context",
    "examine_outline",
    "examine_section",
    "explain",
    "fence",
    "fixer_messages",
    "invoke_structured",
    "judge_drift",
    "load_prompt",
    "model_errors",
    "parse_json_reply",
    "parse_tool_args",
    "planner_messages",
    "prompt_versions",
    "read_usage",
    "render_prompt",
    "run_scribe",
    "scribe_messages",
    "scrub",
    "spec_overview",
    "summarise_usage",
    "tool_definitions",
    "tool_name",
]
