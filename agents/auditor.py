"""The auditor agent: its prompt (agents/prompts/auditor.md), its output schemas and its calls.

Three kinds of call, each one structured tool-calling request through `invoke_structured`:
- `examine_section`: one section (plus the requirements it references) → findings;
- `examine_outline`: the compact outline of the whole spec → cross-section findings;
- `judge_drift`: numbered (requirement, later user message) pairs → one verdict per pair.

What is sent is chosen by the caller (graphs.audit); this module only frames it. `request_text`
returns the exact user-message text of a call so the caller can key its cache on it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, ConfigDict, Field, field_validator

from charter.agents.prompts import load_prompt
from charter.agents.structured import invoke_structured

PROMPT_NAME = "auditor"
TASKS = ("section", "outline", "drift")
_TASK_HEADING = re.compile(r"^## task: (\w+)\s*$", re.MULTILINE)
LATER_MESSAGE_LIMIT = 2000
"""Characters of a later message the drift judge sees (the finding still quotes it whole)."""

IssueKind = Literal[
    "contradiction", "ambiguity", "gap", "infeasibility", "complement", "example-contradiction"
]
IssueSeverity = Literal["ERROR", "WARNING", "INFO"]


class ReportedIssue(BaseModel):
    """One problem the auditor model reports."""

    kind: IssueKind = Field(
        description="contradiction, ambiguity, gap, infeasibility, complement or "
        "example-contradiction"
    )
    severity: IssueSeverity = Field(description="ERROR, WARNING or INFO")
    requirements: list[str] = Field(
        default_factory=list, description="IDs of the requirements involved, e.g. ING-1"
    )
    message: str = Field(min_length=1, description="one sentence naming the problem")
    fix: str = Field(default="", description="one sentence: the spec change that resolves it")

    @field_validator("kind", mode="before")
    @classmethod
    def _lower_kind(cls, value: Any) -> Any:
        """Accept `Contradiction` as well as `contradiction`."""
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("severity", mode="before")
    @classmethod
    def _upper_severity(cls, value: Any) -> Any:
        """Accept `warning` as well as `WARNING`."""
        return value.strip().upper() if isinstance(value, str) else value


class AuditReport(BaseModel):
    """Report the problems found in the text given (an empty list when there are none)."""

    model_config = ConfigDict(title="report_findings")

    findings: list[ReportedIssue] = Field(default_factory=list)


class DriftVerdict(BaseModel):
    """The verdict on one numbered pair."""

    pair: int = Field(ge=1, description="the pair's number")
    contradicts: bool = Field(description="true when the later message contradicts it")
    explanation: str = Field(default="", description="one sentence")


class DriftReport(BaseModel):
    """Give one verdict for every numbered pair."""

    model_config = ConfigDict(title="report_verdicts")

    verdicts: list[DriftVerdict] = Field(default_factory=list)


@dataclass(frozen=True)
class DriftQuestion:
    """One pair for the drift judge: a requirement, the words it cites, a later message."""

    req_id: str
    requirement: str
    cited: str
    later_id: str
    later: str


@cache
def _prompt() -> tuple[str, str, dict[str, str]]:
    """The prompt's version, its shared part and its per-task parts."""
    prompt = load_prompt(PROMPT_NAME)
    pieces = _TASK_HEADING.split(prompt.text)
    shared, tasks = pieces[0].strip(), {}
    for name, body in zip(pieces[1::2], pieces[2::2], strict=True):
        tasks[name] = body.strip()
    missing = [t for t in TASKS if t not in tasks]
    if missing:
        raise RuntimeError(f"agents/prompts/{PROMPT_NAME}.md lacks `## task: {missing[0]}`")
    return prompt.version, shared, tasks


def auditor_prompt_version() -> str:
    """The auditor prompt's version (part of every cache key)."""
    return _prompt()[0]


def system_prompt(task: str) -> str:
    """The system message for one task: the shared rules, then the task's instructions."""
    _, shared, tasks = _prompt()
    return f"{shared}\n\n## Your task\n\n{tasks[task]}"


def drift_text(questions: Sequence[DriftQuestion]) -> str:
    """The user-message text of a drift call: the numbered pairs."""
    blocks = []
    for n, q in enumerate(questions, start=1):
        later = q.later
        if len(later) > LATER_MESSAGE_LIMIT:
            later = later[:LATER_MESSAGE_LIMIT] + " …"
        blocks.append(
            f"Pair {n}\nRequirement {q.req_id}: {q.requirement}\n"
            f"The user's words it cites: {q.cited}\nLater message {q.later_id}: {later}"
        )
    return "\n\n".join(blocks)


def request_messages(task: str, text: str) -> list[BaseMessage]:
    """The messages of one auditor call."""
    return [SystemMessage(content=system_prompt(task)), HumanMessage(content=text)]


def examine_section(model: Any, unit_text: str) -> list[ReportedIssue]:
    """Ask the auditor about one section (its text as built by the caller)."""
    report = invoke_structured(model, AuditReport, request_messages("section", unit_text))
    return report.findings


def examine_outline(model: Any, outline_text: str) -> list[ReportedIssue]:
    """Ask the auditor for cross-section problems over the spec's outline."""
    report = invoke_structured(model, AuditReport, request_messages("outline", outline_text))
    return report.findings


def judge_drift(model: Any, questions: Sequence[DriftQuestion]) -> dict[int, DriftVerdict]:
    """Ask whether each later message contradicts its requirement; verdicts by pair number.

    Pairs the model skipped are absent from the result (the caller treats them as undecided).
    """
    if not questions:
        return {}
    report = invoke_structured(model, DriftReport, request_messages("drift", drift_text(questions)))
    return {v.pair: v for v in report.verdicts if 1 <= v.pair <= len(questions)}
