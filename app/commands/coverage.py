"""`charter coverage [REV] [--json]`: how ready the spec at a revision is, and what its build says.

Read-only (no lock, no model): the spec from REV's tree (default HEAD), its requirements by
provenance (explicit / inferred and not yet confirmed / confirmed) and LOCKED, with and without
examples; the open findings of that revision's last audit and the unanswered questions of its
builds; and, for the latest build of that commit, each requirement's verdict (verified: built
and every example passes; failing; built without examples; not built) from the build's
`examples.json`. Tests the model wrote never make a requirement verified. Exit codes: 0 shown,
2 bad revision or outside a workspace.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from charter.app.commands.common import dump, fail, open_ws

if TYPE_CHECKING:
    from charter.app.workspace import Workspace

VERDICTS = ("verified", "failing", "built without examples", "not built")
PROVENANCE_COLUMNS = ("explicit", "inferred-unconfirmed", "confirmed")


def register(cli: typer.Typer) -> None:
    """Mount `coverage` on the root CLI."""
    cli.command("coverage")(coverage_command)


def coverage_command(
    rev: str = typer.Argument("HEAD", help="The spec revision (default HEAD)."),
    as_json: bool = typer.Option(False, "--json", help="Print the coverage as JSON."),
) -> None:
    """Summarise a spec revision: provenance, examples, open findings, build verdicts."""
    from charter.specs import HistoryError

    ws = open_ws()
    try:
        doc = coverage_doc(ws, rev)
    except HistoryError as exc:
        raise fail(str(exc), 2) from None
    if as_json:
        dump(doc)
        return
    typer.echo(coverage_text(doc))


def coverage_doc(ws: Workspace, rev: str = "HEAD") -> dict[str, Any]:
    """The coverage document of `rev` (raises HistoryError for an unknown revision)."""
    from charter.app.services.verdicts import latest_build
    from charter.graphs.audit import load_findings, revision_key
    from charter.graphs.build import list_questions
    from charter.specs import ProvenanceKind, load_spec_files, spec_tree_at
    from charter.transcripts import Ledger

    tree = spec_tree_at(ws.root, rev, ws.spec_dir)  # one commit lookup for the sha and files
    sha, files = tree.commit, tree.blobs
    spec, _ = load_spec_files(files)
    latest, run = latest_build(ws.builds_dir, sha)
    verdicts = {v.id: v for v in run.requirements} if run is not None else {}
    rows: list[dict[str, Any]] = []
    for req in spec.requirements():
        kind = req.provenance.kind.value if req.provenance else "none"
        shown = "inferred-unconfirmed" if kind == ProvenanceKind.INFERRED else kind
        verdict = verdicts.get(req.id)
        rows.append(
            {
                "id": req.id,
                "provenance": shown,
                "locked": req.locked,
                "keyword": req.keyword,
                "examples": len(req.examples),
                "verdict": verdict.verdict.value if verdict else "not built",
                "examples_passed": verdict.examples_passed if verdict else 0,
                "examples_failed": verdict.examples_failed if verdict else 0,
            }
        )
    findings = load_findings(ws.state_db, revision_key(files))
    answered = Ledger(ws.transcripts_dir).answered_questions()
    questions = [
        q for q in list_questions(ws.builds_dir) if q.commit == sha and q.id not in answered
    ]
    return {
        "rev": rev,
        "commit": sha,
        "requirements": {
            "total": len(rows),
            **{k: sum(r["provenance"] == k for r in rows) for k in PROVENANCE_COLUMNS},
            "locked": sum(r["locked"] for r in rows),
            "with_examples": sum(r["examples"] > 0 for r in rows),
            "without_examples": sum(r["examples"] == 0 for r in rows),
            "musts_without_examples": sum(
                r["examples"] == 0 and r["keyword"] in ("MUST", "MUST NOT") for r in rows
            ),
        },
        "audit": None
        if findings is None
        else {
            "open_findings": len(findings),
            **{
                s: sum(f.severity.value == s for f in findings)
                for s in ("ERROR", "WARNING", "INFO")
            },
        },
        "open_questions": [q.id for q in questions],
        "build": None
        if latest is None
        else {"id": latest.id, "status": latest.status.value, "examples_run": run is not None},
        "verdicts": {v: sum(r["verdict"] == v for r in rows) for v in VERDICTS},
        "per_requirement": rows,
    }


def coverage_summary(doc: dict[str, Any]) -> str:
    """One line per concern, as `charter status` and `charter coverage` print them."""
    reqs = doc["requirements"]
    audit = doc["audit"]
    build = doc["build"]
    lines = [
        f"requirements {reqs['total']}: {reqs['explicit']} explicit, "
        f"{reqs['inferred-unconfirmed']} inferred (unconfirmed), {reqs['confirmed']} confirmed, "
        f"{reqs['locked']} LOCKED",
        f"examples     {reqs['with_examples']} with, {reqs['without_examples']} without "
        f"({reqs['musts_without_examples']} MUSTs without an example)",
        "audit        "
        + (
            "not audited"
            if audit is None
            else f"{audit['open_findings']} open findings ({audit['ERROR']} ERROR, "
            f"{audit['WARNING']} WARNING, {audit['INFO']} INFO)"
        ),
        f"questions    {len(doc['open_questions'])} open",
        "build        "
        + ("none of this commit" if build is None else f"{build['id']} ({build['status']})"),
        "verdicts     " + ", ".join(f"{n} {v}" for v, n in doc["verdicts"].items()),
    ]
    return "\n".join(lines)


def coverage_text(doc: dict[str, Any]) -> str:
    """The whole coverage report for a terminal: the summary, then one line per requirement."""
    lines = [f"coverage of {doc['rev']} ({doc['commit'][:10]})", coverage_summary(doc), ""]
    width = max((len(r["id"]) for r in doc["per_requirement"]), default=0)
    for r in doc["per_requirement"]:
        letter = {"explicit": "E", "inferred-unconfirmed": "I", "confirmed": "C"}.get(
            r["provenance"], "?"
        )
        ran = r["examples_passed"] + r["examples_failed"]
        shown = (
            f"{r['examples_passed']}/{ran} examples pass" if ran else f"{r['examples']} examples"
        )
        lock = " L" if r["locked"] else "  "
        lines.append(f"  {r['id']:<{width}} {letter}{lock} {r['verdict']:<22} {shown}")
    return "\n".join(lines).rstrip() + "\n"
