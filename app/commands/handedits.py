"""Hand edits of the spec before a scribe turn: the choice `charter say` offers, and
`charter handedits list|restore` for edits set aside.

A turn never runs over uncommitted spec edits (they would ride along unreviewed in the scribe's
commit). `say --commit-hand-edits` commits them first as their own change; `say --set-aside`
saves them under `.charter/set-aside/` and puts the committed spec back. Without either, a
terminal asks; anything else is refused with exit 1 naming the options.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import typer

from charter.app.commands.common import dump, fail, open_ws, out

if TYPE_CHECKING:
    from charter.graphs.intent import IntentSession

handedits_app = typer.Typer(
    name="handedits",
    help="Hand edits of the spec set aside by `charter say --set-aside`: list, restore.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def register(cli: typer.Typer) -> None:
    """Mount the `handedits` group on the root CLI."""
    cli.add_typer(handedits_app, name="handedits")


def settle_hand_edits(session: IntentSession, commit: bool, aside: bool) -> None:
    """Before a turn: commit or set aside the spec's hand edits as asked (or asked for on a
    terminal); with none of that, leave them so the turn refuses (exit 1, naming the options)."""
    if commit and aside:
        raise fail("--commit-hand-edits and --set-aside exclude each other", 2)
    session.recover()
    edits = session.hand_edits()
    if not edits:
        return
    if not commit and not aside and sys.stdin.isatty():
        typer.echo(f"The spec has uncommitted hand edits: {edits.summary()}.", err=True)
        choice = typer.prompt(
            "[c]ommit them first as their own change, [s]et them aside, or [a]bort",
            default="a",
            err=True,
        )
        commit, aside = (
            choice.strip().lower() in ("c", "commit"),
            choice.strip().lower()
            in (
                "s",
                "set aside",
            ),
        )
    if commit:
        sha = session.commit_hand_edits()
        typer.echo(f"charter: committed your hand edits as {sha[:12]} (no words quoted)", err=True)
    elif aside:
        saved = session.set_aside_hand_edits()
        typer.echo(
            f"charter: set aside your hand edits to {', '.join(saved.files)} as {saved.id} "
            "(charter handedits restore brings them back)",
            err=True,
        )


@handedits_app.command("list")
def list_command(
    as_json: bool = typer.Option(False, "--json", help="Print the IDs as JSON."),
) -> None:
    """List the hand edits set aside and not restored, oldest first."""
    from charter.graphs.intent import set_asides

    ids = set_asides(open_ws().state_dir)
    dump({"set_aside": ids}) if as_json else out("".join(f"{i}\n" for i in ids))


@handedits_app.command("restore")
def restore_command(
    which: str | None = typer.Argument(None, help="The set-aside ID (default: the newest)."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Put set-aside hand edits back into the spec files (refused if a file changed since)."""
    from charter.app.commands.scribe import guard, locked, open_session

    ws = open_ws()
    with locked(ws, "charter handedits restore"):
        session = open_session(ws, need_model=False)
        try:
            restored = guard(lambda: session.restore_hand_edits(which))
        finally:
            session.close()
    if as_json:
        dump(restored.model_dump(mode="json"))
    else:
        out(f"Restored {restored.id}: {', '.join(restored.files)}\n")
