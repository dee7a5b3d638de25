"""`charter transcript search|show` and `charter reindex`: the verbatim ledger from the shell.

User text is written to stdout as raw UTF-8 bytes, so what was typed comes back exactly (no
newline translation, no stripping of control sequences).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import typer

from charter.app.commands.common import dump, fail, note, open_ws, out

if TYPE_CHECKING:
    from charter.transcripts import Ledger, Record

transcript_app = typer.Typer(
    name="transcript",
    help="Search and show the verbatim transcript ledger.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def register(cli: typer.Typer) -> None:
    """Mount `transcript` and `reindex` on the root CLI."""
    cli.add_typer(transcript_app, name="transcript")
    cli.command(
        "reindex",
        help="Rebuild the ledger and requirement indexes (.charter/state.db) from the files.",
    )(reindex)


def _open_ledger(*, check_index: bool = True) -> Ledger:
    """The ledger of the workspace around the current directory (exit 2 outside one)."""
    from charter.transcripts import Ledger

    ws = open_ws(check_index=check_index)
    return Ledger(ws.transcripts_dir, ws.state_db, state_dir=ws.state_dir)


def _json(records: list[Record]) -> str:
    """Records as a JSON list of the same dicts the JSONL lines hold."""
    items: list[dict[str, Any]] = [r.to_dict() for r in records]
    return json.dumps(items, ensure_ascii=False, indent=2) + "\n"


def _when(ts: str) -> str:
    """`2026-11-21T10:00:00.000Z` → `2026-11-21 10:00`."""
    return f"{ts[:10]} {ts[11:16]}"


@transcript_app.command("search")
def search(
    query: str = typer.Argument(..., help="Words to find; taken literally (quotes, AND, * ...)."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list of records."),
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="At most this many results."),
    role: str | None = typer.Option(
        None, "--role", help="Only records of this role: user, scribe, event."
    ),
) -> None:
    """Full-text search over every message of every session, newest first."""
    from charter.transcripts import LedgerError

    ledger = _open_ledger()
    try:
        hits = ledger.search(query, limit=limit, role=role)
    except LedgerError as exc:
        raise fail(str(exc), 2) from None
    if as_json:
        out(_json([h.record for h in hits]))
        return
    if not hits:
        typer.echo("no matches", err=True)
        return
    lines = [
        f"{h.record.id}  {h.record.session}  {_when(h.record.ts)}  {h.record.role:<6}  {h.snippet}"
        for h in hits
    ]
    out("\n".join(lines) + "\n")


@transcript_app.command("show")
def show(
    session: str | None = typer.Argument(None, help="Session ID (default: the current session)."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list of records."),
) -> None:
    """Print a session's records verbatim, user text exactly as typed."""
    from charter.transcripts import LedgerError

    ledger = _open_ledger()
    try:
        read = ledger.read(session or ledger.current_session())
    except LedgerError as exc:
        known = ", ".join(s.id for s in ledger.sessions()[-5:]) or "none yet"
        raise fail(f"{exc} (recent sessions: {known})", 2) from None
    for problem in read.problems:
        typer.echo(f"warning: {problem}", err=True)
    if as_json:
        out(_json(read.records))
        return
    lines = []
    for r in read.records:
        kind = "" if r.kind == "message" else f" {r.kind}"
        lines.append(f"[{r.id} {r.role}{kind} {r.ts[11:16]}] {r.text}\n")
    out("".join(lines))


def reindex(
    as_json: bool = typer.Option(False, "--json", help="Print what was rebuilt as JSON."),
) -> None:
    """Rebuild the ledger index and the requirement index from the JSONL files and git."""
    from charter.specs import HistoryError, RequirementIndex
    from charter.transcripts import Ledger, LedgerError

    ws = open_ws(check_index=False)
    ledger = Ledger(ws.transcripts_dir, ws.state_db, state_dir=ws.state_dir)
    try:
        stats = ledger.reindex()
    except LedgerError as exc:
        raise fail(str(exc), 2) from None
    finally:
        ledger.close()
    try:
        with RequirementIndex(ws.state_db, ws.root, ws.spec_dir) as index:
            req_stats = index.rebuild()
    except HistoryError as exc:
        raise fail(str(exc), 2) from None
    for problem in stats.problems:
        typer.echo(f"warning: {problem}", err=True)
    if stats.moved_aside is not None:
        typer.echo(
            f"the damaged index was moved aside to {stats.moved_aside} (audit results and usage "
            "figures kept in it are not carried over)",
            err=True,
        )
    if as_json:
        dump(
            {
                "ledger": stats.model_dump(mode="json"),
                "requirements": req_stats.model_dump(mode="json"),
            }
        )
        return
    problems = f", {len(stats.problems)} unreadable lines" if stats.problems else ""
    note(f"reindexed {stats.sessions} sessions, {stats.records} records{problems}")
    note(f"indexed the requirements of {req_stats.commits_read} spec commits")
