"""The history pane: spec commits with their intent, and the selected commit's message and diff.

It can be narrowed to the commits that touched one requirement (from the spec tree's `h`). The
pane reads the history and each commit's detail in its own workers.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from charter.app.tui.render import diff_text
from charter.app.tui.state import ScreenState, reporting
from charter.app.tui.views import CommitDetailView, CommitView


def commit_prompt(commit: CommitView) -> Text:
    """One line of the commit list: short SHA, date, subject, cited intents."""
    out = Text(no_wrap=True, overflow="ellipsis")
    out.append(commit.short, style="yellow")
    out.append(f" {commit.date[:10]} ", style="dim")
    out.append(commit.subject)
    if commit.intents:
        out.append(f"  ({', '.join(commit.intents)})", style="dim")
    return out


def render_detail(detail: CommitDetailView) -> Text:
    """The full commit message, then its coloured diff."""
    out = Text()
    out.append(f"commit {detail.sha}\n", style="yellow")
    out.append(detail.message.rstrip())
    out.append("\n\n")
    out.append_text(diff_text(detail.diff))
    return out


class HistoryPane(Vertical):
    """Commit list above, commit detail below."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("b", "build", "Build it"),
        Binding("escape", "clear_filter", "All commits", show=False),
    ]

    DETAIL_DEBOUNCE = 0.12
    """Seconds the cursor rests on a commit before its detail is read."""

    @dataclass
    class BuildRequested(Message):
        """The user asked to build the highlighted commit (None: there is none)."""

        sha: str | None

    def __init__(self, state: ScreenState, *, id: str | None = None) -> None:
        """An empty pane; `reload()` fills it."""
        super().__init__(id=id)
        self.state = state
        self.req_filter: str | None = None

    async def reload(self, req_filter: str | None = None) -> None:
        """List the spec commits (all, or one requirement's)."""
        backend = self.state.backend
        with reporting(self, "read the spec history"):
            if req_filter:
                commits = await backend.run_git(backend.requirement_commits, req_filter)
            else:
                commits = await backend.run_git(backend.commits)
            self.show_commits(commits, req_filter)

    @work(group="history", exclusive=True)
    async def narrow(self, req_filter: str | None) -> None:
        """Show one requirement's commits (None: all of them)."""
        await self.reload(req_filter)

    @work(group="commit", exclusive=True)
    async def load_commit(self, sha: str) -> None:
        """A commit's message and diff, after the cursor settles."""
        backend = self.state.backend
        with reporting(self, "show the commit"):
            await asyncio.sleep(self.DETAIL_DEBOUNCE)
            detail = await backend.run_git(backend.commit_detail, sha)
            if self.highlighted_sha() == sha:
                self.show_detail(detail)

    def compose(self) -> ComposeResult:
        """Header, list and detail."""
        yield Static(Text("Spec commits", style="bold"), id="history-header")
        yield OptionList(id="commit-list")
        with VerticalScroll(id="commit-detail"):
            yield Static(
                Text("Select a commit to see its intent and diff.", "dim"), id="commit-body"
            )

    def show_commits(self, commits: list[CommitView], req_filter: str | None = None) -> None:
        """List `commits` (newest first); `req_filter` says they are one requirement's commits."""
        self.req_filter = req_filter
        header = Text()
        if req_filter:
            header.append(f"Commits that touched {req_filter}", style="bold")
            header.append(f"  ({len(commits)})   esc: all commits", style="dim")
        else:
            header.append("Spec commits", style="bold")
            header.append(f"  ({len(commits)})", style="dim")
        self.query_one("#history-header", Static).update(header)
        options = self.query_one("#commit-list", OptionList)
        options.clear_options()
        options.add_options([Option(commit_prompt(c), id=c.sha) for c in commits])
        if commits:
            options.highlighted = 0
        else:
            self.show_detail(None)

    def show_detail(self, detail: CommitDetailView | None) -> None:
        """Show a commit's message and diff (None: nothing to show)."""
        body = self.query_one("#commit-body", Static)
        if detail is None:
            body.update(Text("No commits yet: accepted proposals appear here.", "dim"))
        else:
            body.update(render_detail(detail))
        self.query_one("#commit-detail", VerticalScroll).scroll_home(animate=False)

    def highlighted_sha(self) -> str | None:
        """The SHA of the highlighted commit."""
        options = self.query_one("#commit-list", OptionList)
        if options.highlighted is None:
            return None
        return options.get_option_at_index(options.highlighted).id

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        """Load the highlighted commit's detail."""
        event.stop()
        if event.option.id:
            self.load_commit(event.option.id)

    def action_build(self) -> None:
        """Ask the screen to build the highlighted commit."""
        self.post_message(self.BuildRequested(self.highlighted_sha()))

    def action_clear_filter(self) -> None:
        """Back to the full history."""
        if self.req_filter:
            self.narrow(None)
