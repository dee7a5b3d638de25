"""The audit pane: the findings on the working tree's spec, filtered by severity.

It lists the structural findings of `charter validate` (no model, always current) and the stored
audit of the current revision (shown on open without a model call); "Run audit" runs the auditor
in the pane's worker. Selecting a finding asks the screen to jump to its requirement in the spec
tree (`JumpRequested`); "Fix" hands it to the scribe (`FixRequested`), whose proposal is reviewed
in the chat like any other. All text is built as Rich Text from plain strings, so model and user
text never reads as markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from charter.app.tui.clients.audit import AuditRefused, check_view
from charter.app.tui.clients.workspace import SpecSnapshot
from charter.app.tui.state import ScreenState, reporting
from charter.app.tui.views import AuditView, FindingView

SEVERITIES = ("ERROR", "WARNING", "INFO")
FILTERS = ("all", *SEVERITIES)
FILTER_LABEL = {"all": "all", "ERROR": "errors", "WARNING": "warnings", "INFO": "notes"}
SEVERITY_STYLE = {"ERROR": "bold red", "WARNING": "yellow", "INFO": "cyan"}
NOT_AUDITED = "Not audited yet: R runs the audit."
AUDIT_HINT = (
    "Run audit (R) asks the auditor model for contradictions, ambiguity, gaps and missing "
    "complementary constraints, and checks in code for unconfirmed inferences, intent drift and "
    "changes to LOCKED items. Findings are stored per revision of the spec: an unchanged spec "
    "re-audits without a model call, and they show here when Charter starts."
)
KEYS_HINT = "enter: jump to requirement · x: fix through the scribe · f: filter · R: run audit"


def plural(n: int, word: str) -> str:
    """`1 error`, `2 errors`."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def counts_text(findings: tuple[FindingView, ...] | list[FindingView]) -> str:
    """`1 error, 2 warnings, 0 notes`."""
    n = {s: sum(1 for f in findings if f.severity == s) for s in SEVERITIES}
    return ", ".join(
        [plural(n["ERROR"], "error"), plural(n["WARNING"], "warning"), plural(n["INFO"], "note")]
    )


def finding_prompt(finding: FindingView) -> Text:
    """One line of the list: severity, location, kind, requirement IDs, message."""
    out = Text(no_wrap=True, overflow="ellipsis")
    out.append(f"{finding.severity:<7} ", style=SEVERITY_STYLE.get(finding.severity, ""))
    if finding.requirements:
        out.append(", ".join(finding.requirements), style="bold")
        out.append(" ")
    out.append(finding.kind, style="magenta" if finding.source == "audit" else "dim")
    if finding.fix_proposal:
        out.append(f" (fix {finding.fix_proposal})", style="green")
    out.append(" ")
    out.append(" ".join(finding.message.split()))
    return out


def render_detail(finding: FindingView) -> Text:
    """Everything about one finding: header, message, suggested fix, quoted evidence, keys."""
    out = Text()
    out.append(finding.severity, style=SEVERITY_STYLE.get(finding.severity, ""))
    out.append(" ")
    if finding.source == "audit":
        out.append(finding.key, style="bold")
        out.append(" ")
    out.append(finding.kind, style="magenta")
    out.append(f"  {finding.location}\n", style="dim")
    if finding.requirements:
        out.append("requirements: ", style="dim")
        out.append(", ".join(finding.requirements) + "\n", style="bold")
    out.append(finding.message)
    out.append("\n")
    if finding.fix:
        out.append("fix: ", style="green")
        out.append(finding.fix)
        out.append("\n")
    for ev in finding.evidence:
        out.append(f"{ev.message}", style="bold")
        if ev.note:
            out.append(f" ({ev.note})", style="dim")
        out.append(": “", style="green")
        out.append(ev.text, style="green")
        out.append("”\n", style="green")
    if finding.fix_proposal:
        out.append(f"A fix was requested: proposal {finding.fix_proposal}.\n", style="dim")
    if finding.source == "check":
        out.append(
            "From the structural check (charter validate): edit the spec, or ask the scribe.",
            style="dim italic",
        )
    else:
        out.append(KEYS_HINT, style="dim italic")
    out.rstrip()
    return out


class AuditPane(Vertical):
    """Run button, severity filter, status line, findings list and the finding's detail."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("R", "run", "Run audit"),
        Binding("f", "cycle_filter", "Filter"),
        Binding("x", "fix", "Fix"),
        Binding("j", "jump", "Jump", show=False),
    ]

    @dataclass
    class JumpRequested(Message):
        """Show the finding's (next) requirement in the spec tree (None: none highlighted)."""

        finding: FindingView | None

    @dataclass
    class FixRequested(Message):
        """Hand an audit finding of spec revision `revision` to the scribe."""

        finding: object
        revision: str
        prefix: str

    def __init__(self, state: ScreenState, *, id: str | None = None) -> None:
        """An empty pane; `refresh_checks()` and `show_audit()` fill it."""
        super().__init__(id=id)
        self.state = state
        self.checks: tuple[FindingView, ...] = ()
        self.audit: AuditView | None = None
        self.severity = "all"
        self.running = False

    def compose(self) -> ComposeResult:
        """Buttons, status, list and detail."""
        with Horizontal(id="audit-actions"):
            yield Button("Run audit", id="audit-run", compact=True)
            yield Button("Show: all", id="audit-filter", compact=True)
        yield Static("", id="audit-status")
        yield OptionList(id="audit-list")
        with VerticalScroll(id="audit-detail"):
            yield Static("", id="audit-body")

    def on_mount(self) -> None:
        """Nothing loaded yet."""
        self._refill()

    # content

    @property
    def findings(self) -> list[FindingView]:
        """Every finding: structural ones first, then the audit's."""
        audit = list(self.audit.findings) if self.audit else []
        return [*self.checks, *audit]

    @property
    def shown(self) -> list[FindingView]:
        """The findings that pass the severity filter."""
        return [f for f in self.findings if self.severity in ("all", f.severity)]

    def show_checks(self, checks: list[FindingView]) -> None:
        """The structural findings of the current spec."""
        self.checks = tuple(checks)
        self._refill()

    def show_audit(self, audit: AuditView) -> None:
        """The stored (or just made) audit of the current revision."""
        self.audit = audit
        self._refill()

    def set_running(self, running: bool) -> None:
        """Say that an audit is running (the button is disabled meanwhile)."""
        self.running = running
        self.query_one("#audit-run", Button).disabled = running
        self._update_status()

    def set_filter(self, severity: str) -> None:
        """Show only one severity (or "all")."""
        self.severity = severity if severity in FILTERS else "all"
        self.query_one("#audit-filter", Button).label = f"Show: {FILTER_LABEL[self.severity]}"
        self._refill()

    def highlighted(self) -> FindingView | None:
        """The highlighted finding, if any."""
        options = self.query_one("#audit-list", OptionList)
        if options.highlighted is None or options.option_count == 0:
            return None
        key = options.get_option_at_index(options.highlighted).id
        return next((f for f in self.findings if f.key == key), None)

    def select(self, key: str) -> bool:
        """Highlight the finding `key` (it must pass the filter)."""
        options = self.query_one("#audit-list", OptionList)
        keys = [f.key for f in self.shown]
        if key not in keys:
            return False
        options.highlighted = keys.index(key)
        return True

    def _update_status(self) -> None:
        """The line above the list: what was audited and what was found."""
        out = Text()
        if self.running:
            out.append("Auditing… the auditor model examines what changed.", style="bold yellow")
            out.append("\n")
        audit = self.audit
        if audit is None:
            out.append("Reading the stored audit…", style="dim")
        elif not audit.audited:
            out.append(NOT_AUDITED, style="italic")
        else:
            out.append("Audit: ", style="bold")
            out.append(counts_text(audit.findings))
            calls = plural(audit.model_calls, "model call")
            if audit.cached is not None:
                calls += f", {audit.cached} cached"
            when = audit.audited_at[:16].replace("T", " ")
            out.append(f"  ({when} UTC, {calls})", style="dim")
        if self.checks:
            out.append("\n")
            out.append("Structural check: ", style="bold")
            out.append(counts_text(self.checks))
        if self.severity != "all" and self.findings:
            out.append("\n")
            out.append(
                f"Showing {FILTER_LABEL[self.severity]} only ({len(self.shown)} of "
                f"{len(self.findings)}); f: next filter",
                style="dim",
            )
        self.query_one("#audit-status", Static).update(out)

    def _refill(self) -> None:
        """Rebuild the list from the findings and the filter, keeping the highlight."""
        if not self.is_mounted:
            return
        self._update_status()
        options = self.query_one("#audit-list", OptionList)
        keep = self.highlighted()
        shown = self.shown
        options.clear_options()
        options.add_options([Option(finding_prompt(f), id=f.key) for f in shown])
        options.display = bool(shown)
        if shown:
            keys = [f.key for f in shown]
            options.highlighted = keys.index(keep.key) if keep and keep.key in keys else 0
        self._show_detail(self.highlighted())

    def _show_detail(self, finding: FindingView | None) -> None:
        """The detail of the highlighted finding (or a hint)."""
        body = self.query_one("#audit-body", Static)
        if finding is not None:
            body.update(render_detail(finding))
        elif self.findings:
            body.update(Text("No finding of this severity; f: next filter.", "dim"))
        elif self.audit is not None and self.audit.audited:
            body.update(Text("No findings: the audit found nothing to fix.", "green"))
        else:
            body.update(Text(AUDIT_HINT, "dim italic"))
        self.query_one("#audit-detail", VerticalScroll).scroll_home(animate=False)

    # events

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        """Show the highlighted finding's detail."""
        event.stop()
        self._show_detail(self.highlighted())

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter on a finding: jump to its requirement."""
        event.stop()
        self.action_jump()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """The run and filter buttons."""
        event.stop()
        if event.button.id == "audit-run":
            self.action_run()
        else:
            self.action_cycle_filter()

    def action_cycle_filter(self) -> None:
        """all → errors → warnings → notes → all."""
        self.set_filter(FILTERS[(FILTERS.index(self.severity) + 1) % len(FILTERS)])

    def action_jump(self) -> None:
        """Ask the screen to show the highlighted finding's requirement."""
        self.post_message(self.JumpRequested(self.highlighted()))

    def action_fix(self) -> None:
        """Hand the highlighted finding to the scribe, when it is an audit finding."""
        finding = self.highlighted()
        if finding is None:
            self.notify("Pick a finding in the Audit pane first (F6).", markup=False)
            return
        if not finding.fixable:
            self.notify(
                "Structural findings are fixed by editing the spec (or ask the scribe in the "
                "chat); the scribe fixes audit findings.",
                markup=False,
            )
            return
        audits = self.state.audits
        if (audit_finding := audits.findings.get(finding.key)) is None:
            self.notify(
                f"{finding.key} is not among the findings of the current spec: run the audit "
                "again.",
                markup=False,
            )
            return
        self.post_message(self.FixRequested(audit_finding, audits.revision, audits.prefix))

    # workers

    @work(group="validate", exclusive=True)
    async def refresh_checks(self, snapshot: SpecSnapshot) -> None:
        """The structural findings (quotes checked against the ledger), then the stored audit of
        this revision of the spec (never a model call)."""
        backend, audits = self.state.backend, self.state.audits
        with reporting(self, "check the spec"):
            findings = await backend.run_io(backend.findings, snapshot)
            self.show_checks([check_view(n, f, audits.prefix) for n, f in enumerate(findings)])
            self.show_audit(await audits.call(audits.stored))

    def action_run(self) -> None:
        """Run the audit of the working tree's spec."""
        if (refusal := self.state.model_refusal()) is not None:
            severity = "warning" if self.state.model else "information"
            self.notify(refusal, severity=severity, markup=False)
            return
        if self.state.audits.running:
            self.notify("The audit is already running.", markup=False)
            return
        self.run_audit()

    @work(group="audit", exclusive=True)
    async def run_audit(self) -> None:
        """Run the audit graph on the audit thread; refusals and endpoint errors notify."""
        from charter.app.tui.clients.scribe import failure

        audits = self.state.audits
        self.set_running(True)
        try:
            view = await audits.call(audits.run)
        except AuditRefused as exc:
            self.notify(str(exc), title="Audit not run", severity="warning", markup=False)
            return
        except Exception as exc:  # the endpoint or the graph failed: say why, keep running
            self.notify(
                f"{failure(exc)} (answers received so far are kept)",
                title="Audit failed",
                severity="error",
                timeout=15,
                markup=False,
            )
            return
        finally:
            self.set_running(False)
        self.show_audit(view)
        calls = view.model_calls
        sent = f"{plural(calls, 'model call')}" if calls else "no model call (all cached)"
        self.notify(f"Audit: {counts_text(view.findings)} ({sent}).", markup=False)
