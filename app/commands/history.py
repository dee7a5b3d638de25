"""`charter log`, `charter show REV` and `charter why REQ-ID`: reading the spec's history.

All three are read-only and never take the workspace lock. User text (quoted intents, cited
messages) is written to stdout as raw UTF-8 so it comes back exactly as typed. Exit codes: 0 ok,
1 unknown requirement, 2 outside a workspace, bad revision or bad ID.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from charter.app.commands.common import dump, fail, note, open_ws, out

if TYPE_CHECKING:
    from charter.app.services.why import CitedMessage, ProvenanceView, WhyReport
    from charter.specs import CommitInfo


def register(cli: typer.Typer) -> None:
    """Mount `log`, `show` and `why` on the root CLI."""
    cli.command("log")(log_command)
    cli.command("show")(show_command)
    cli.command("why")(why_command)


def _intent_line(commit: CommitInfo) -> str | None:
    """`m-0007 "first line of the intent…"` for a commit that quotes one."""
    if not commit.intents:
        return None
    intent = commit.intents[0]
    lines = intent.text.split("\n")
    more = "…" if len(lines) > 1 or len(commit.intents) > 1 else ""
    return f'{intent.id} "{lines[0]}"{more}'


def _commit_lines(commits: list[CommitInfo], indent: str = "") -> str:
    """One line per commit (short sha, date, subject), plus its intent's first line."""
    out = []
    for c in commits:
        out.append(f"{indent}{c.short} {c.date[:10]} {c.subject}")
        intent = _intent_line(c)
        if intent:
            out.append(f"{indent}{' ' * len(c.short)} {intent}")
    return "".join(line + "\n" for line in out)


def log_command(
    as_json: bool = typer.Option(False, "--json", help="Print the commits as JSON."),
    limit: int | None = typer.Option(None, "-n", "--max-count", min=1, help="Show at most N."),
) -> None:
    """List the commits that changed the spec, newest first, with the intent they carry."""
    from charter.specs import HistoryError, spec_log

    ws = open_ws()
    try:
        commits = spec_log(ws.root, ws.spec_dir, limit=limit)
    except HistoryError as exc:
        raise fail(str(exc), 2) from None
    if as_json:
        dump({"commits": [c.model_dump(mode="json") for c in commits]})
        return
    if not commits:
        note("no spec commits yet")
        return
    out(_commit_lines(commits))


def show_command(
    rev: str = typer.Argument(..., help="A commit (sha, branch, HEAD~2, …)."),
    as_json: bool = typer.Option(
        False, "--json", help="Print the commit (message, intents, trailers, diff) as JSON."
    ),
) -> None:
    """Show one commit: its message (with the verbatim intent) and the diff of the spec."""
    from charter.specs import HistoryError, show_commit

    ws = open_ws()
    try:
        detail = show_commit(ws.root, rev, ws.spec_dir)
    except HistoryError as exc:
        raise fail(str(exc), 2) from None
    if as_json:
        dump(detail.model_dump(mode="json"))
        return
    head = f"commit {detail.sha}\nAuthor: {detail.author} <{detail.email}>\nDate:   {detail.date}\n"
    body = "".join(f"    {line}".rstrip(" ") + "\n" for line in detail.message.split("\n")[:-1])
    out(f"{head}\n{body}\n{detail.diff}")


def why_command(
    req_id: str = typer.Argument(..., metavar="REQ-ID", help="A requirement ID, e.g. ING-1."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Explain a requirement: its text, provenance, the user's words and its commits."""
    from charter.app.services.why import UnknownRequirementError, explain, normalise_id
    from charter.specs import HistoryError

    ws = open_ws()
    wanted = normalise_id(req_id)
    if wanted is None:
        raise fail(f"{req_id!r} is not a requirement ID (like ING-1)", 2)
    try:
        report = explain(ws, wanted)
    except UnknownRequirementError as exc:
        raise fail(str(exc), 1) from None
    except HistoryError as exc:
        raise fail(str(exc), 2) from None
    if as_json:
        dump(report.model_dump(mode="json"))
        return
    out(_why_text(report))


def _quote(text: str, indent: str) -> str:
    """Quote verbatim text line by line."""
    return "".join(f"{indent}> {line}".rstrip(" ") + "\n" for line in text.split("\n"))


def _provenance_text(p: ProvenanceView | None) -> str:
    """A provenance as one line: kind, cited messages, quote or reason."""
    if p is None:
        return "(no provenance line)"
    cites = f" ({', '.join(p.messages)})" if p.messages else ""
    detail = f': "{p.quote}"' if p.quote is not None else ""
    if p.reason is not None:
        detail = f": {p.reason}"
    return f"{p.kind}{cites}{detail}"


def _words(messages: list[CitedMessage], indent: str) -> list[str]:
    """The cited user messages, verbatim, under a heading."""
    if not messages:
        return []
    parts = [f"\n{indent}The user's words:\n"]
    for m in messages:
        if not m.found:
            parts.append(f"{indent}  {m.id}  not found in the ledger\n")
            continue
        parts.append(f"{indent}  {m.id}  {m.session}  {m.ts}  ({m.role})\n")
        parts.append(_quote(m.text or "", indent + "    "))
    return parts


def _why_text(r: WhyReport) -> str:
    """Lay a WhyReport out for a terminal."""
    parts: list[str] = []
    if not r.present:
        parts.append(f"{r.id} is no longer in the spec (removed); its history:\n")
    else:
        flag = "  LOCKED" if r.locked else ""
        parts.append(f"{r.id}  {r.file}:{r.line}  ({r.section}){flag}\n  {r.text}\n")
        parts.append(f"  {_provenance_text(r.provenance)}\n")
        parts += _words(r.messages, "")
        if r.examples:
            parts.append(f"\nExamples ({len(r.examples)}):\n")
        for e in r.examples:
            parts.append(f"  {r.file}:{e.line}  {_provenance_text(e.provenance)}\n")
            parts.append("".join(f"    {line}".rstrip(" ") + "\n" for line in e.body.split("\n")))
            parts += _words(e.messages, "  ")
    parts.append("\nCommits (newest first):\n" if r.commits else "\nNo commits yet.\n")
    parts.append(_commit_lines(r.commits, indent="  "))
    return "".join(parts)
