"""The audit pane. Until the model-assisted audit lands it says what will appear here, and lists
the structural findings of `validate` (no model needed) for the current spec."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from specs import Finding, Severity

PLACEHOLDER = (
    "The audit will list findings here before a build: contradictions between requirements, "
    "ambiguity, gaps (errors, limits, empty inputs), missing complementary constraints, "
    "inferred requirements never confirmed, and intent drift against the ledger. Each finding "
    "will show its severity, requirement IDs and file:line, and offer a fix through the scribe "
    "(a proposal you review like any other)."
)
SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def render_findings(findings: list[Finding]) -> Text:
    """Structural validation findings, one per line, with their location."""
    out = Text()
    out.append("Structural check (charter validate)", style="bold underline")
    out.append("\n")
    if not findings:
        out.append("No findings: the spec is well-formed.", style="green")
        return out
    for finding in findings:
        out.append(f"{finding.severity.value:<7} ", style=SEVERITY_STYLE.get(finding.severity, ""))
        out.append(finding.location(), style="dim")
        if finding.req_id:
            out.append(f" {finding.req_id}", style="bold")
        out.append(f" {finding.message}\n")
    out.rstrip()
    return out


class AuditPane(VerticalScroll):
    """Placeholder text and the validator's findings."""

    def compose(self) -> ComposeResult:
        """The placeholder and an (initially empty) findings list."""
        yield Static(Text(PLACEHOLDER, style="italic"), id="audit-placeholder")
        yield Static("", id="audit-findings")

    def show_findings(self, findings: list[Finding]) -> None:
        """Show the structural findings of the current spec."""
        self.query_one("#audit-findings", Static).update(render_findings(findings))
