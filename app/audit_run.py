"""Moved: the audit shared by the CLI and the TUI lives in `app/services/audit.py`."""

# moved: remove when app/tui imports charter.app.services
from charter.app.services.audit import (
    audit_request,
    auditor_factory,
    spec_files,
    spec_findings,
    spec_prefix,
    validation_errors,
)

__all__ = [
    "audit_request",
    "auditor_factory",
    "spec_files",
    "spec_findings",
    "spec_prefix",
    "validation_errors",
]
