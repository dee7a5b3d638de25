"""The `charter` command line: the root Typer app, which mounts each command group's module.

Running `charter` with no command inside a workspace opens the TUI. Exit codes (documented in the
README): 0 success, 1 a check failed or the user must act (validation or audit ERRORs, a refused
change, nothing pending), 2 usage or input error, 3 the workspace is locked by another process,
4 the model endpoint failed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from charter.app.commands import register_all

cli = typer.Typer(
    name="charter",
    help="Spec-driven development with LLMs: capture intent verbatim, build from committed specs.",
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@cli.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    directory: Annotated[
        Path | None,
        typer.Option("-C", "--directory", help="Run as if started in DIRECTORY (like git -C)."),
    ] = None,
) -> None:
    """Charter: with no command, open the TUI on the workspace around the current directory."""
    if directory is not None:
        try:
            os.chdir(directory)
        except OSError as exc:
            typer.echo(f"charter: cannot change to {directory}: {exc.strerror}", err=True)
            raise typer.Exit(2) from exc
    if ctx.invoked_subcommand is None:
        from charter.app.commands.tui import open_tui

        open_tui()


register_all(cli)


def main() -> None:
    """Console-script entry point."""
    cli()


if __name__ == "__main__":
    main()
