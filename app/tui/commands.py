"""Every action of the main screen in one table, and the command-palette provider built from it.

The same table feeds the screen's key bindings and the F1 help, so a new action shows up in all
three places at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider


@dataclass(frozen=True)
class Action:
    """One user-visible action: palette title, the screen action it runs, its key and help."""

    title: str
    action: str
    help: str
    key: str = ""
    footer: str = ""
    priority: bool = False


ACTIONS: tuple[Action, ...] = (
    Action("Help", "help", "Keys, badges and how to review", "f1", "Help", True),
    Action("Focus chat", "focus_pane('chat')", "Type to the scribe", "f2", "Chat", True),
    Action(
        "Focus spec",
        "focus_pane('spec')",
        "The spec tree and requirement detail",
        "f3",
        "Spec",
        True,
    ),
    Action(
        "Focus history",
        "focus_pane('history')",
        "Spec commits with intent and diff",
        "f4",
        "History",
        True,
    ),
    Action(
        "Focus builds",
        "focus_pane('builds')",
        "Launch builds and watch their tasks",
        "f5",
        "Builds",
        True,
    ),
    Action(
        "Focus audit",
        "focus_pane('audit')",
        "Audit findings on the spec, by severity",
        "f6",
        "Audit",
        True,
    ),
    Action("Narrower side pane", "resize_side(-5)", "Give the chat more room", "f7", "", True),
    Action("Wider side pane", "resize_side(5)", "Give the side pane more room", "f8", "", True),
    Action(
        "Maximize or restore pane",
        "toggle_maximize",
        "Fill the screen with the focused pane",
        "f9",
        "",
        True,
    ),
    Action(
        "Review pending proposal", "focus_card", "Focus the open review card", "ctrl+r", "Review"
    ),
    Action("Accept proposal", "review('accept')", "Commit the open proposal with your words", "a"),
    Action("Reject proposal", "review('reject')", "Reject the open proposal, saying why", "r"),
    Action("Edit proposal", "review('edit')", "Edit the proposal's items, then accept", "e"),
    Action(
        "Confirm inferred items",
        "review('confirm')",
        "Vouch for the proposal's inferred items",
        "c",
    ),
    Action("Load earlier messages", "load_earlier", "Show older messages of this session"),
    Action(
        "Commits of requirement", "requirement_history", "History of the highlighted requirement"
    ),
    Action(
        "Confirm requirement",
        "confirm_requirement",
        "Promote the highlighted inferred requirement to confirmed",
    ),
    Action("Build HEAD", "build('head')", "Run charter build on the current commit"),
    Action(
        "Build selected commit",
        "build('selected')",
        "Run charter build on the commit highlighted in History",
    ),
    Action(
        "Build prompts and responses",
        "browse_build('calls')",
        "Every model call of the selected build, verbatim, with tokens and timing (p in Builds)",
    ),
    Action(
        "Build report", "browse_build('report')", "The selected build's report.md (m in Builds)"
    ),
    Action(
        "Export build to a directory",
        "export_build(False)",
        "Write the selected build's generated files into a new or empty directory (x in Builds)",
    ),
    Action(
        "Export build to a branch",
        "export_build(True)",
        "Commit the selected build's files as a new branch; HEAD stays (g in Builds)",
    ),
    Action(
        "Diff builds",
        "diff_builds",
        "What changed from another build to the selected one: spec, then files (d in Builds)",
    ),
    Action(
        "Run audit",
        "audit_run",
        "Audit the spec with the auditor model: contradictions, gaps, drift (R in the pane)",
    ),
    Action("Audit: all findings", "audit_filter('all')", "Show findings of every severity"),
    Action("Audit: errors only", "audit_filter('ERROR')", "Show only ERROR findings"),
    Action("Audit: warnings only", "audit_filter('WARNING')", "Show only WARNING findings"),
    Action("Audit: notes only", "audit_filter('INFO')", "Show only INFO findings"),
    Action(
        "Jump to finding's requirement",
        "audit_jump",
        "Show the highlighted finding's requirement in the spec tree (enter in the pane)",
    ),
    Action(
        "Fix audit finding",
        "audit_fix",
        "The scribe proposes a fix for the highlighted finding; you review it (x in the pane)",
    ),
    Action("Refresh", "refresh_all", "Reload spec, history, chat and builds from disk"),
    Action("New session", "new_session", "Start a new chat session in the ledger"),
    Action(
        "Switch session",
        "switch_session",
        "Continue an earlier chat session: the chat reloads it, with its pending proposal",
    ),
    Action("Model setup", "show_setup", "What to set to use a model"),
    Action("Quit", "app.quit", "Leave Charter", "ctrl+q"),
)


def bindings() -> list[Binding]:
    """Key bindings for the actions that have a key (quit is the App's own)."""
    return [
        Binding(a.key, a.action, a.footer or a.title, show=bool(a.footer), priority=a.priority)
        for a in ACTIONS
        if a.key and not a.action.startswith("app.")
    ]


class CharterCommands(Provider):
    """Command palette entries for every action the current screen can run now."""

    def _available(self) -> list[Action]:
        """The actions whose screen-side check allows them at this moment."""
        screen = self.screen
        out = []
        for action in ACTIONS:
            name = action.action.split("(")[0]
            if name.startswith("app."):
                continue  # the app's own commands (quit) are listed by Textual already
            if not hasattr(screen, f"action_{name}"):
                continue
            check = screen.check_action(name, ())
            if check is not False:
                out.append(action)
        return out

    def _runner(self, action: Action) -> partial[object]:
        """A callable that runs the action on the screen."""
        return partial(self.screen.run_action, action.action)

    async def discover(self) -> Hits:
        """All available actions, in table order."""
        for action in self._available():
            yield DiscoveryHit(action.title, self._runner(action), help=action.help)

    async def search(self, query: str) -> Hits:
        """Fuzzy-match the available actions' titles."""
        matcher = self.matcher(query)
        for action in self._available():
            score = matcher.match(action.title)
            if score > 0:
                yield Hit(
                    score, matcher.highlight(action.title), self._runner(action), help=action.help
                )
