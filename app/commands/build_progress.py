"""Progress display of `charter build`: a line per task state change, plus a bar on a terminal.

The build calls a `BuildProgress` for every `BuildEvent`; `--json` sends the lines to stderr and
the global `--quiet` silences them.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from charter.graphs.build import BuildEvent


class BuildProgress:
    """Prints build events: a line per task state change, plus a bar on a terminal."""

    def __init__(self, *, quiet: bool, silent: bool = False) -> None:
        """`quiet` (for --json) sends the lines to stderr and skips the bar; `silent` (for
        the global --quiet) prints no progress at all."""
        self.quiet = quiet
        self.silent = silent
        self.bar: Any = None
        self.bar_task: Any = None
        if not quiet and not silent and sys.stdout.isatty():
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self.bar = Progress(
                TextColumn("build"), BarColumn(), MofNCompleteColumn(), transient=True
            )
            self.bar.start()

    def __call__(self, event: BuildEvent) -> None:
        """Print one event."""
        if self.silent:
            return
        line = f"[{event.done}/{event.total}] {event.message}" if event.total else event.message
        if self.bar is not None:
            if self.bar_task is None and event.total:
                self.bar_task = self.bar.add_task("build", total=event.total)
            if self.bar_task is not None:
                self.bar.update(self.bar_task, completed=event.done, total=event.total)
            self.bar.console.print(line, markup=False, highlight=False)
        else:
            typer.echo(line, err=self.quiet)

    def stop(self) -> None:
        """Remove the bar."""
        if self.bar is not None:
            self.bar.stop()
