"""The audit from the TUI: stored findings of the working tree's revision (no model call), a run
of the audit graph on its own thread, and the findings a fix request hands to the scribe.

The request is built by `app.services.audit` exactly as `charter audit` builds it. Results become
`app.tui.views` records; the `graphs.audit` findings stay here, keyed by ID, for `request_fix`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from charter.app.tui.clients.workspace import Backend
from charter.app.tui.serial import SerialThread
from charter.app.tui.views import AuditView, EvidenceView, FindingView

if TYPE_CHECKING:
    from charter.graphs.audit import AuditFinding, AuditRun
    from charter.specs import Finding

T = TypeVar("T")


class AuditRefused(Exception):
    """The audit cannot run now (validation errors, no model); the message is one sentence."""


def finding_view(finding: AuditFinding, prefix: str, fix_proposal: str | None) -> FindingView:
    """An audit finding as the pane shows it."""
    return FindingView(
        key=finding.id,
        source="audit",
        severity=finding.severity.value,
        kind=finding.kind.value,
        location=finding.location(prefix),
        message=finding.message,
        requirements=tuple(finding.requirements),
        fix=finding.fix,
        evidence=tuple(EvidenceView(e.message, e.note, e.text) for e in finding.evidence),
        fix_proposal=fix_proposal,
    )


def check_view(n: int, finding: Finding, prefix: str) -> FindingView:
    """A structural finding (the validator's) as the pane shows it."""
    return FindingView(
        key=f"check-{n}",
        source="check",
        severity=finding.severity.value,
        kind=finding.code,
        location=f"{prefix}/{finding.location()}" if prefix else finding.location(),
        message=finding.message,
        requirements=(finding.req_id,) if finding.req_id else (),
    )


class AuditRunner:
    """Reads and runs the audit of one workspace; keeps the last findings for fix requests."""

    def __init__(self, backend: Backend) -> None:
        """Audits of `backend`'s workspace; runs happen on their own thread."""
        from charter.app.services.audit import spec_prefix

        self.backend = backend
        self.prefix = spec_prefix(backend.workspace)
        self.thread = SerialThread("charter-audit")
        self.revision = ""
        self.findings: dict[str, AuditFinding] = {}
        self.running = False

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking audit call on the audit thread."""
        return await self.thread.run(fn, *args)

    def close(self) -> None:
        """Stop the audit thread (a run in progress finishes first)."""
        self.thread.stop()

    def _view(self, revision: str, run: AuditRun | None, cached: int | None = None) -> AuditView:
        """Remember the run's findings and build the pane's view of it."""
        from charter.graphs.audit import load_fixes

        self.revision = revision
        if run is None:
            self.findings = {}
            return AuditView(revision=revision, audited=False)
        self.findings = {f.id: f for f in run.findings}
        proposals = {
            fix.finding: fix.proposal
            for fix in load_fixes(self.backend.workspace.state_db)
            if fix.proposal
        }
        return AuditView(
            revision=revision,
            audited=True,
            findings=tuple(finding_view(f, self.prefix, proposals.get(f.id)) for f in run.findings),
            audited_at=run.audited_at,
            model=run.model,
            model_calls=run.model_calls,
            cached=cached,
        )

    def stored(self) -> AuditView:
        """The stored audit of the working tree's spec (never a model call); blocking."""
        from charter.graphs.audit import load_run, revision_key, spec_dir_files

        ws = self.backend.workspace
        revision = revision_key(spec_dir_files(ws.spec_dir))
        return self._view(revision, load_run(ws.state_db, revision))

    def run(self) -> AuditView:
        """Audit the working tree's spec (model calls only for what the cache lacks); blocking.

        Raises AuditRefused when the spec does not validate or no model is configured, and the
        model layer's errors (they carry a `user_message`) when the endpoint fails.
        """
        from charter.agents import ModelConfigError
        from charter.app.services.audit import audit_request, auditor_factory, validation_errors
        from charter.graphs.audit import run_audit, spec_dir_files

        ws = self.backend.workspace
        files = spec_dir_files(ws.spec_dir)
        errors = validation_errors(ws, files)
        if errors:
            count = f"{len(errors)} validation error{'' if len(errors) == 1 else 's'}"
            raise AuditRefused(
                f"The spec has {count} (listed in the Audit pane): fix them first, then audit."
            )
        try:
            factory, model_name = auditor_factory(ws, self.backend.env)
        except ModelConfigError as exc:
            raise AuditRefused(exc.user_message) from None
        self.running = True
        try:
            result = run_audit(audit_request(ws, files, factory, model_name))
        finally:
            self.running = False
        return self._view(result.revision, result, cached=result.cached)
