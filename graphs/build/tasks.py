"""One task of a build: generate → write → verify → (fixer → write → verify)* → commit.

A task whose input hash (prompt versions, the task, its requirements' text, the LOCKED items, the
conventions, its upstream files, its dependencies' input hashes, the models and the fixer bound)
matches a finished task of an
earlier build is reused: its files are copied from that build's workspace commit, with no model
call. A task already committed in this build's workspace (a build killed after the commit) is
not redone. The fixer gets fresh context each time and at most `max_fix_attempts` tries.
"""

from __future__ import annotations

import time
from pathlib import Path

from charter.agents import (
    PlannedTask,
    TaskResult,
    coder_messages,
    fixer_messages,
    prompt_versions,
)
from charter.graphs.build.cache import content_hash
from charter.graphs.build.context import BuildContext
from charter.graphs.build.paths import PathRefused, check_path, write_files
from charter.graphs.build.records import RefusedWrite, TaskState, VerifyRun, now_iso
from charter.graphs.build.sandbox import Outcome, SandboxUnavailable, run_jailed

Files = list[tuple[str, str | None]]


def read_files(workspace: Path, paths: list[str]) -> Files:
    """Current contents of `paths` in the workspace (None for missing or unsafe paths)."""
    out: Files = []
    for rel in dict.fromkeys(paths):
        try:
            target = check_path(workspace, rel)
            out.append((rel, target.read_text(encoding="utf-8", errors="replace")))
        except (PathRefused, OSError):
            out.append((rel, None))
    return out


def upstream_files(ctx: BuildContext, task: PlannedTask) -> Files:
    """The declared outputs of the tasks `task` depends on, as they are in the workspace."""
    assert ctx.plan is not None
    paths: list[str] = []
    for dep in task.depends_on:
        upstream = ctx.plan.task(dep)
        if upstream is not None:
            paths.extend(upstream.outputs)
    return read_files(ctx.bdir.workspace, paths)


def input_hash(ctx: BuildContext, task: PlannedTask, messages: list[dict[str, str]]) -> str:
    """The task's input hash: everything that decides what the task produces."""
    return content_hash(
        {
            "prompts": prompt_versions(),
            "task": task.model_dump(),
            "coder_messages": messages,
            # Dependencies' input hashes chain the hash down the graph: a change anywhere
            # upstream reruns every dependent, even where the direct upstream files are equal
            # (its verify may still read the changed files).
            "upstream_inputs": {
                dep: ctx.journal.record.tasks[dep].input_hash
                for dep in task.depends_on
                if dep in ctx.journal.record.tasks
            },
            "models": {r: ctx.identities[r] for r in ("coder", "fixer")},
            "max_fix_attempts": ctx.max_fix_attempts,
        }
    )


def sanitize(ctx: BuildContext, text: str) -> str:
    """Verify output with the build's absolute paths replaced, so requests stay reproducible."""
    for path, name in ((ctx.bdir.workspace, "."), (ctx.bdir.root, "<build>")):
        for variant in {str(path.resolve()), str(path)}:
            text = text.replace(variant + "/", name + "/").replace(variant, name)
    return text


def run_task(ctx: BuildContext, task_id: str) -> str:
    """Run one task to a final state (done, failed or question) and return that state."""
    assert ctx.plan is not None
    task = ctx.plan.task(task_id)
    assert task is not None, task_id
    journal = ctx.journal
    t0 = time.perf_counter()
    upstream = upstream_files(ctx, task)
    brief = ctx.view.brief(task, upstream)
    messages = coder_messages(brief)
    ihash = input_hash(ctx, task, messages)
    journal.task(
        task_id,
        f"{task_id} running: {task.title}",
        state=TaskState.RUNNING,
        started=now_iso(),
        finished=None,
        input_hash=ihash,
        attempts=0,
        files=[],
        refused=[],
        verify=[],
        assumptions=[],
        deviations=[],
        violations=[],
        question=None,
        error=None,
        reused_from=None,
        commit=None,
        verify_s=0.0,
    )
    prior = ctx.committed.get(task_id)
    if prior is not None and prior.input_hash == ihash:
        return _finish(
            ctx,
            task,
            t0,
            TaskState.DONE,
            f"{task_id} done (already committed)",
            files=list(prior.files),
            commit=prior.sha,
        )
    if ctx.reuse and (reused := _reuse(ctx, task, ihash, t0)) is not None:
        return reused
    result = ctx.ask(
        "coder", TaskResult, messages, task=task_id, attempt=0, label=f"{task_id}-coder"
    )
    files: list[str] = []
    if (state := _absorb(ctx, task, result, files)) is not None:
        return _finish(ctx, task, t0, state, None)
    verify = _verify(ctx, task, 0)
    attempt = 0
    while not verify.ok and attempt < ctx.max_fix_attempts:
        attempt += 1
        journal.task(
            task_id,
            f"{task_id} verify failed (attempt {attempt}/{ctx.max_fix_attempts})",
            state=TaskState.FIXING,
            attempts=attempt,
        )
        current = read_files(ctx.bdir.workspace, [*task.outputs, *files])
        failure = _failure_text(task, verify)
        fix = ctx.ask(
            "fixer",
            TaskResult,
            fixer_messages(brief, current, sanitize(ctx, failure)),
            task=task_id,
            attempt=attempt,
            label=f"{task_id}-fixer-{attempt}",
        )
        if (state := _absorb(ctx, task, fix, files)) is not None:
            return _finish(ctx, task, t0, state, None)
        verify = _verify(ctx, task, attempt)
    record = journal.record.tasks[task_id]
    if not verify.ok:
        how = _how(verify)
        tries = f"after {attempt} fixer attempt{'s' if attempt != 1 else ''}"
        return _finish(
            ctx,
            task,
            t0,
            TaskState.FAILED,
            f"{task_id} failed: verify {how} {tries}",
            error=f"verify failed ({how}) {tries}",
        )
    if record.violations:
        return _finish(
            ctx,
            task,
            t0,
            TaskState.FAILED,
            f"{task_id} failed: reported a departure from a MUST or LOCKED requirement",
            error="departs from " + ", ".join(record.violations),
        )
    sha = _commit(ctx, task, files, ihash)
    return _finish(
        ctx,
        task,
        t0,
        TaskState.DONE,
        f"{task_id} done ({len(files)} file{'s' if len(files) != 1 else ''}, "
        f"{attempt} fixer attempt{'s' if attempt != 1 else ''})",
        commit=sha,
    )


def _how(verify: Outcome) -> str:
    """How a failed verify ended: `exit 1`, `timed out`, `output limit`, ..."""
    if verify.limit is None:
        return f"exit {verify.code}"
    return "timed out" if verify.timed_out else f"{verify.limit} limit"


def _failure_text(task: PlannedTask, verify: Outcome) -> str:
    """What the fixer reads about a failed verify: the command, its exit code, its output."""
    how = f"exited with code {verify.code}" if verify.limit is None else "was stopped"
    return f"$ {task.verify}\n[the command {how}]\n{verify.output}"


def _absorb(
    ctx: BuildContext, task: PlannedTask, result: TaskResult, files: list[str]
) -> TaskState | None:
    """Log a coder/fixer result and write its files; QUESTION when it asks instead."""
    journal = ctx.journal
    record = journal.record.tasks[task.id]
    assumptions = [*record.assumptions, *(a for a in result.assumptions if a.strip())]
    deviations = [*record.deviations, *(d.model_dump() for d in result.deviations)]
    violations = list(record.violations)
    for dev in result.deviations:
        if ctx.view.is_binding(dev.requirement) and dev.requirement not in violations:
            violations.append(dev.requirement)
    journal.task(
        task.id,
        None,
        assumptions=assumptions,
        deviations=deviations,
        violations=violations,
        notes=result.notes,
    )
    if result.question and result.question.strip():
        question = journal.add_question(task.id, list(task.requirements), result.question.strip())
        journal.task(task.id, None, question=question.id)
        return TaskState.QUESTION
    written, refused = write_files(ctx.bdir.workspace, [(f.path, f.content) for f in result.files])
    for rel in written:
        if rel not in files:
            files.append(rel)
    refusals = [*record.refused, *(RefusedWrite(path=r.path, reason=r.reason) for r in refused)]
    journal.task(task.id, None, files=list(files), refused=refusals)
    for r in refused:
        journal.task(task.id, f"{task.id} refused to write `{r.path}`: {r.reason}")
    return None


def _verify(ctx: BuildContext, task: PlannedTask, attempt: int) -> Outcome:
    """Run the task's verify command and record the run."""
    journal = ctx.journal
    journal.task(
        task.id,
        f"{task.id} verifying" + (f" (after fix {attempt})" if attempt else ""),
        state=TaskState.VERIFYING,
    )
    log = ctx.bdir.logs / f"{task.id}-verify-{attempt}.log"
    result = run_command(ctx, task.verify, log)
    if journal.record.sandbox != result.sandbox:
        journal.build(None, sandbox=result.sandbox)
    record = journal.record.tasks[task.id]
    runs = [
        *record.verify,
        VerifyRun(
            attempt=attempt,
            code=result.code,
            timed_out=result.timed_out,
            limit=result.limit,
            duration_s=round(result.duration, 3),
            log=log.relative_to(ctx.bdir.root).as_posix(),
        ),
    ]
    journal.task(task.id, None, verify=runs, verify_s=record.verify_s + result.duration)
    return result


def run_command(ctx: BuildContext, command: str, log: Path) -> Outcome:
    """Run one command of the build in its jail; a jail that cannot be made fails the run."""
    try:
        if ctx.jail is None:
            raise SandboxUnavailable("no sandbox policy was given: the build runs no command")
        return run_jailed(
            command,
            ctx.bdir.workspace,
            ctx.jail,
            home=ctx.bdir.home,
            tmpdir=ctx.bdir.tmp,
            log_path=log,
        )
    except SandboxUnavailable as exc:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(f"[charter: not run: {exc}]\n", encoding="utf-8")
        return Outcome(126, "sandbox", str(exc), 0.0, str(log), "unavailable")


def _commit(ctx: BuildContext, task: PlannedTask, files: list[str], ihash: str) -> str:
    """Commit the task's files in the workspace repository."""
    body = "Requirements: " + (", ".join(task.requirements) or "none")
    trailers = {
        "Charter-Build": ctx.bdir.id,
        "Charter-Task": task.id,
        "Charter-Input": ihash,
        "Charter-Spec-Commit": ctx.journal.record.commit,
    }
    return ctx.workrepo.commit_task(task.id, f"{task.id}: {task.title}", body, files, trailers)


def _reuse(ctx: BuildContext, task: PlannedTask, ihash: str, t0: float) -> str | None:
    """Copy a finished task with the same input hash from an earlier build, if there is one."""
    from charter.graphs.build.workrepo import read_blobs

    for path, record in ctx.previous_builds():
        old = record.tasks.get(task.id)
        if old is None or old.state != TaskState.DONE or old.input_hash != ihash or not old.commit:
            continue
        blobs = read_blobs(path / "workspace", old.commit, old.files)
        if blobs is None:
            continue
        written, refused = write_files(
            ctx.bdir.workspace,
            list(blobs.items()),
        )
        if refused:
            continue
        ctx.journal.task(
            task.id,
            None,
            files=written,
            assumptions=list(old.assumptions),
            deviations=list(old.deviations),
            reused_from=record.id,
        )
        sha = _commit(ctx, task, written, ihash)
        return _finish(
            ctx,
            task,
            t0,
            TaskState.DONE,
            f"{task.id} done (reused from {record.id}, no model call)",
            commit=sha,
        )
    return None


def _finish(
    ctx: BuildContext,
    task: PlannedTask,
    t0: float,
    state: TaskState,
    message: str | None,
    **changes: object,
) -> str:
    """Record a task's final state and duration; report the line."""
    record = ctx.journal.record.tasks[task.id]
    if message is None and state is TaskState.QUESTION:
        message = f"{task.id} question {record.question}"
    ctx.journal.task(
        task.id,
        message,
        state=state,
        finished=now_iso(),
        duration_s=round(time.perf_counter() - t0, 3),
        **changes,
    )
    return state.value
