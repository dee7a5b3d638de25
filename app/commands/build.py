"""`charter build`, `charter builds` and `charter questions`: running and inspecting builds.

`charter build` is the build's own process (the TUI launches the same command): it prints a line
per task state change (and a progress bar on a terminal), and `--json` prints a final summary.
Builds do not take the workspace lock: they read git objects and write only inside their own
`.charter/builds/<id>/` (and the content-addressed response cache). Exit codes: 0 every task
done (or the plan written with --plan-only), 1 a task failed or asked a question, validation or
plan errors, or a replay missed the cache; 2 bad input (unknown revision or build); 3 the build
is running in another process; 4 the model endpoint or the checkpoint database failed or is not
configured.

`charter build export|diff` live in `build_export`, the progress display in `build_progress`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import typer
from typer.core import TyperGroup

from charter.app.commands.build_progress import BuildProgress
from charter.app.commands.common import dump, fail, is_quiet, note, open_ws

if TYPE_CHECKING:
    from charter.app.workspace import Workspace
    from charter.graphs.build import BuildOutcome, BuildQuestion, BuildRecord


class _BuildGroup(TyperGroup):
    """`charter build [REV] [OPTIONS]` runs a build; `charter build export|diff ...` take one out.

    Anything that is not a subcommand's name goes to `run`, so `charter build`, `charter build
    HEAD~1 --json` and `charter build --resume ID` keep working as they always did.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Send arguments that name no subcommand to `run`."""
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h")):
            args = ["run", *args]
        return super().parse_args(ctx, args)


def register(cli: typer.Typer) -> None:
    """Mount `build` (run, export, diff), `builds` and `questions` on the root CLI."""
    from charter.app.commands.build_export import diff_command, export_command

    group = typer.Typer(cls=_BuildGroup, help="Run a build, export one, or diff two.")
    group.command("run")(build_command)
    group.command("export")(export_command)
    group.command("diff")(diff_command)
    cli.add_typer(group, name="build")
    cli.command("builds")(builds_command)
    cli.command("questions")(questions_command)


def build_command(
    rev: str = typer.Argument("HEAD", help="The committed revision to build (default HEAD)."),
    plan_only: bool = typer.Option(False, "--plan-only", help="Stop after writing plan.toml."),
    plan: str | None = typer.Option(
        None, "--plan", metavar="FILE", help="Build an edited plan.toml (no planner call)."
    ),
    replay: str | None = typer.Option(
        None, "--replay", metavar="BUILD_ID", help="Reproduce a build from cached responses only."
    ),
    resume: str | None = typer.Option(
        None, "--resume", metavar="BUILD_ID", help="Finish a stopped build."
    ),
    force: bool = typer.Option(
        False, "--force", help="Build despite spec validation or unresolved audit ERRORs."
    ),
    fresh: bool = typer.Option(
        False, "--fresh", help="Ask the model again: no cached response, no reused task."
    ),
    replan: bool = typer.Option(
        False, "--replan", help="Ask for a whole new plan instead of carrying the last one over."
    ),
    concurrency: int | None = typer.Option(
        None, "--concurrency", min=1, max=64, help="Tasks run in parallel (default [build])."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print a final summary as JSON."),
    remote: str | None = typer.Option(
        None, "--remote", metavar="URL", help="Build on a LangGraph Server (default [build])."
    ),
) -> None:
    """Build the spec at REV in .charter/builds/<id>/ (isolated: sees only that commit)."""
    from charter.agents import ModelError
    from charter.app.commands.build_remote import remote_of, run_remote
    from charter.graphs.build import (
        BuildBusyError,
        BuildInputError,
        BuildRequest,
        NothingToResume,
        RemoteError,
        policy_problem,
        run_build,
    )

    given = sum(x is not None and x is not False for x in (plan, replay, resume))
    if given > 1:
        raise fail("use only one of --plan, --replay and --resume", 2)
    if (replay or resume) and (plan_only or rev != "HEAD"):
        raise fail("--replay and --resume take no REV and no --plan-only", 2)
    ws = open_ws()
    settings = ws.config.build
    jail = settings.jail_policy()
    url = remote_of(ws.builds_dir, resume=resume, replay=replay, remote=remote, settings=settings)
    # A remote build's commands run in the server's jail, not in one made here.
    if not plan_only and not url and (problem := policy_problem(jail)) is not None:
        raise fail(problem, 2)
    if jail.sandbox == "none" and not plan_only and not url:
        typer.echo(f"charter: warning: no sandbox: {jail.describe()}", err=True)
    try:
        checkpointer = settings.checkpoint_store(os.environ)
    except ValueError as exc:
        raise fail(f"{ws.root / 'charter.toml'}: {exc}", 2) from None
    forced_audit: list[str] = []
    if not (replay or resume):
        _validation_gate(ws, rev, force=force)
        forced_audit = _audit_gate(ws, rev, force=force)
    request = BuildRequest(
        root=ws.root,
        spec_dir=ws.spec_dir,
        builds_dir=ws.builds_dir,
        cache_dir=ws.state_dir / "cache",
        model=ws.config.model,
        concurrency=concurrency or settings.concurrency,
        max_fix_attempts=settings.max_fix_attempts,
        verify_timeout=settings.verify_timeout,
        rev=rev,
        plan_file=Path(plan).resolve() if plan is not None else None,
        plan_only=plan_only,
        replay=replay,
        resume=resume,
        force=force,
        fresh=fresh,
        replan=replan,
        forced_audit=forced_audit,
        jail=jail,
        checkpointer=checkpointer,
    )
    progress = BuildProgress(quiet=as_json, silent=is_quiet())
    try:
        outcome = (
            run_remote(request, url, settings, progress) if url else run_build(request, progress)
        )
    except RemoteError as exc:
        raise fail(str(exc), 4) from None
    except NothingToResume as exc:
        raise fail(str(exc), 1) from None
    except BuildInputError as exc:
        raise fail(str(exc), 2) from None
    except BuildBusyError as exc:
        raise fail(str(exc), 3) from None
    except ModelError as exc:
        raise fail(exc.user_message, 4) from None
    finally:
        progress.stop()
    if as_json:
        dump(_summary(outcome))
    else:
        typer.echo(_closing(outcome))
    raise typer.Exit(outcome.exit_code)


def _validation_gate(ws: Workspace, rev: str, *, force: bool) -> None:
    """Refuse a revision whose spec has blocking validation ERRORs (the rule `charter validate`
    applies, quotes checked against the ledger) unless --force; the build never reads the ledger.
    """
    from charter.app.services.audit import spec_prefix, validation_errors
    from charter.specs import HistoryError, spec_files_at

    try:
        files = spec_files_at(ws.root, rev, ws.spec_dir)
    except HistoryError:
        return  # an unknown revision is reported by the build itself, with its own message
    errors = validation_errors(ws, files)
    if not errors:
        return
    prefix = spec_prefix(ws)
    for f in errors:
        typer.echo(
            f"{prefix}/{f.file}:{f.line}:{f.column}: {f.severity.value} {f.code}: {f.message}",
            err=force,
        )
    if force:
        typer.echo(f"--force: building despite {len(errors)} validation error(s)", err=True)
        return
    raise fail(
        f"{rev} has {len(errors)} validation error(s) (as `charter validate` reports them): "
        "fix them, or build anyway with --force",
        1,
    )


def _audit_gate(ws: Workspace, rev: str, *, force: bool) -> list[str]:
    """Refuse a revision whose last audit has unresolved ERRORs; with --force, return their IDs.

    Read here, in the app, because the builder itself never opens `state.db`.
    """
    from charter.graphs.audit import unresolved_errors
    from charter.specs import HistoryError, spec_files_at

    try:
        files = spec_files_at(ws.root, rev, ws.spec_dir)
    except HistoryError:
        return []  # an unknown revision is reported by the build itself, with its own message
    errors = unresolved_errors(ws.state_db, files)
    if not errors or force:
        return [f.id for f in errors]
    for finding in errors:
        typer.echo(finding.render(ws.spec_dir.relative_to(ws.root).as_posix()), err=True)
    raise fail(
        f"{rev} has {len(errors)} unresolved audit ERROR(s): fix them "
        "(charter audit fix FINDING-ID) or build anyway with --force",
        1,
    )


def _summary(outcome: BuildOutcome) -> dict[str, Any]:
    """The `--json` summary of a build."""
    record = outcome.record
    return {
        "build": outcome.build_id,
        "status": outcome.status.value,
        "exit_code": outcome.exit_code,
        "message": outcome.message,
        "path": str(outcome.path),
        "report": str(outcome.path / "report.md"),
        "plan": str(outcome.path / "plan.toml"),
        "rev": record.rev,
        "commit": record.commit,
        "duration_s": record.duration_s,
        "tokens": record.tokens.model_dump(),
        "calls": record.calls,
        "cached_calls": record.cached_calls,
        "replay_identical": record.replay_identical,
        "tasks": {
            t.id: {
                "state": t.state.value,
                "attempts": t.attempts,
                "files": t.files,
                "reused_from": t.reused_from,
                "question": t.question,
            }
            for t in record.tasks.values()
        },
        "plan_problems": record.plan_problems,
        "findings": record.findings,
        "examples": _examples_tally(outcome),
    }


def _examples_tally(outcome: BuildOutcome) -> dict[str, Any] | None:
    """How the spec's examples fared in this build (None when they did not run)."""
    from charter.graphs.build import read_examples

    run = read_examples(outcome.path)
    if run is None:
        return None
    first = run.first_failure()
    return {
        "passed": sum(e.passed for e in run.examples),
        "failed": sum(not e.passed for e in run.examples),
        "first_failure": first.name if first else None,
    }


def _closing(outcome: BuildOutcome) -> str:
    """The last lines a user reads after a build."""
    record = outcome.record
    status = outcome.status.value
    if status == "planned":
        return (
            f"plan written: {outcome.path / 'plan.toml'}\n"
            f"edit it, then: charter build --plan {outcome.path / 'plan.toml'}"
        )
    lines = []
    if status == "invalid":
        lines += [
            f"  {f['severity']} {f['file']}:{f['line']}:{f['column']} {f['message']}"
            for f in record.findings
            if f["severity"] == "ERROR"
        ]
    if status == "plan-errors":
        lines += [f"  {p}" for p in record.plan_problems]
        lines.append(f"  plan: {outcome.path / 'plan.toml'}")
        if record.carryover:
            lines.append(
                f"  the plan was carried over from {record.carryover['from']}: fix that plan, "
                "or run `charter build --replan` for a whole new one"
            )
        elif record.cached_calls and not record.options.replay_of:
            # The same spec asks the same question, so the cache returns the same bad plan.
            lines.append(
                "  the planner's answer came from the cache: run `charter build --fresh` to ask "
                "the model again, or fix plan.toml and run `charter build --plan FILE`"
            )
    counts = record.counts()
    tally = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "no tasks"
    head = (
        f"build {record.id} {status}: {tally}; {record.tokens.total} tokens, "
        f"{record.duration_s:.1f} s"
    )
    if outcome.message and status not in ("invalid", "plan-errors"):
        head += f"\n  {outcome.message}"
    if record.replay_identical is True:
        head += f"\n  replay: workspace identical to {record.options.replay_of}'s"
    elif record.replay_identical is False:
        head += f"\n  replay: workspace DIFFERS from {record.options.replay_of}'s"
    lines.insert(0, head)
    tally_examples = _examples_tally(outcome)
    if tally_examples is not None:
        lines.append(
            f"examples: {tally_examples['passed']} passed, {tally_examples['failed']} failed"
            + (
                f" (first: {tally_examples['first_failure']}, its diff heads report.md)"
                if tally_examples["first_failure"]
                else ""
            )
        )
    lines.append(f"report: {outcome.path / 'report.md'}")
    if any(t.question for t in record.tasks.values()):
        lines.append("open questions: charter questions")
    if status == "error":
        lines.append(f"resume with: charter build --resume {record.id}")
    return "\n".join(lines)


def _row(record: BuildRecord, status: str) -> dict[str, Any]:
    """One build as `charter builds` lists it, with the status to show."""
    counts = record.counts()
    return {
        "id": record.id,
        "rev": record.rev,
        "commit": record.commit,
        "status": status,
        "started": record.started,
        "duration_s": record.duration_s,
        "tokens": record.tokens.total,
        "tasks_done": counts.get("done", 0),
        "tasks": len(record.tasks),
    }


def builds_command(
    as_json: bool = typer.Option(False, "--json", help="Print the builds as JSON."),
) -> None:
    """List builds: id, revision, status, duration, tokens."""
    from charter.graphs.build import list_builds, shown_status

    ws = open_ws()
    rows = [_row(r, shown_status(ws.builds_dir, r).value) for r in list_builds(ws.builds_dir)]
    if as_json:
        dump(rows)
        return
    if not rows:
        note("no builds yet: charter build")
        return
    header = ("build", "commit", "status", "tasks", "time", "tokens")
    typer.echo("{:<26} {:<10} {:<12} {:>7} {:>8} {:>8}".format(*header))
    for row in rows:
        tasks = f"{row['tasks_done']}/{row['tasks']}"
        typer.echo(
            f"{row['id']:<26} {row['commit'][:10]:<10} {row['status']:<12} {tasks:>7} "
            f"{row['duration_s']:>7.1f}s {row['tokens']:>8}"
        )


def questions_command(
    as_json: bool = typer.Option(False, "--json", help="Print the questions as JSON."),
    show_all: bool = typer.Option(False, "--all", help="Include answered questions."),
) -> None:
    """List the builder's open questions (answer one with `charter answer QID TEXT`)."""
    from charter.graphs.build import list_questions
    from charter.transcripts import Ledger

    ws = open_ws()
    answered = Ledger(ws.transcripts_dir).answered_questions()
    questions: list[BuildQuestion] = [
        q for q in list_questions(ws.builds_dir) if show_all or q.id not in answered
    ]
    if as_json:
        dump([{**q.model_dump(mode="json"), "answered": q.id in answered} for q in questions])
        return
    if not questions:
        note("no open questions")
        return
    for q in questions:
        reqs = ", ".join(q.requirements) or "no requirement"
        mark = " (answered)" if q.id in answered else ""
        typer.echo(f"{q.id}{mark}  build {q.build}, task {q.task} ({reqs})")
        for line in q.text.splitlines():
            typer.echo(f"    {line}")
