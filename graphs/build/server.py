"""Charter's build graph served by LangGraph Server (`langgraph.json` names `graph`).

The server's graph is one node around the builder's own entry point (`run_build`). Its input is
a `RemoteInput` (the committed spec snapshot, the plan, the settings) and it is checkpointed by
the server, so every run and every resume of a thread rebuilds the build's whole context from
what the thread holds: its input and a server-side directory keyed by the thread ID
(`$CHARTER_SERVER_DIR/<thread>/builds/<build-id>/`, with the build's own checkpoints, so a
resumed build keeps its finished tasks). No in-process globals: any server process can run
any thread's next step. The model endpoint and key come only from the server's environment
(`OPENAI_BASE_URL`, `OPENAI_API_KEY`, `CHARTER_MODEL`); verify commands run in the same
bubblewrap jail as local builds. Progress goes out as custom stream events (`BuildEvent`).

Why not the inner graph as a subgraph: the build's steps must be checkpointed in its own
directory next to its workspace repository (they are resumed together), and `run_build` is the
one place that records a crashed or interrupted build honestly (never left "running").
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import os
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypedDict

from langchain_core.runnables import RunnableConfig
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph

from charter.agents import ModelSettings
from charter.graphs.build.jail import JailPolicy, Limits, policy_problem
from charter.graphs.build.journal import BuildEvent, EventSink
from charter.graphs.build.records import FINISHED_STATUSES, BuildStatus, read_record
from charter.graphs.build.remote_wire import SERVER_DIR_ENV, RemoteInput
from charter.graphs.build.run import BuildOutcome, BuildRequest, run_build

SANDBOX_ENV = "CHARTER_SERVER_SANDBOX"  # "none" runs verify unconfined: the server's opt-out
NETWORK_ENV = "CHARTER_SERVER_NETWORK"  # "1" lets a build that asks for network have it
# Builds one server process runs at once (LangGraph's `--n-jobs-per-worker` bounds runs too).
MAX_BUILDS = 64


class ServerState(TypedDict, total=False):
    """The server thread's state: the request as sent and, once it ended, the outcome."""

    request: dict[str, Any]
    outcome: dict[str, Any]


def server_root() -> Path:
    """Where the server keeps its threads' directories."""
    configured = os.environ.get(SERVER_DIR_ENV)
    return Path(configured) if configured else Path.home() / ".charter-server"


def thread_dir(thread_id: str) -> Path:
    """The directory of one thread (its ID must be a UUID: it names a directory)."""
    return server_root() / str(uuid.UUID(thread_id))


def thread_build(thread_id: str) -> Path | None:
    """The build directory of a thread, or None before its build started."""
    builds = thread_dir(thread_id) / "builds"
    found = sorted(builds.iterdir()) if builds.is_dir() else []
    return found[-1] if found else None


def server_jail(spec: RemoteInput) -> JailPolicy:
    """The jail of the server's verify commands: the client's limits, the server's sandbox."""
    s = spec.settings
    return JailPolicy(
        sandbox="none" if os.environ.get(SANDBOX_ENV) == "none" else "bwrap",
        limits=Limits(
            wall_time=s.verify_timeout,
            output_bytes=s.output_bytes,
            file_bytes=s.file_bytes,
            processes=s.processes,
        ),
        network=s.network and os.environ.get(NETWORK_ENV) == "1",
        bwrap=shutil.which("bwrap") or "bwrap",
    )


def build_request(spec: RemoteInput, thread_id: str) -> BuildRequest:
    """The `run_build` request of a thread: a new build, or the resume of the one it started."""
    tdir = thread_dir(thread_id)
    builds_dir = tdir / "builds"
    bdir = builds_dir / spec.build_id
    files = spec.files()
    plan_file = None
    if (plan := spec.plan_bytes()) is not None:
        plan_file = tdir / "plan.toml"
        plan_file.parent.mkdir(parents=True, exist_ok=True)
        plan_file.write_bytes(plan)
    started = read_record(bdir) is not None
    if bdir.exists() and not started:
        shutil.rmtree(bdir)  # a start that died before its first record: start again
    s = spec.settings
    jail = server_jail(spec)
    if not s.plan_only and (problem := policy_problem(jail)) is not None:
        raise RuntimeError(f"the server cannot jail verify commands: {problem}")
    return BuildRequest(
        root=tdir,
        spec_dir=tdir / "specs",
        builds_dir=builds_dir,
        cache_dir=tdir / "cache",
        model=ModelSettings(),
        concurrency=s.concurrency,
        max_fix_attempts=s.max_fix_attempts,
        verify_timeout=s.verify_timeout,
        rev=spec.rev,
        plan_file=plan_file,
        plan_only=s.plan_only,
        resume=spec.build_id if started else None,
        force=s.force,
        fresh=s.fresh,
        replan=s.replan,
        jail=jail,
        forced_audit=s.forced_audit,
        build_id=spec.build_id,
        snapshot=(spec.commit, files),
    )


def outcome_dict(outcome: BuildOutcome) -> dict[str, Any]:
    """What the thread's state keeps of how the build ended."""
    return {
        "build_id": outcome.build_id,
        "status": outcome.status.value,
        "exit_code": outcome.exit_code,
        "message": outcome.message,
    }


def run_thread_build(spec: RemoteInput, thread_id: str, send: EventSink) -> dict[str, Any]:
    """Run (or resume) a thread's build to its end; the outcome the thread's state keeps."""
    record = read_record(thread_dir(thread_id) / "builds" / spec.build_id)
    ended = record is not None and record.status in FINISHED_STATUSES
    if ended and record is not None and record.status is not BuildStatus.ERROR:
        return {"build_id": record.id, "status": record.status.value}  # nothing to run again
    return outcome_dict(run_build(build_request(spec, thread_id), send))


async def build(state: ServerState, config: RunnableConfig) -> dict[str, Any]:
    """Run the thread's build on a thread of its own, streaming its progress events."""
    spec = RemoteInput.model_validate(state["request"])
    thread_id = str(config.get("configurable", {})["thread_id"])
    loop = asyncio.get_running_loop()
    writer = get_stream_writer()
    # Events come from the build's threads; the writer belongs to this run's event loop and
    # context, so each one is handed to the loop with a copy of that context.
    context = contextvars.copy_context()

    def send(event: BuildEvent) -> None:
        """Forward one progress event to the client's stream."""
        loop.call_soon_threadsafe(writer, asdict(event), context=context.copy())

    work = functools.partial(run_thread_build, spec, thread_id, send)
    return {"outcome": await loop.run_in_executor(_builds(), work)}


@functools.cache
def _builds() -> ThreadPoolExecutor:
    """The threads builds run on. Not the event loop's default executor: that one has a few
    threads for the whole server (cores + 4), and a build holds its thread to the end."""
    return ThreadPoolExecutor(MAX_BUILDS, thread_name_prefix="charter-build")


def make_graph() -> Any:
    """The server's graph: START → build → END (the server supplies the checkpointer)."""
    graph = StateGraph(ServerState)
    graph.add_node("build", build)
    graph.add_edge(START, "build")
    graph.add_edge("build", END)
    return graph.compile()


graph = make_graph()
