"""The build's human-readable records: report.md, assumptions.md, deviations.md, questions.md.

Written from build.json's record when the build stops (done, failed, invalid, plan errors or
plan-only) and again after a resume, so they always describe the whole build. When the spec's
examples ran (`examples.json`), report.md starts with the first failing example and its diff
(the one blocker to fix first), then a table of every requirement's verdict.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from charter.agents import fence
from charter.graphs.build.cache import atomic_write
from charter.graphs.build.examples import ExamplesRun, read_examples
from charter.graphs.build.questions import render_questions
from charter.graphs.build.records import BuildRecord, TaskRecord

if TYPE_CHECKING:
    from charter.graphs.build.context import BuildContext


def _duration(seconds: float) -> str:
    """`1.2 s` or `3 min 4 s`."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest} s"


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def render_report(
    record: BuildRecord,
    questions: list[tuple[str, str, str]],
    examples: ExamplesRun | None = None,
) -> str:
    """report.md: first failing example, requirements, summary, tasks, not built, questions."""
    lines = [*_examples_head(examples), f"# Build {record.id}", ""]
    lines += [
        f"- Status: **{record.status.value}**" + (f" ({record.message})" if record.message else ""),
        f"- Spec: `{record.rev}` = commit `{record.commit}`",
        f"- Model: {record.model or 'none (replay or cache only)'}",
        f"- Started {record.started}, finished {record.finished or '-'}, "
        f"took {_duration(record.duration_s)}",
        f"- Tokens: {record.tokens.total} ({record.tokens.prompt} prompt, "
        f"{record.tokens.completion} completion) in {record.calls} model calls; "
        f"{record.cached_calls} answered from the cache",
        f"- Concurrency {record.concurrency}, at most {record.max_fix_attempts} fixer attempts "
        "per task",
        f"- Conventions: {record.conventions or '-'}",
    ]
    if record.sandbox.startswith("none"):
        lines.append(
            f"- **Warning: no sandbox.** Verify commands ran unconfined ({record.sandbox}); "
            'they could read and change anything you can. Set `[build] sandbox = "bwrap"`.'
        )
    elif record.sandbox:
        lines.append(f"- Sandbox: {record.sandbox}")
    opts = record.options
    if opts.plan_file:
        lines.append(f"- Plan: the edited plan `{opts.plan_file}` (no planner call)")
    if record.carryover:
        carry = record.carryover
        lines.append(
            f"- Plan: carried over from {carry['from']}: {len(carry['kept'])} task(s) kept, "
            f"planner asked about {', '.join(carry['planner_asked']) or 'nothing'}"
        )
    if opts.replay_of:
        lines.append(f"- Replay of build {opts.replay_of}, from cached responses only")
    if opts.fresh:
        lines.append("- Fresh: no cached response and no earlier task was reused")
    if opts.resumed:
        lines.append(f"- Resumed {opts.resumed} time(s)")
    if opts.force:
        errors = [f for f in record.findings if f.get("severity") == "ERROR"]
        lines.append(f"- **Forced** (`--force`): built despite {len(errors)} validation error(s)")
    if opts.forced_audit:
        lines.append(
            f"- **Forced** (`--force`): built despite unresolved audit ERROR(s) "
            f"{', '.join(opts.forced_audit)}"
        )
    lines.append("")
    if record.findings:
        lines += ["## Validation findings", ""]
        for f in record.findings:
            lines.append(
                f"- {f['severity']} {f['file']}:{f['line']}:{f['column']} "
                f"{f['code']}: {f['message']}"
            )
        lines.append("")
    if record.plan_problems:
        lines += ["## Plan problems", ""]
        lines += [f"- {p}" for p in record.plan_problems]
        lines.append("")
    if record.tasks:
        lines += _tasks_section(record)
    lines += ["## Not built", ""]
    if record.not_built:
        lines += [f"- {n['requirement']}: {n['reason']}" for n in record.not_built]
    elif record.plan_problems:
        lines.append("The plan was refused (see Plan problems); nothing was built.")
    else:
        lines.append("Every requirement is covered by a task.")
    lines.append("")
    lines += ["## Questions", ""]
    if questions:
        lines += [f"- {qid} (task {task}): {text}" for qid, task, text in questions]
    else:
        lines.append("None.")
    lines.append("")
    return "\n".join(lines)


def _examples_head(run: ExamplesRun | None) -> list[str]:
    """The first failing example with its diff, then the per-requirement verdict table."""
    if run is None:
        return []
    lines: list[str] = []
    first = run.first_failure()
    if first is not None:
        lines += [f"# Failing example: {first.name} ({first.file}:{first.line})", ""]
        if first.error:
            lines += [f"- {first.error}", ""]
        lines += [fence(first.diff or first.actual, "diff"), ""]
    lines += [
        "## Requirements",
        "",
        "| requirement | verdict | built by | examples passed | examples failed "
        "| tests naming it | assumptions | deviations |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in run.requirements:
        cells = [
            r.id,
            r.verdict.value,
            ", ".join(r.built_by) or "-",
            str(r.examples_passed),
            str(r.examples_failed),
            ", ".join(f"`{t}`" for t in r.tests) or "-",
            "; ".join(r.assumptions) or "-",
            "; ".join(r.deviations) or "-",
        ]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    lines.append("")
    failing = [e for e in run.examples if not e.passed]
    if len(failing) > 1:
        lines += ["Other failing examples (see examples.json for their diffs): "]
        lines[-1] += ", ".join(e.name for e in failing[1:])
        lines.append("")
    return lines


def _tasks_section(record: BuildRecord) -> list[str]:
    """The task table and one paragraph per task."""
    lines = [
        "## Tasks",
        "",
        "| task | title | state | fixer attempts | files | tokens | duration |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for t in record.tasks.values():
        lines.append(
            f"| {t.id} | {_cell(t.title)} | {t.state.value} | {t.attempts} | {len(t.files)} | "
            f"{t.tokens.total} | {_duration(t.duration_s)} |"
        )
    lines.append("")
    for t in record.tasks.values():
        lines += _task_details(t)
    return lines


def _task_details(t: TaskRecord) -> list[str]:
    """One task's details: requirements, files, refusals, verify runs, outcome."""
    lines = [f"### {t.id}: {t.title}", ""]
    lines.append(f"- State: {t.state.value}" + (f" ({t.error})" if t.error else ""))
    lines.append(f"- Requirements: {', '.join(t.requirements) or 'none'}")
    if t.depends_on:
        lines.append(f"- Depends on: {', '.join(t.depends_on)}")
    lines.append(f"- Files: {', '.join(f'`{f}`' for f in t.files) or 'none'}")
    for r in t.refused:
        lines.append(f"- **Refused write** `{r.path}`: {r.reason}")
    for v in t.verify:
        outcome = "timed out" if v.timed_out else f"exit {v.code}"
        if v.limit == "sandbox":
            outcome = "not run: the sandbox is unavailable"
        elif v.limit and not v.timed_out:
            outcome += f", stopped by the {v.limit} limit"
        lines.append(f"- Verify run {v.attempt}: {outcome} in {v.duration_s:.2f} s (`{v.log}`)")
    if t.reused_from:
        lines.append(f"- Reused from build {t.reused_from} (same input hash, no model call)")
    if t.commit:
        lines.append(f"- Commit: `{t.commit[:12]}`")
    if t.question:
        lines.append(f"- Question: {t.question}")
    lines.append(
        f"- Tokens: {t.tokens.total} in {t.calls} calls ({t.cached_calls} cached); "
        f"model {t.model_s:.2f} s, verify {t.verify_s:.2f} s"
    )
    if t.assumptions:
        lines.append(f"- Assumptions: {len(t.assumptions)} (see assumptions.md)")
    if t.deviations:
        lines.append(f"- Deviations: {len(t.deviations)} (see deviations.md)")
    lines.append("")
    return lines


def _per_task(
    record: BuildRecord, title: str, items: Callable[[TaskRecord], list[str]], empty: str
) -> str:
    """A Markdown file with one section of bullets per task that has `items`, or `empty`."""
    lines = [f"# {title}", ""]
    for t in record.tasks.values():
        if bullets := items(t):
            lines += [f"## {t.id}: {t.title}", ""]
            lines += [f"- {b}" for b in bullets]
            lines.append("")
    if len(lines) == 2:
        lines += [empty, ""]
    return "\n".join(lines)


def render_assumptions(record: BuildRecord) -> str:
    """assumptions.md: what each task assumed that the spec does not state."""
    return _per_task(
        record, "Assumptions", lambda t: t.assumptions, "No task reported an assumption."
    )


def _deviation_lines(t: TaskRecord) -> list[str]:
    """A task's deviations, each flagged when its requirement is MUST or LOCKED."""
    lines = []
    for d in t.deviations:
        flag = " **(not allowed: MUST or LOCKED)**" if d["requirement"] in t.violations else ""
        lines.append(f"{d['requirement']}{flag}: {d['departure']} (why: {d['why']})")
    return lines


def render_deviations(record: BuildRecord) -> str:
    """deviations.md: departures from SHOULD/MAY items; MUST or LOCKED ones are flagged."""
    return _per_task(record, "Deviations", _deviation_lines, "No task reported a deviation.")


def write_reports(ctx: BuildContext) -> None:
    """Write report.md, assumptions.md, deviations.md and questions.md from the journal."""
    journal = ctx.journal
    record = journal.snapshot()
    questions = journal.questions()
    bdir = ctx.bdir
    atomic_write(
        bdir.report,
        render_report(
            record, [(q.id, q.task, q.text) for q in questions], read_examples(bdir.root)
        ).encode("utf-8"),
    )
    atomic_write(bdir.assumptions, render_assumptions(record).encode("utf-8"))
    atomic_write(bdir.deviations, render_deviations(record).encode("utf-8"))
    atomic_write(bdir.questions_md, render_questions(questions).encode("utf-8"))
