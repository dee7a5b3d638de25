"""The `charter` command line: the root Typer app, its global options, and lazy command lookup.

Running `charter` with no command inside a workspace opens the TUI. Command modules are imported
only when their command runs (`charter.app.commands.LazyGroup`), so parsing arguments imports
Typer and nothing heavy. Exit codes (documented in the README): 0 success, 1 a check failed or
the user must act (validation or audit ERRORs, a refused change, nothing pending), 2 usage or
input error, 3 the workspace is locked by another process, 4 the model endpoint failed.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated

import typer

from charter.app.commands import LazyGroup
from charter.app.commands.common import set_verbosity, verbose

cli = typer.Typer(
    name="charter",
    cls=LazyGroup,
    help="Spec-driven development with LLMs: capture intent verbatim, build from committed specs.",
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    """`--version`: print the installed version and stop."""
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("charter")
        except PackageNotFoundError:  # running from a source tree that was never installed
            number = "unknown"
        typer.echo(f"charter {number}")
        raise typer.Exit(0)


@cli.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    directory: Annotated[
        Path | None,
        typer.Option("-C", "--directory", help="Run as if started in DIRECTORY (like git -C)."),
    ] = None,
    verbose_flag: Annotated[
        bool,
        typer.Option(
            "-v", "--verbose", help="Say on stderr which workspace is used and how long it took."
        ),
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option("-q", "--quiet", help="Print only results and errors, no summaries."),
    ] = False,
    _version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print Charter's version and exit.",
        ),
    ] = False,
) -> None:
    """Charter: with no command, open the TUI on the workspace around the current directory."""
    if verbose_flag and quiet:
        typer.echo("charter: --verbose and --quiet cannot be used together", err=True)
        raise typer.Exit(2)
    set_verbosity(1 if verbose_flag else -1 if quiet else 0)
    if verbose_flag:
        started = time.perf_counter()
        ctx.call_on_close(
            lambda: verbose(f"done in {(time.perf_counter() - started) * 1000:.0f} ms")
        )
    if directory is not None:
        try:
            os.chdir(directory)
        except OSError as exc:
            typer.echo(f"charter: cannot change to {directory}: {exc.strerror}", err=True)
            raise typer.Exit(2) from exc
        verbose(f"working in {Path.cwd()}")
    if ctx.invoked_subcommand is None:
        from charter.app.commands.tui import open_tui

        open_tui()


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="charter")


if __name__ == "__main__":
    main()
