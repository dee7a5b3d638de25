"""Starting, resuming and replaying builds: the builder's entry point (`run_build`).

A build reads its spec from one commit, creates `.charter/builds/<id>/`, holds that directory's
lock (not the workspace lock: a build reads only git objects and writes only inside its own
directory and the content-addressed cache, so it never races the scribe), and drives the graph
with a checkpointer: SQLite in the build directory, or a shared PostgreSQL (see `checkpoint`).
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from typing import Any

from charter.agents import BUILDER_ROLES, BuilderModels, ModelError, Plan
from charter.graphs.build.cache import CacheMode, ResponseCache
from charter.graphs.build.carryover import BASE_FILE, choose_base, load_base, save_base
from charter.graphs.build.checkpoint import (
    CheckpointerError,
    check_available,
    open_checkpointer,
)
from charter.graphs.build.context import BuildContext, ReplayMiss
from charter.graphs.build.graph import RECURSION_LIMIT, build_graph
from charter.graphs.build.journal import EventSink, Journal
from charter.graphs.build.plan import PlanLoadError
from charter.graphs.build.records import (
    FINAL_TASK_STATES,
    FINISHED_STATUSES,
    BuildDir,
    BuildOptions,
    BuildRecord,
    BuildStatus,
    TaskState,
    is_running,
    new_build_id,
    now_iso,
    read_record,
)
from charter.graphs.build.report import write_reports
from charter.graphs.build.request import (
    EXIT_BY_STATUS,
    BuildBusyError,
    BuildInputError,
    BuildOutcome,
    BuildRequest,
    NothingToResume,
)
from charter.graphs.build.source import SourceError, read_spec
from charter.graphs.build.specview import SpecView
from charter.graphs.build.workrepo import WorkRepo, same_tree


def run_build(request: BuildRequest, on_event: EventSink | None = None) -> BuildOutcome:
    """Run a new build, a replay (`request.replay`) or a resumed one (`request.resume`)."""
    try:
        check_available(request.checkpointer)
    except CheckpointerError as exc:
        raise BuildInputError(str(exc)) from None
    if request.resume:
        return _resume(request, on_event)
    return _start(request, on_event)


def _read_source(request: BuildRequest, rev: str) -> tuple[str, dict[str, bytes]]:
    """The commit and spec blobs of `rev`, or BuildInputError."""
    if request.snapshot is not None:
        if rev not in (request.rev, request.snapshot[0]):
            raise BuildInputError(f"the spec of {rev} was not sent with this remote build")
        return request.snapshot
    try:
        source = read_spec(request.root, request.spec_dir, rev)
    except SourceError as exc:
        raise BuildInputError(str(exc)) from exc
    return source.commit, source.files


def _start(request: BuildRequest, on_event: EventSink | None) -> BuildOutcome:
    """Create a build directory and run the graph from the start."""
    rev, plan_file, replay_of = request.rev, request.plan_file, None
    models: BuilderModels | None = None
    if request.replay:
        original = read_record(request.builds_dir / request.replay)
        if original is None:
            raise BuildInputError(f"unknown build {request.replay} (see `charter builds`)")
        plan_file = request.builds_dir / request.replay / "plan.toml"
        if not plan_file.is_file() or not original.models:
            raise BuildInputError(f"build {request.replay} never got past planning: no replay")
        rev, replay_of, identities = original.commit, original.id, dict(original.models)
    if plan_file is not None and not plan_file.is_file():
        raise BuildInputError(f"plan file {plan_file} does not exist")
    commit, files = _read_source(request, rev)
    if not replay_of:
        models = BuilderModels(request.model, request.env)
        identities = {role: models.identity(role) for role in BUILDER_ROLES}
    view = SpecView.load(files)
    bdir = BuildDir(request.builds_dir / (request.build_id or new_build_id()))
    bdir.create()
    _snapshot(bdir, files)
    base = None
    if not replay_of and not request.replan:
        base = choose_base(request.builds_dir, request.root, plan_file, commit)
    unusable = save_base(bdir.root / BASE_FILE, base[0], base[1]) if base else None
    if unusable is not None:
        base = None  # an unreadable plan is not carried over: the planner makes a new one
    options = BuildOptions(
        plan_file=str(plan_file) if plan_file and not replay_of and base is None else None,
        plan_base=base[2] if base is not None else None,
        replan=request.replan,
        plan_only=request.plan_only,
        replay_of=replay_of,
        force=request.force,
        fresh=request.fresh,
        forced_audit=list(request.forced_audit),
    )
    record = BuildRecord(
        id=bdir.id,
        rev=request.rev if not replay_of else f"replay of {replay_of}",
        commit=commit,
        model=identities["coder"]["name"] if models is not None else None,
        models=identities,
        concurrency=request.concurrency,
        max_fix_attempts=request.max_fix_attempts,
        options=options,
        pid=os.getpid(),
    )
    journal = Journal(bdir, record, on_event)
    journal.save()
    if unusable is not None:
        journal.build(f"the previous plan is not carried over: {unusable}")
    ctx = _context(
        request,
        bdir,
        journal,
        view,
        models,
        identities,
        replay=bool(replay_of),
        fresh=request.fresh,
        max_fix_attempts=request.max_fix_attempts,
    )
    return _drive(ctx, request, files, plan_file, {"stage": "start"})


def _context(
    request: BuildRequest,
    bdir: BuildDir,
    journal: Journal,
    view: SpecView,
    models: BuilderModels | None,
    identities: dict[str, Any],
    *,
    replay: bool,
    fresh: bool,
    max_fix_attempts: int,
) -> BuildContext:
    """The run context of a new or resumed build: a replay answers only from the cache, a fresh
    build never reads it, and either way no earlier task is reused."""
    mode = CacheMode.REPLAY if replay else CacheMode.REFRESH if fresh else CacheMode.USE
    try:
        base = load_base(bdir.root / BASE_FILE, lambda commit: _read_source(request, commit)[1])
    except PlanLoadError as exc:
        raise BuildInputError(str(exc)) from exc
    return BuildContext(
        bdir=bdir,
        journal=journal,
        view=view,
        cache=ResponseCache(request.cache_dir, mode),
        workrepo=WorkRepo(bdir.workspace),
        identities=identities,
        builds_dir=request.builds_dir,
        max_fix_attempts=max_fix_attempts,
        verify_timeout=request.verify_timeout,
        reuse=not (replay or fresh),
        models=models,
        secrets=models.secrets() if models is not None else (),
        concurrency=request.concurrency,
        base=base,
        jail=request.jail,
    )


def _resume(request: BuildRequest, on_event: EventSink | None) -> BuildOutcome:
    """Continue a stopped build from its last checkpoint, without redoing finished tasks."""
    assert request.resume is not None
    bdir = BuildDir(request.builds_dir / request.resume)
    record = read_record(bdir.root)
    if record is None:
        raise BuildInputError(f"unknown build {request.resume} (see `charter builds`)")
    if is_running(bdir):
        raise BuildBusyError(f"build {record.id} is running in another process")
    if record.status in FINISHED_STATUSES and record.status is not BuildStatus.ERROR:
        raise NothingToResume(
            f"build {record.id} already finished ({record.status.value}); nothing to resume"
        )
    options = record.options
    replay_of = options.replay_of
    request.concurrency = record.concurrency
    models: BuilderModels | None = None
    if not replay_of:
        models = BuilderModels(request.model, request.env)
        live = {role: models.identity(role) for role in BUILDER_ROLES}
        if record.models and live != record.models:
            raise BuildInputError(
                f"the model settings changed since build {record.id} started "
                f"({record.model} then); start a new build instead"
            )
    _, files = _read_source(request, record.commit)
    view = SpecView.load(files)
    options.resumed += 1
    record.pid = os.getpid()
    record.message = None
    record.finished = None
    for task in record.tasks.values():
        if task.state not in FINAL_TASK_STATES:
            task.state = TaskState.PENDING
    journal = Journal(bdir, record, on_event)
    journal.build(f"resuming build {record.id}")
    ctx = _context(
        request,
        bdir,
        journal,
        view,
        models,
        dict(record.models),
        replay=bool(replay_of),
        fresh=options.fresh,
        max_fix_attempts=record.max_fix_attempts,
    )
    plan_file = (
        (request.builds_dir / replay_of / "plan.toml")
        if replay_of
        else (Path(options.plan_file) if options.plan_file else None)
    )
    return _drive(ctx, request, files, plan_file, None)


def _snapshot(bdir: BuildDir, files: dict[str, bytes]) -> None:
    """Write the spec snapshot and make its files read-only."""
    for rel, data in files.items():
        target = bdir.spec / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        target.chmod(0o444)


def _drive(
    ctx: BuildContext,
    request: BuildRequest,
    files: dict[str, bytes],
    plan_file: Path | None,
    first: dict[str, Any] | None,
) -> BuildOutcome:
    """Hold the build's lock and run (or continue) its graph; record how it ended."""
    journal = ctx.journal
    options = journal.record.options
    lock_fd = os.open(ctx.bdir.lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(lock_fd)
        raise BuildBusyError(f"build {ctx.bdir.id} is running in another process") from exc
    exit_code: int | None = None
    t0 = time.monotonic()
    try:
        ctx.workrepo.init()
        ctx.committed = ctx.workrepo.task_commits()
        with open_checkpointer(request.checkpointer, ctx.bdir, new=first is not None) as (
            saver,
            thread_id,
        ):
            exit_code = _invoke(ctx, request, files, plan_file, first, saver, thread_id)
    except CheckpointerError as exc:  # resumable once the database is back
        journal.build(str(exc), status=BuildStatus.ERROR, message=str(exc))
        exit_code = 4
    finally:
        ctx.shutdown()
        ctx.workrepo.close()
        record = journal.record
        if options.replay_of and record.status is BuildStatus.DONE:
            record.replay_identical = same_tree(
                ctx.bdir.root.parent / options.replay_of, ctx.bdir.root
            )
        record.duration_s = round(record.duration_s + time.monotonic() - t0, 3)
        record.finished = now_iso()
        journal.close()
        write_reports(ctx)
        fcntl.flock(lock_fd, fcntl.LOCK_UN)
        os.close(lock_fd)
    record = journal.record
    if exit_code is None:
        exit_code = EXIT_BY_STATUS.get(record.status, 1)
    return BuildOutcome(
        record.id,
        ctx.bdir.root,
        record.status,
        exit_code,
        record.message,
        record.model_copy(deep=True),
    )


def _invoke(
    ctx: BuildContext,
    request: BuildRequest,
    files: dict[str, bytes],
    plan_file: Path | None,
    first: dict[str, Any] | None,
    saver: Any,
    thread_id: str,
) -> int | None:
    """Run (or continue) the graph on `saver`'s thread; an exit code when it stopped on an error."""
    journal = ctx.journal
    options = journal.record.options
    graph = build_graph(
        ctx,
        plan_file=plan_file,
        plan_only=options.plan_only,
        force=options.force,
        spec_files=files,
        checkpointer=saver,
    )
    config: dict[str, Any] = {
        "configurable": {"thread_id": thread_id},
        "max_concurrency": request.concurrency,
        "recursion_limit": RECURSION_LIMIT,
    }
    if first is None:
        values = graph.get_state(config).values
        if values.get("plan"):
            ctx.plan = Plan.model_validate(values["plan"])
        if not values:
            first = {"stage": "start"}
    try:
        graph.invoke(first, config)
    except ModelError as exc:
        journal.build(exc.user_message, status=BuildStatus.ERROR, message=exc.user_message)
        return 4
    except ReplayMiss as exc:
        journal.build(str(exc), status=BuildStatus.ERROR, message=str(exc))
        return 1
    except BaseException as exc:  # a bug or Ctrl-C: leave a resumable, honest record
        journal.build(None, status=BuildStatus.ERROR, message=f"{type(exc).__name__}: {exc}")
        raise
    return None
