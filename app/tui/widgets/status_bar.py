"""The status bar: workspace, branch and HEAD, model, session tokens and cost, read-only state."""

from __future__ import annotations

from dataclasses import dataclass, replace

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static


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
