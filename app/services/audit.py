"""The audit of a workspace: the one place that turns a Workspace into an AuditRequest.

`charter audit` and the TUI's Audit pane both call these, so the two always audit the same inputs:
the spec files (working tree or a commit's tree), every user message of the ledger (for intent
drift) and the LOCKED changes found in the spec's history. Heavy libraries are imported inside the
functions (the CLI stays fast to start).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from charter.agents import ModelFactory
    from charter.app.workspace import Workspace
    from charter.graphs.audit import AuditRequest, AuditResult, AuditRun
    from charter.specs import Finding, Spec


def spec_prefix(ws: Workspace) -> str:
    """The spec dir relative to the workspace root (`specs`), for printed locations."""
    try:
        return PurePosixPath(ws.spec_dir.relative_to(ws.root).as_posix()).as_posix()
    except ValueError:
        return ws.spec_dir.as_posix()


def spec_files(ws: Workspace, rev: str | None = None) -> dict[str, bytes]:
    """The spec's files (path relative to the spec dir → bytes): the working tree's, or as
    committed in `rev` (raises `specs.HistoryError` for an unknown revision)."""
    from charter.graphs.audit import spec_dir_files
    from charter.specs import spec_files_at

    if rev is None:
        return spec_dir_files(ws.spec_dir)
    return spec_files_at(ws.root, rev, ws.spec_dir)


def auditor_factory(
    ws: Workspace, env: Mapping[str, str] | None = None
) -> tuple[ModelFactory, str]:
    """The model factory (usage tagged `audit`) and the auditor's model name.

    Raises `agents.ModelConfigError` when no model is configured.
    """
    from charter.app.workspace import model_factory

    factory = model_factory(ws, env=env, context="audit")
    return factory, factory.resolve("auditor").name


def spec_findings(
    ws: Workspace, files: Mapping[str, bytes] | None = None
) -> tuple[Spec, list[Finding]]:
    """The spec (`files`, or the working tree's spec dir) and every parse and validation finding,
    quotes checked against the ledger: what `charter validate` reports."""
    from charter.specs import load_spec_dir, load_spec_files, merge_findings, validate
    from charter.transcripts import Ledger

    ledger = Ledger(ws.transcripts_dir, ws.state_db)
    try:
        if files is None:
            spec, parse_findings = load_spec_dir(ws.spec_dir)
        else:
            spec, parse_findings = load_spec_files(dict(files))
        return spec, merge_findings(parse_findings, validate(spec, message_text=ledger.user_text))
    finally:
        ledger.close()


def validation_errors(ws: Workspace, files: Mapping[str, bytes] | None = None) -> list[Finding]:
    """The spec's blocking ERRORs (`specs.blocking_errors`), quotes checked against the ledger:
    validate, build, the audit and the TUI all stop on exactly these."""
    from charter.specs import blocking_errors

    return blocking_errors(spec_findings(ws, files)[1])


def audit_request(
    ws: Workspace,
    files: Mapping[str, bytes],
    factory: ModelFactory,
    model_name: str,
    rev: str | None = None,
    *,
    fresh: bool = False,
) -> AuditRequest:
    """Everything one audit of `files` needs: the user's messages and the LOCKED history up to
    `rev` (default HEAD); the auditor model is built only if something must be sent (with
    `fresh`, everything is sent again)."""
    from charter.graphs.audit import AuditRequest, locked_history, user_records
    from charter.transcripts import Ledger

    ledger = Ledger(ws.transcripts_dir, ws.state_db)
    try:
        records = user_records(ledger)
    finally:
        ledger.close()
    return AuditRequest(
        spec_files=files,
        state_db=ws.state_db,
        model_name=model_name,
        make_model=lambda: factory.chat("auditor"),
        user_records=records,
        locked=locked_history(ws.state_db, ws.root, ws.spec_dir, rev or "HEAD"),
        fresh=fresh,
    )


def stored_audit(ws: Workspace) -> tuple[str, AuditRun | None]:
    """The working tree's revision key and its stored audit, if any (never a model call)."""
    from charter.graphs.audit import load_run, revision_key

    revision = revision_key(spec_files(ws))
    return revision, load_run(ws.state_db, revision)


def run_workspace_audit(
    ws: Workspace,
    files: Mapping[str, bytes],
    factory: ModelFactory,
    model_name: str,
    rev: str | None = None,
    *,
    fresh: bool = False,
) -> AuditResult:
    """Audit `files` (model calls only for what the cache lacks, or for everything when
    `fresh`); the run is stored.

    Raises the model layer's errors (`ModelConfigError`, `ModelCallError`) when the model fails.
    """
    from charter.graphs.audit import run_audit

    return run_audit(audit_request(ws, files, factory, model_name, rev, fresh=fresh))
