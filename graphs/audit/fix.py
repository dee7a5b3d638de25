"""Fixing a finding: never a silent edit, always a scribe proposal the user reviews.

`request_fix` records the request in the ledger (an event record of kind `audit-fix` holding the
finding), runs one scribe turn whose input is the finding, and remembers the request in
`audit_fixes`. The proposal is reviewed like any other (`charter pending` / `charter accept`); the
commit of an accepted proposal carries the trailer `Charter-Finding: <finding id>`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from charter.agents import render_prompt
from charter.graphs.audit.findings import AuditFinding
from charter.graphs.audit.store import AuditStore, FixRequest
from charter.graphs.intent import IntentSession, TurnOutcome

FINDING_TRAILER = "Charter-Finding"
FIX_KIND = "audit-fix"


def fix_request_text(finding: AuditFinding, spec_prefix: str = "") -> str:
    """The ledger text of a fix request: which finding the user asked to fix, as printed."""
    return f"fix audit finding {finding.id}: {finding.render(spec_prefix)}"


def fix_instructions(finding: AuditFinding, spec_prefix: str = "") -> str:
    """What the scribe is told: the finding, its verbatim evidence, and how to answer."""
    details = [
        f"- where: {finding.location(spec_prefix)}",
        f"- kind: {finding.kind.value} ({finding.severity.value})",
        f"- requirements: {', '.join(finding.requirements) or '(none named)'}",
        f"- problem: {finding.message}",
    ]
    if finding.fix:
        details.append(f"- suggested fix: {finding.fix}")
    for ev in finding.evidence:
        details.append(f"- {ev.note}: {ev.message} ({ev.role}), verbatim:\n{ev.text}")
    return render_prompt("scribe_audit_fix", finding_id=finding.id, details="\n".join(details))


def request_fix(
    session: IntentSession,
    state_db: Path,
    revision: str,
    finding: AuditFinding,
    *,
    spec_prefix: str = "",
    on_token: Callable[[str], None] | None = None,
) -> TurnOutcome:
    """Hand `finding` to the scribe; the outcome's proposal (if any) awaits the user's review."""
    outcome = session.event_turn(
        fix_request_text(finding, spec_prefix),
        kind=FIX_KIND,
        extra=fix_instructions(finding, spec_prefix),
        data={
            "finding": finding.id,
            "revision": revision,
            "detail": finding.model_dump(mode="json"),
        },
        trailers=[(FINDING_TRAILER, finding.id)],
        on_token=on_token,
    )
    request = FixRequest(
        finding=finding.id,
        revision=revision,
        record=outcome.message_id,
        proposal=outcome.proposal.id if outcome.proposal else None,
        ts=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    with AuditStore(state_db) as store:
        store.add_fix(request)
    return outcome
