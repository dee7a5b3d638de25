"""The audit's code check on examples: every MUST or MUST NOT should carry one (INFO).

How far a spec is from "every MUST has an example" is then one look at the findings; whether an
example contradicts its requirement is the auditor model's judgement (`example-contradiction`).
"""

from __future__ import annotations

from charter.graphs.audit.findings import AuditFinding, FindingKind, make_finding
from charter.specs import Severity, Spec

_MANDATORY = ("MUST", "MUST NOT")


def musts_without_examples(spec: Spec) -> list[AuditFinding]:
    """One INFO finding per MUST or MUST NOT requirement that has no example."""
    out: list[AuditFinding] = []
    for f in spec.files:
        for req in f.requirements():
            if req.keyword not in _MANDATORY or req.examples:
                continue
            out.append(
                make_finding(
                    FindingKind.NO_EXAMPLE,
                    Severity.INFO,
                    [req.id],
                    f"{req.id} is a {req.keyword} without an example, so no build can verify it",
                    fix=f"paste a terminal session showing {req.id} to the scribe, or ask it to "
                    "propose an example",
                    file=f.path,
                    line=req.line,
                    source="code",
                )
            )
    return out
