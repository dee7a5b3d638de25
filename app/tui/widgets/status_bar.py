"""The status bar: workspace, branch and HEAD, model, session tokens and cost, read-only state.

It reads the branch, HEAD and the usage itself (`refresh_repo`, `refresh_usage`)."""

from __future__ import annotations

import asyncio
from concurrent.futures import Future
from dataclasses import dataclass, replace

from rich.text import Text
from textual import work
from textual.reactive import reactive
from textual.widgets import Static

from charter.app.tui.clients.workspace import RepoState
from charter.app.tui.state import ScreenState


@dataclass(frozen=True)
class StatusInfo:
    """Everything the status bar shows; empty strings are left out."""

    workspace: str = ""
    branch: str = ""
    head: str = ""
    model: str = ""
    model_ok: bool = True
    usage: str = ""
    read_only: str = ""
    busy: str = ""


class StatusBar(Static):
    """One line at the bottom of the main screen, rebuilt whenever `info` changes."""

    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        width: 1fr;
        background: $panel;
        color: $foreground;
        padding: 0 1;
    }
    """

    info: reactive[StatusInfo] = reactive(StatusInfo, layout=False)

    def __init__(self, state: ScreenState, *, id: str | None = None) -> None:
        """An empty status line on the screen's `state`."""
        super().__init__(id=id)
        self.state = state

    async def refresh_repo(self, ahead: Future[RepoState] | None = None) -> None:
        """Branch and HEAD (read ahead, or now)."""
        backend = self.state.backend
        if ahead is not None:
            repo = await asyncio.wrap_future(ahead)
        else:
            repo = await backend.run_git(backend.repo_state)
        self.update_info(branch=repo.branch, head=repo.head)

    @work(group="usage", exclusive=True)
    async def refresh_usage(self) -> None:
        """Tokens (and cost) used since the screen opened."""
        backend = self.state.backend
        try:
            usage = await backend.run_bg(backend.usage_line, self.state.started)
        except Exception:  # usage is informative only
            return
        self.update_info(usage=usage)

    def update_info(self, **changes: str | bool) -> None:
        """Change some fields of the shown info."""
        self.info = replace(self.info, **changes)  # type: ignore[arg-type]

    def watch_info(self, info: StatusInfo) -> None:
        """Re-render the line."""
        self.update(render_status(info))


def render_status(info: StatusInfo) -> Text:
    """The status line as literal Text (workspace and branch names are never markup)."""
    out = Text(no_wrap=True, overflow="ellipsis")
    if info.read_only:
        out.append(" READ-ONLY ", style="bold white on red")
        out.append(f" {info.read_only}  ")
    out.append(info.workspace or "—", style="bold")
    if info.branch or info.head:
        out.append("  ⎇ ")
        out.append(info.branch or "(detached)")
        if info.head:
            out.append(f" @ {info.head}", style="dim")
    out.append("  model: ")
    out.append(info.model or "none", style="" if info.model_ok else "bold red")
    if info.usage:
        out.append(f"  {info.usage}")
    if info.busy:
        out.append(f"  · {info.busy}", style="italic")
    return out
