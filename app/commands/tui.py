"""`charter` with no command (and `charter tui [DIR]`): open the terminal UI.

Textual and the TUI modules are imported only here, inside the functions, so other commands
start fast.
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Annotated

import typer


def open_tui(start: Path | None = None) -> None:
    """Run the TUI on the workspace around `start` (default: the current directory)."""
    # The TUI imports a few hundred modules; the cyclic collector finds nothing to free among
    # them, so it is paused while they load and they are moved out of its way afterwards.
    gc.disable()
    try:
        from charter.app.tui.app import CharterApp
    finally:
        gc.freeze()
        gc.enable()

    app = CharterApp(start)
    if app.error is None:  # a broken workspace is reported before the screen is taken over
        app.run()
    if app.error:
        typer.echo(f"charter: {app.error}", err=True)
        raise typer.Exit(app.return_code or 2)


def register(cli: typer.Typer) -> None:
    """Add `charter tui [DIR]`, the explicit form of running `charter` with no command."""

    @cli.command("tui")
    def tui(
        directory: Annotated[
            Path | None, typer.Argument(help="Start in DIRECTORY instead of the current one.")
        ] = None,
    ) -> None:
        """Open the terminal UI (the same as running `charter` with no command)."""
        open_tui(directory)
