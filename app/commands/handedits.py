"""Hand edits of the spec before a scribe turn: the choice `charter say` offers, and
`charter handedits list|restore` for edits set aside.

A turn never runs over uncommitted spec edits (they would ride along unreviewed in the scribe's
commit). `say --commit-hand-edits` commits them first as their own change; `say --set-aside`
saves them under `.charter/set-aside/` and puts the committed spec back. Without either, a
terminal asks; anything else is refused with exit 1 naming the options.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import typer

from charter.app.commands.common import dump, fail, open_ws, out

if TYPE_CHECKING:
    from charter.graphs.intent import IntentSession

T = TypeVar("T")

handedits_app = typer.Typer(
    name="handedits",
    help="Uncommitted hand edits of the spec: commit them, set them aside, list, restore.",
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


def _act(purpose: str, act: Callable[[IntentSession], T]) -> T:
    """Run one hand-edit act on the workspace under its lock."""
    from charter.app.commands.scribe import guard, locked, open_session

    ws = open_ws()
    with locked(ws, purpose):
        session = open_session(ws, need_model=False)
        try:
            return guard(lambda: act(session))
        finally:
            session.close()


@handedits_app.command("commit")
def commit_command(
    as_json: bool = typer.Option(False, "--json", help="Print the commit as JSON."),
) -> None:
    """Commit the spec's hand edits as their own change (the message quotes no words)."""
    sha = _act("charter handedits commit", lambda s: s.commit_hand_edits())
    dump({"commit": sha}) if as_json else out(f"Committed {sha[:12]}: your hand edits\n")


@handedits_app.command("set-aside")
def set_aside_command(
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Save the spec's hand edits away and put the committed spec back (restore undoes it)."""
    saved = _act("charter handedits set-aside", lambda s: s.set_aside_hand_edits())
    if as_json:
        dump(saved.model_dump(mode="json"))
    else:
        out(f"Set aside {saved.id}: {', '.join(saved.files)}\n")


@handedits_app.command("restore")
def restore_command(
    which: str | None = typer.Argument(None, help="The set-aside ID (default: the newest)."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Put set-aside hand edits back into the spec files, merged with what was committed since
    (refused, changing nothing, when they do not merge)."""
    restored = _act("charter handedits restore", lambda s: s.restore_hand_edits(which))
    if as_json:
        dump(restored.model_dump(mode="json"))
    else:
        out(f"Restored {restored.id}: {', '.join(restored.files)}\n")
