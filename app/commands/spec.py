"""`charter validate`: check the workspace's spec and report findings at file:line:column.

Quotes of explicit and confirmed requirements are checked against the verbatim ledger. Exit code
0 when no finding is an ERROR, 1 otherwise, 2 outside a workspace or on a bad `charter.toml`.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

import typer

from charter.app.commands.common import note, open_ws
from charter.app.services.audit import spec_findings
from charter.app.services.audit import spec_prefix as spec_dir_label

if TYPE_CHECKING:
    from charter.specs import Finding


def register(cli: typer.Typer) -> None:
    """Mount `validate` on the root CLI."""
    cli.command("validate")(validate_command)


def _plural(n: int, word: str) -> str:
    """`1 error`, `2 errors`."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def _line(f: Finding, path: str) -> str:
    """One human-readable finding: `specs/a.md:12:5: ERROR code: message`."""
    where = path if f.line == 0 else f"{path}:{f.line}:{f.column}"
    return f"{where}: {f.severity.value} {f.code}: {f.message}"


def validate_command(
    as_json: bool = typer.Option(False, "--json", help="Print the findings as one JSON object."),
) -> None:
    """Validate the spec: IDs, keywords, provenance, quotes against the ledger, references."""
    from charter.specs import Severity, blocking_errors

    ws = open_ws()
    spec_prefix = PurePosixPath(spec_dir_label(ws))
    spec, findings = spec_findings(ws)
    counts = {s.value: sum(1 for f in findings if f.severity is s) for s in Severity}
    failed = bool(blocking_errors(findings))
    n_files = len(spec.files)
    n_reqs = len(spec.requirements())
    paths = [(spec_prefix / f.file).as_posix() for f in findings]
    if as_json:
        items: list[dict[str, Any]] = []
        for f, path in zip(findings, paths, strict=True):
            item = f.model_dump(mode="json")
            item["file"] = path
            items.append(item)
        doc = {
            "ok": not failed,
            "files": n_files,
            "requirements": n_reqs,
            "counts": counts,
            "findings": items,
        }
        typer.echo(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        for f, path in zip(findings, paths, strict=True):
            typer.echo(_line(f, path))
        summary = ", ".join(
            [
                _plural(counts["ERROR"], "error"),
                _plural(counts["WARNING"], "warning"),
                _plural(counts["INFO"], "note"),
            ]
        )
        scope = f"{_plural(n_files, 'file')}, {_plural(n_reqs, 'requirement')}"
        verdict = "spec has errors" if failed else "spec OK"
        note(f"{verdict}: {summary} in {scope} under {spec_prefix.as_posix()}/")
    raise typer.Exit(1 if failed else 0)
