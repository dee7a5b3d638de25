"""The main screen's key and palette actions (the table in `commands.py`): each one routes to the
pane that acts, or shows and focuses a pane. `MainScreen` inherits them; nothing here runs a
worker of its own.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import TabbedContent

from charter.app.tui.state import ScreenState
from charter.app.tui.widgets.audit import AuditPane
from charter.app.tui.widgets.builds import BuildsPane
from charter.app.tui.widgets.chat.input import ChatInput
from charter.app.tui.widgets.chat.log import ChatLog
from charter.app.tui.widgets.chat.pane import ChatPane
from charter.app.tui.widgets.history import HistoryPane
from charter.app.tui.widgets.spec_tree import SpecTree
from charter.app.tui.widgets.status_bar import StatusBar

PANES = {
    "spec": ("spec-tab", "#spec-tree"),
    "history": ("history-tab", "#commit-list"),
    "builds": ("builds-tab", "#build-list"),
    "audit": ("audit-tab", "#audit-list"),
}
"""Each side pane's tab and the widget focused when it is shown."""

WRITE_ACTIONS = {
    "review",
    "confirm_requirement",
    "build",
    "new_session",
    "switch_session",
    "audit_fix",
}
"""Actions greyed out while the window is read-only."""

SIDE_WIDTH = (20, 80)
"""The side pane's narrowest and widest width, in percent."""


class MainKeys(Screen[None]):
    """Key and palette actions of the main screen, and typed access to its panes."""

    state: ScreenState

    # the panes

    @property
    def status(self) -> StatusBar:
        """The status bar."""
        return self.query_one(StatusBar)

    @property
    def chat(self) -> ChatPane:
        """The chat pane."""
        return self.query_one(ChatPane)

    @property
    def chat_log(self) -> ChatLog:
        """The chat's message list."""
        return self.query_one(ChatLog)

    @property
    def chat_input(self) -> ChatInput:
        """The chat's input."""
        return self.query_one(ChatInput)

    @property
    def spec_tree(self) -> SpecTree:
        """The spec tree."""
        return self.query_one(SpecTree)

    @property
    def history(self) -> HistoryPane:
        """The history pane."""
        return self.query_one(HistoryPane)

    def audit_pane(self) -> AuditPane | None:
        """The audit pane, once mounted."""
        panes = self.query(AuditPane)
        return panes.first() if panes else None

    # which actions are available

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Grey out write actions when read-only, review actions without an open card."""
        if action in WRITE_ACTIONS and self.state.read_only:
            return None
        if action in ("review", "focus_card"):
            try:
                return self.chat_log.open_card() is not None
            except Exception:  # asked before the chat exists
                return False
        return True

    # focus and layout

    def action_help(self) -> None:
        """F1."""
        from charter.app.tui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen())

    def action_focus_pane(self, pane: str) -> None:
        """Show and focus one pane."""
        if self.maximized is not None:
            self.minimize()
        if pane == "chat":
            self.chat_input.focus()
            return
        tab, target = PANES[pane]
        self.query_one("#side", TabbedContent).active = tab
        for widget in self.query(target):  # absent for a moment while a pane mounts lazily
            widget.focus()

    def action_resize_side(self, delta: int) -> None:
        """Make the side pane narrower or wider."""
        low, high = SIDE_WIDTH
        self.side_width = max(low, min(high, self.side_width + delta))  # type: ignore[attr-defined]

    def action_toggle_maximize(self) -> None:
        """Maximize the pane holding the focus, or restore the layout."""
        if self.maximized is not None:
            self.minimize()
            return
        focused = self.focused
        chat = self.chat
        side = self.query_one("#side")
        target = chat if focused is not None and chat in focused.ancestors_with_self else side
        self.maximize(target, container=False)

    # the chat

    def action_focus_card(self) -> None:
        """Focus the open review card."""
        card = self.chat_log.open_card()
        if card is not None:
            card.focus()
            card.scroll_visible()

    def action_review(self, action: str) -> None:
        """Accept, reject, edit or confirm the open proposal."""
        self.chat.choose(action)

    def action_load_earlier(self) -> None:
        """Mount the previous window of messages."""
        if self.chat_log.first_shown == 0 and self.chat_log.complete:
            self.notify("No earlier messages in this session.", markup=False)
            return
        self.chat.load_earlier_worker()

    def action_new_session(self) -> None:
        """Start a new ledger session and show it."""
        if (refusal := self.state.write_refusal()) is not None:
            self.notify(refusal, severity="warning", markup=False)
            return
        self.chat.new_session()

    def action_switch_session(self) -> None:
        """Pick another ledger session and show it."""
        if (refusal := self.state.write_refusal()) is not None:
            self.notify(refusal, severity="warning", markup=False)
            return
        self.chat.switch_session()

    # the spec

    def action_requirement_history(self) -> None:
        """The commits of the highlighted requirement."""
        req_id = self.spec_tree.highlighted_requirement()
        if req_id is None:
            self.notify("Highlight a requirement in the spec tree first (F3).", markup=False)
            return
        self.history.narrow(req_id)
        self.action_focus_pane("history")

    def action_confirm_requirement(self) -> None:
        """Confirm the highlighted inferred requirement."""
        req_id = self.spec_tree.highlighted_requirement()
        if req_id is None:
            self.notify(
                "Highlight an inferred requirement in the spec tree first (F3).", markup=False
            )
            return
        self.chat.confirm_requirement(req_id)

    # builds

    def action_build(self, which: str) -> None:
        """Launch `charter build` of HEAD or of the commit highlighted in History."""
        if self.state.read_only:
            self.notify(
                f"Read-only: {self.state.read_only}. No build was started.",
                severity="warning",
                markup=False,
            )
            return
        rev = "HEAD"
        if which == "selected":
            sha = self.history.highlighted_sha() if self.query("#history") else None
            if sha is None:
                self.notify("Pick a commit in History first (F4), then press b.", markup=False)
                return
            rev = sha
        self.action_focus_pane("builds")
        self.query_one(BuildsPane).launch(rev)

    def action_browse_build(self, show: str) -> None:
        """The selected build's calls or report (palette)."""
        for pane in self.query(BuildsPane):
            pane.action_browse(show)

    def action_export_build(self, branch: bool) -> None:
        """Export the selected build to a directory or a new branch (palette)."""
        for pane in self.query(BuildsPane):
            pane.action_export(branch)

    def action_diff_builds(self) -> None:
        """Diff the selected build with another one (palette)."""
        for pane in self.query(BuildsPane):
            pane.action_diff()

    # the audit

    def action_audit_run(self) -> None:
        """Run the audit of the working tree's spec."""
        pane = self.audit_pane()
        if pane is None:
            self.notify("Still checking the model settings; try again in a moment.", markup=False)
            return
        if self.state.model_refusal() is None:
            self.action_focus_pane("audit")
        pane.action_run()

    def action_audit_filter(self, severity: str) -> None:
        """Show only findings of one severity (or all) in the audit pane."""
        pane = self.audit_pane()
        if pane is not None:
            pane.set_filter(severity)
            self.action_focus_pane("audit")

    def action_audit_jump(self) -> None:
        """Jump to the requirement of the finding highlighted in the audit pane."""
        pane = self.audit_pane()
        if pane is None:
            self.notify("Pick a finding in the Audit pane first (F6).", markup=False)
            return
        pane.action_jump()

    def action_audit_fix(self) -> None:
        """Fix the finding highlighted in the audit pane through the scribe."""
        pane = self.audit_pane()
        if pane is None:
            self.notify("Pick a finding in the Audit pane first (F6).", markup=False)
            return
        pane.action_fix()

    # the rest

    def action_refresh_all(self) -> None:
        """Reload everything from disk."""
        self.refresh_worker()  # type: ignore[attr-defined]

    def action_show_setup(self) -> None:
        """The model setup instructions."""
        from charter.app.tui.clients.workspace import ModelStatus
        from charter.app.tui.screens.setup import SetupScreen

        self.app.push_screen(SetupScreen(self.state.model or ModelStatus(configured=False)))
