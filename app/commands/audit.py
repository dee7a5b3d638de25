"""`charter audit [REV] [--json]` and `charter audit fix FINDING-ID`: audit the spec, fix by review.

`charter audit` reads the spec from the working tree (or from commit REV's tree), validates it
without a model (validation ERRORs stop here: run `charter validate`), then runs the audit graph:
the auditor model sees only what its cache lacks, so an unchanged revision costs no model call.
Findings print as `specs/x.md:12: ERROR [A-3f2c1a] contradiction (ING-1, ING-4): ... — fix: ...`.

`charter audit fix FINDING-ID` never edits the spec: it records the request in the ledger (an
event of kind `audit-fix`) and runs a scribe turn on the finding; its proposal is reviewed like
any other (`charter pending`, `charter accept`), and the accepted commit carries the trailer
`Charter-Finding: FINDING-ID`.

Exit codes: 0 no ERROR finding (or a fix proposal awaits review); 1 an ERROR finding, validation
ERRORs, or a fix that was refused or is no longer needed; 2 bad input (unknown revision or finding,
no model configured); 3 the workspace is locked (fix only); 4 the model endpoint failed.
`--json` prints one document with sorted keys and no timings, so two runs compare equal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperGroup

from charter.app.commands.common import dump, fail, open_ws, out
from charter.app.services.audit import spec_files, spec_prefix, validation_errors

if TYPE_CHECKING:
    import click

    from charter.agents import ModelFactory
    from charter.app.workspace import Workspace
    from charter.graphs.audit import AuditFinding, AuditResult
    from charter.specs import Finding


class _AuditGroup(TyperGroup):
    """`charter audit [REV]` runs the audit; a known subcommand (`fix`) runs that instead."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Route anything that is not a subcommand (or help) to the default `run` command."""
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h")):
            args = ["run", *args]
        return super().parse_args(ctx, args)


audit_app = typer.Typer(
    name="audit",
    cls=_AuditGroup,
    subcommand_metavar="[REV] [--json] | fix FINDING-ID",
    help=(
        "Audit the spec for contradictions, gaps and intent drift: `charter audit [REV] "
        "[--json]` (REV default: the working tree; exit 1 on any ERROR). "
        "`charter audit fix FINDING-ID` asks the scribe for a fix you review."
    ),
    rich_markup_mode=None,
)


def register(cli: typer.Typer) -> None:
    """Mount the `audit` group on the root CLI."""
    cli.add_typer(audit_app, name="audit")


# -- plumbing -----------------------------------------------------------------------------------


def _spec_files(ws: Workspace, rev: str | None) -> dict[str, bytes]:
    """The spec's Markdown files (path relative to the spec dir → bytes), from REV or the disk."""
    from charter.specs import HistoryError

    try:
        return spec_files(ws, rev)
    except HistoryError as exc:
        raise fail(str(exc), 2) from None


def _factory(ws: Workspace) -> tuple[ModelFactory, str]:
    """The model factory and the auditor's model name, or exit 2 saying what to set."""
    from charter.agents import ModelConfigError
    from charter.app.services.audit import auditor_factory

    try:
        return auditor_factory(ws)
    except ModelConfigError as exc:
        raise fail(exc.user_message, 2) from None


def _finding_doc(f: AuditFinding, prefix: str) -> dict[str, Any]:
    """A finding for `--json`: its fields, with the file relative to the workspace root."""
    doc = f.model_dump(mode="json")
    doc["file"] = f"{prefix}/{f.file}" if f.file else ""
    return doc


def _plural(n: int, word: str) -> str:
    """`1 error`, `2 errors`."""
    return f"{n} {word}{'' if n == 1 else 's'}"


# -- charter audit [REV] ------------------------------------------------------------------------


def _report_invalid(errors: list[Finding], prefix: str, rev: str | None, as_json: bool) -> None:
    """Refuse to audit a spec that does not validate; exit 1."""
    if as_json:
        items = []
        for f in errors:
            item = f.model_dump(mode="json")
            item["file"] = f"{prefix}/{f.file}"
            items.append(item)
        dump({"ok": False, "rev": rev, "validation": items, "findings": []})
    else:
        for f in errors:
            out(
                f"{prefix}/{f.file}:{f.line}:{f.column}: {f.severity.value} {f.code}: {f.message}\n"
            )
    raise fail(
        f"the spec has {_plural(len(errors), 'validation error')}: fix them first "
        "(`charter validate`), then audit",
        1,
    )


def _run_audit(
    ws: Workspace, files: dict[str, bytes], rev: str | None, *, fresh: bool = False
) -> AuditResult:
    """Run the audit graph on the workspace's inputs; model errors exit."""
    from charter.agents import ModelCallError, ModelConfigError
    from charter.app.services.audit import run_workspace_audit

    factory, model_name = _factory(ws)
    try:
        return run_workspace_audit(ws, files, factory, model_name, rev, fresh=fresh)
    except ModelConfigError as exc:
        raise fail(exc.user_message, 2) from None
    except ModelCallError as exc:
        raise fail(f"{exc.user_message} (answers received so far are kept)", 4) from None


@audit_app.command("run", hidden=True)
def audit_command(
    rev: str | None = typer.Argument(
        None, metavar="[REV]", help="Audit the spec as committed in REV (default: working tree)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the findings as one JSON object."),
    fresh: bool = typer.Option(
        False, "--fresh", help="Ask the model again even about an unchanged revision."
    ),
) -> None:
    """Audit the spec: contradictions, ambiguity, gaps, missing complements, intent drift."""
    from charter.specs import Severity

    ws = open_ws()
    prefix = spec_prefix(ws)
    files = _spec_files(ws, rev)
    errors = validation_errors(ws, files)
    if errors:
        _report_invalid(errors, prefix, rev, as_json)
    result = _run_audit(ws, files, rev, fresh=fresh)
    for error in [] if as_json else result.auditor_errors:  # --json carries them in the doc
        typer.echo(f"charter: auditor error: {error}", err=True)
    counts = {s.value: sum(1 for f in result.findings if f.severity is s) for s in Severity}
    failed = counts[Severity.ERROR.value] > 0
    if as_json:
        dump(
            {
                "ok": not failed,
                "rev": rev,
                "revision": result.revision,
                "counts": counts,
                "findings": [_finding_doc(f, prefix) for f in result.findings],
                "auditor_errors": result.auditor_errors,
            }
        )
    else:
        for f in result.findings:
            out(f.render(prefix) + "\n")
        summary = ", ".join(
            [
                _plural(counts["ERROR"], "error"),
                _plural(counts["WARNING"], "warning"),
                _plural(counts["INFO"], "note"),
            ]
        )
        what = f"{rev}" if rev else "working tree"
        sent = (
            f"{_plural(result.model_calls, 'model call')}, {result.cached} cached"
            if result.model_calls
            else "no model call (all cached)"
        )
        verdict = "audit found errors" if failed else "audit OK"
        out(f"{verdict}: {summary} in {what} ({result.revision}; {sent})\n")
        if failed:
            out("Fix a finding through the scribe: charter audit fix FINDING-ID\n")
    raise typer.Exit(1 if failed else 0)


# -- charter audit fix FINDING-ID ---------------------------------------------------------------


@audit_app.command("fix")
def fix_command(
    finding_id: str = typer.Argument(..., metavar="FINDING-ID", help="e.g. A-3f2c1a"),
    as_json: bool = typer.Option(False, "--json", help="Print the outcome as JSON."),
) -> None:
    """Hand a finding to the scribe: its proposal is reviewed like any other, never applied."""
    from charter.app.services.audit import stored_audit
    from charter.graphs.audit import find_finding

    ws = open_ws()
    prefix = spec_prefix(ws)
    found = find_finding(ws.state_db, finding_id)
    if found is None:
        raise fail(f"no audit finding {finding_id}: run `charter audit` to list findings", 2)
    run, finding = found
    missing = _missing_targets(ws, finding)
    if missing:
        raise fail(
            f"{finding_id} names {', '.join(missing)}, which the spec does not have: that is the "
            "auditor's error, not something to fix; run `charter audit --fresh`",
            1,
        )
    _, current = stored_audit(ws)
    if current is not None and all(f.id != finding_id for f in current.findings):
        raise fail(
            f"{finding_id} is not among the findings of the current spec (it was resolved, or "
            "the spec changed): run `charter audit` again",
            1,
        )
    outcome = _fix(ws, run.revision, finding, prefix, as_json)
    _print_fix(outcome, finding_id, as_json)


def _missing_targets(ws: Workspace, finding: AuditFinding) -> list[str]:
    """Requirement IDs a finding names (listed, or in its text with a known prefix) that the
    working tree's spec lacks: a fix must never be proposed for those."""
    from charter.graphs.audit import unknown_requirements
    from charter.specs import load_spec_dir

    spec, _ = load_spec_dir(ws.spec_dir)
    listed, in_text = unknown_requirements(
        finding.requirements,
        f"{finding.message} {finding.fix}",
        {r.id for r in spec.requirements()},
    )
    return list(dict.fromkeys([*listed, *in_text]))


def _fix(ws: Workspace, revision: str, finding: AuditFinding, prefix: str, as_json: bool) -> Any:
    """Run the scribe turn for a finding under the workspace lock."""
    from charter.agents import ModelCallError, ModelConfigError
    from charter.app.lock import LockedError, WorkspaceLock
    from charter.app.workspace import open_intent_session
    from charter.graphs.audit import request_fix
    from charter.graphs.intent import IntentError

    try:
        session = open_intent_session(ws, need_model=True)
    except ModelConfigError as exc:
        raise fail(exc.user_message, 2) from None
    try:
        lock = WorkspaceLock(ws.lock_path).acquire("charter audit fix")
    except LockedError as exc:
        session.close()
        raise fail(str(exc), 3) from None
    try:
        with session:
            return request_fix(
                session,
                ws.state_db,
                revision,
                finding,
                spec_prefix=prefix,
                on_token=None if as_json else out,
            )
    except ModelCallError as exc:
        raise fail(exc.user_message, 4) from None
    except IntentError as exc:
        raise fail(str(exc), 1) from None
    finally:
        lock.release()


def _print_fix(outcome: Any, finding_id: str, as_json: bool) -> None:
    """Show the scribe's answer to a fix request and exit with its code."""
    from charter.graphs.intent import render_proposal

    if as_json:
        dump({"finding": finding_id, "outcome": outcome.model_dump(mode="json")})
    elif outcome.kind in ("proposal", "refused") and outcome.proposal is not None:
        out("\n" + render_proposal(outcome.proposal))
        if outcome.kind == "proposal":
            out(
                f"Review: charter accept [--edit] | charter reject [--reason TEXT] "
                f"(the commit will name {finding_id})\n"
            )
    elif outcome.kind == "question":
        out(f"\nQuestion ({outcome.reply_id}): {outcome.text}\n")
    elif outcome.kind == "reply":
        out("\n")
    if outcome.kind == "error":
        raise fail(f"{outcome.text} (the fix request {outcome.message_id} is kept)", 4)
    if outcome.kind == "refused":
        raise fail("the scribe's proposal was refused; nothing was changed", 1)
