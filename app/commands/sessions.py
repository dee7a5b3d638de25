"""`charter session new|list|switch`: the ledger's conversation sessions (one JSONL file each)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from charter.app.commands.common import dump, open_ws, out
from charter.app.commands.scribe import guard, locked, open_session

if TYPE_CHECKING:
    from charter.graphs.intent import IntentSession

T = TypeVar("T")

session_app = typer.Typer(
    name="session",
    help="Start, list and switch conversation sessions (one ledger file each).",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def register(cli: typer.Typer) -> None:
    """Mount the `session` group on the root CLI."""
    cli.add_typer(session_app, name="session")


def _ledger_op(fn: Callable[[IntentSession], T], purpose: str | None) -> T:
    """Run a session-management call (under the lock when it writes)."""
    ws = open_ws()
    session = open_session(ws, need_model=False)
    try:
        if purpose is None:
            return guard(lambda: fn(session))
        with locked(ws, purpose):
            return guard(lambda: fn(session))
    finally:
        session.close()


@session_app.command("new")
def session_new(
    as_json: bool = typer.Option(False, "--json", help="Print the session as JSON."),
) -> None:
    """Start a new session and make it current."""
    sid = _ledger_op(lambda s: s.new_session(), "charter session new")
    dump({"session": sid}) if as_json else out(f"{sid}\n")


@session_app.command("list")
def session_list(
    as_json: bool = typer.Option(False, "--json", help="Print the sessions as JSON."),
) -> None:
    """List the sessions, oldest first; the current one is marked `*`."""

    def both(s: IntentSession) -> tuple[str, list[Any]]:
        return s.session, s.sessions()

    current, infos = _ledger_op(both, None)
    if as_json:
        dump({"current": current, "sessions": [i.model_dump(mode="json") for i in infos]})
        return
    lines = [
        f"{'*' if i.id == current else ' '} {i.id}  {i.count:>5} records"
        + (
            f"  {i.first_ts[:16].replace('T', ' ')} .. {i.last_ts[:16].replace('T', ' ')}"
            if i.first_ts and i.last_ts
            else ""
        )
        for i in infos
    ]
    out("".join(line + "\n" for line in lines))


@session_app.command("switch")
def session_switch(
    session_id: str = typer.Argument(..., help="The session to make current."),
    as_json: bool = typer.Option(False, "--json", help="Print the session as JSON."),
) -> None:
    """Make an existing session current."""
    _ledger_op(lambda s: s.switch_session(session_id), "charter session switch")
    dump({"session": session_id}) if as_json else out(f"{session_id}\n")
