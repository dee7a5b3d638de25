"""`why`: where a requirement came from — its current text and provenance, the verbatim messages
it cites, its examples (each with its own provenance and cited messages), and every commit that
touched it (DESIGN §1, issue 2 item 5).

Shared by `charter why` and the TUI. Read-only: it never takes the workspace lock.
"""

from __future__ import annotations

import difflib
import os

from pydantic import BaseModel, Field

from charter.app.workspace import Workspace
from charter.specs import REQ_ID_RE, CommitInfo, Provenance, load_spec_dir, requirement_history
from charter.transcripts import Ledger


class UnknownRequirementError(Exception):
    """The ID is in neither the spec nor its history; the message may suggest a close one."""

    def __init__(self, req_id: str, spec_dir: str, suggestion: str | None) -> None:
        self.req_id = req_id
        self.suggestion = suggestion
        hint = f" (did you mean {suggestion}?)" if suggestion else ""
        super().__init__(f"no requirement {req_id} in {spec_dir}/{hint}")


class CitedMessage(BaseModel):
    """A ledger message a provenance cites, verbatim (`found` is False when it is missing)."""

    id: str
    found: bool
    session: str | None = None
    ts: str | None = None
    role: str | None = None
    text: str | None = None


class ProvenanceView(BaseModel):
    """The provenance line of a requirement, as data."""

    kind: str
    messages: list[str] = Field(default_factory=list)
    quote: str | None = None
    reason: str | None = None


class ExampleView(BaseModel):
    """One example under the requirement: its session and its own provenance."""

    line: int
    body: str
    provenance: ProvenanceView | None = None
    messages: list[CitedMessage] = Field(default_factory=list)


class WhyReport(BaseModel):
    """Everything `charter why` shows about one requirement."""

    id: str
    present: bool = Field(description="False when the requirement was removed from the spec")
    file: str | None = Field(default=None, description="path relative to the workspace root")
    line: int | None = None
    section: str | None = None
    text: str | None = None
    locked: bool = False
    provenance: ProvenanceView | None = None
    messages: list[CitedMessage] = Field(default_factory=list)
    examples: list[ExampleView] = Field(default_factory=list)
    commits: list[CommitInfo] = Field(default_factory=list, description="newest first")


def normalise_id(raw: str) -> str | None:
    """The requirement ID a user typed (case-insensitive), or None if it cannot be one."""
    candidate = raw.strip().upper()
    return candidate if REQ_ID_RE.match(candidate) else None


def explain(ws: Workspace, req_id: str) -> WhyReport:
    """Assemble the report for `req_id` or raise UnknownRequirementError."""
    spec_rel = os.path.relpath(ws.spec_dir, ws.root)
    spec, _findings = load_spec_dir(ws.spec_dir)
    found = spec.find(req_id)
    commits = requirement_history(ws.root, ws.spec_dir, req_id, index_db=ws.state_db)
    if found is None:
        if not commits:
            ids = [r.id for r in spec.requirements()]
            close = difflib.get_close_matches(req_id, ids, n=1, cutoff=0.6)
            raise UnknownRequirementError(req_id, spec_rel, close[0] if close else None)
        return WhyReport(id=req_id, present=False, commits=commits)
    spec_file, section, req = found
    report = WhyReport(
        id=req.id,
        present=True,
        file=f"{spec_rel}/{spec_file.path}" if spec_rel != "." else spec_file.path,
        line=req.line,
        section=section.title,
        text=req.text,
        locked=req.locked,
        commits=commits,
    )
    if req.provenance is not None:
        report.provenance = _view(req.provenance)
        report.messages = _cited(ws, req.provenance.messages)
    for example in req.examples:
        prov = example.provenance
        report.examples.append(
            ExampleView(
                line=example.line,
                body=example.body,
                provenance=_view(prov) if prov is not None else None,
                messages=_cited(ws, prov.messages) if prov is not None else [],
            )
        )
    return report


def _view(prov: Provenance) -> ProvenanceView:
    """A provenance line as data."""
    return ProvenanceView(
        kind=prov.kind.value, messages=prov.messages, quote=prov.quote, reason=prov.reason
    )


def _cited(ws: Workspace, ids: list[str]) -> list[CitedMessage]:
    """Look the cited messages up in the ledger, verbatim."""
    if not ids:
        return []
    ledger = Ledger(ws.transcripts_dir, ws.state_db)
    try:
        out = []
        for msg_id in ids:
            record = ledger.get(msg_id)
            if record is None:
                out.append(CitedMessage(id=msg_id, found=False))
            else:
                out.append(
                    CitedMessage(
                        id=record.id,
                        found=True,
                        session=record.session,
                        ts=record.ts,
                        role=record.role,
                        text=record.text,
                    )
                )
        return out
    finally:
        ledger.close()
