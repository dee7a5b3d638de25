"""`charter init [DIR]` and `charter status [--json]`: making a workspace, and where it stands.

`init` changes files (under the workspace lock) but never commits; `status` only reads and never
takes the lock. Exit codes: 0 ok, 2 refused or outside a workspace, 3 workspace locked.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from charter.app.commands.common import dump, fail, note, open_ws

if TYPE_CHECKING:
    from charter.app.workspace import InitResult, Workspace


def register(cli: typer.Typer) -> None:
    """Mount `init` and `status` on the root CLI."""
    cli.command("init")(init_command)
    cli.command("status")(status_command)


def init_command(
    directory: str = typer.Argument(
        ".", help="Directory to make a workspace (created if missing; default: here)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print what was done as JSON."),
) -> None:
    """Make DIR a Charter workspace: git repo, spec and transcripts dirs, charter.toml."""
    from charter.app.lock import LockedError
    from charter.app.workspace import WorkspaceError, init_workspace

    try:
        result = init_workspace(Path(directory))
    except WorkspaceError as exc:
        raise fail(str(exc), 2) from None
    except LockedError as exc:
        raise fail(str(exc), 3) from None
    if as_json:
        dump(result.model_dump(mode="json"))
        return
    note(_init_report(result))


def _init_report(result: InitResult) -> str:
    """The human-readable account of what `init` did and what the user may commit."""
    if result.already:
        return f"{result.root} is already a Charter workspace; nothing changed."
    lines = [
        f"Initialised a Charter workspace in {result.root}"
        + (" (new git repository)." if result.created_repo else " (existing git repository).")
    ]
    if result.created:
        lines.append(f"  created: {', '.join(result.created)}")
    if result.changed:
        lines.append(f"  changed: {', '.join(result.changed)} (added .charter/)")
    if result.to_commit:
        paths = " ".join(result.to_commit)
        lines.append(
            "Charter made no commit. To share the settings, commit them when you like:\n"
            f"  git add {paths} && git commit -m 'Add Charter workspace'"
        )
    return "\n".join(lines)


def status_command(
    as_json: bool = typer.Option(False, "--json", help="Print the status as JSON."),
) -> None:
    """Show the workspace: branch, HEAD, spec files and requirements, sessions, lock holder."""
    doc = _status(open_ws())
    if as_json:
        dump(doc)
        return
    typer.echo(_status_text(doc))


def _status(ws: Workspace) -> dict[str, Any]:
    """Gather the status document (read-only: no lock, no git writes)."""
    from charter.app.lock import lock_holder
    from charter.specs import HistoryError, load_spec_dir, repo_head
    from charter.transcripts import Ledger

    try:
        head = repo_head(ws.root).model_dump(mode="json")
    except HistoryError as exc:
        head = {"error": str(exc)}
    spec, findings = load_spec_dir(ws.spec_dir)
    by_kind: dict[str, int] = {"explicit": 0, "inferred": 0, "confirmed": 0, "none": 0}
    locked = 0
    for req in spec.requirements():
        by_kind[req.provenance.kind.value if req.provenance else "none"] += 1
        locked += req.locked
    ledger = Ledger(ws.transcripts_dir, ws.state_db)
    try:
        sessions = ledger.sessions()
    finally:
        ledger.close()
    holder = lock_holder(ws.lock_path)
    return {
        "coverage": _coverage(ws),
        "sandbox": _sandbox(ws),
        "root": str(ws.root),
        "spec_dir": ws.spec_dir.relative_to(ws.root).as_posix(),
        "transcripts_dir": ws.transcripts_dir.relative_to(ws.root).as_posix(),
        "git": head,
        "spec": {
            "files": len(spec.files),
            "requirements": len(spec.requirements()),
            "by_provenance": by_kind,
            "locked": locked,
            "findings": len(findings),
        },
        "sessions": sum(1 for s in sessions if s.count > 0),
        "messages": sum(s.count for s in sessions),
        "lock": holder.model_dump(mode="json") if holder else None,
        "lock_text": f"locked by {holder.describe()}" if holder else None,
    }


def _sandbox(ws: Workspace) -> dict[str, Any]:
    """Which sandbox builds will run verify commands in, and whether it works here."""
    from charter.graphs.build import policy_problem

    policy = ws.config.build.jail_policy()
    problem = policy_problem(policy)
    return {
        "kind": policy.sandbox,
        "network": policy.network,
        "usable": problem is None,
        "text": policy.describe() if problem is None else f"UNAVAILABLE: {problem}",
    }


def _status_text(doc: dict[str, Any]) -> str:
    """Lay the status document out for a terminal."""
    git = doc["git"]
    if "error" in git:
        where = git["error"]
    else:
        branch = git["branch"] or "(detached HEAD)"
        commit = f"{git['short']} {git['subject']}" if git["sha"] else "no commits yet"
        where = f"{branch} at {commit}"
        if git.get("in_progress"):
            where += f" ({git['in_progress']} in progress)"
    spec = doc["spec"]
    kinds = ", ".join(f"{n} {k}" for k, n in spec["by_provenance"].items() if n)
    lines = [
        f"workspace  {doc['root']}",
        f"git        {where}",
        f"spec       {doc['spec_dir']}/: {spec['files']} files, "
        f"{spec['requirements']} requirements"
        + (f" ({kinds})" if kinds else "")
        + (f", {spec['locked']} LOCKED" if spec["locked"] else ""),
        f"ledger     {doc['transcripts_dir']}/: {doc['sessions']} sessions, "
        f"{doc['messages']} messages",
        f"lock       {doc['lock_text'] or 'free'}",
        f"sandbox    {doc['sandbox']['text']}",
    ]
    if spec["findings"]:
        lines.append(f"           {spec['findings']} parse findings: run charter validate")
    if doc["coverage"] is not None:
        from charter.app.commands.coverage import coverage_summary

        lines.append("coverage of HEAD (charter coverage):")
        lines += ["  " + line for line in coverage_summary(doc["coverage"]).split("\n")]
    return "\n".join(lines)


def _coverage(ws: Workspace) -> dict[str, Any] | None:
    """`charter coverage`'s document for HEAD without the per-requirement rows; None before
    the first commit."""
    from charter.app.commands.coverage import coverage_doc
    from charter.specs import HistoryError

    try:
        doc = coverage_doc(ws, "HEAD")
    except HistoryError:
        return None
    doc.pop("per_requirement")
    return doc
