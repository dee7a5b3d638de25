"""Remote builds, the client side: run the build graph on a LangGraph Server, locally recorded.

`run_remote_build` reads the revision's spec from the commit tree (the same `read_spec` a local
build uses, so the server gets exactly those bytes and nothing else: no ledger, no `state.db`,
no uncommitted edit), creates a server thread, writes `remote.json` into the local build
directory (so a killed client can `--resume`), streams the build's progress events into the
caller's sink, and finally brings the artefacts (workspace repo, calls/, report, logs, cache
entries) back into `.charter/builds/<id>/`, where every local command reads them. The model key
never leaves the server; the client sends only a bearer token. `langgraph_sdk` is imported on
first use, never at CLI start-up.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from charter.graphs.build.journal import BuildEvent, EventSink
from charter.graphs.build.records import (
    FINISHED_STATUSES,
    BuildStatus,
    new_build_id,
    read_record,
)
from charter.graphs.build.remote_wire import (
    ARTEFACTS_PATH,
    GRAPH_ID,
    REMOTE_FILE,
    RemoteInput,
    RemoteLink,
    RemoteSettings,
    unpack_artefacts,
)
from charter.graphs.build.request import (
    EXIT_BY_STATUS,
    BuildInputError,
    BuildOutcome,
    BuildRequest,
    NothingToResume,
)
from charter.graphs.build.source import SourceError, read_spec

ACTIVE_RUN = ("pending", "running")


class RemoteError(RuntimeError):
    """The build server could not be reached, refused the token, or failed the run."""


@dataclass(frozen=True)
class RemoteServer:
    """Where remote builds run and the bearer token for it (from the client's environment)."""

    url: str
    token: str

    def client(self) -> Any:
        """A LangGraph SDK client that sends only the bearer token (never a LangSmith key)."""
        import httpx
        from langgraph_sdk import get_sync_client

        return get_sync_client(
            url=self.url,
            api_key=None,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=httpx.Timeout(30.0, read=None),
        )


def remote_link(builds_dir: Path, build_id: str) -> RemoteLink | None:
    """The server a build runs on, or None for a local build."""
    path = builds_dir / build_id / REMOTE_FILE
    if not path.is_file():
        return None
    return RemoteLink.model_validate_json(path.read_text(encoding="utf-8"))


def remote_settings(request: BuildRequest) -> RemoteSettings:
    """The part of a build request the server honours (its jail's limits, not its sandbox)."""
    if request.jail is None:
        raise BuildInputError("a remote build needs the jail's limits ([build])")
    limits = request.jail.limits
    return RemoteSettings(
        concurrency=request.concurrency,
        max_fix_attempts=request.max_fix_attempts,
        verify_timeout=request.verify_timeout,
        output_bytes=limits.output_bytes,
        file_bytes=limits.file_bytes,
        processes=limits.processes,
        network=request.jail.network,
        plan_only=request.plan_only,
        force=request.force,
        fresh=request.fresh,
        replan=request.replan,
        forced_audit=list(request.forced_audit),
    )


def run_remote_build(
    request: BuildRequest, server: RemoteServer, on_event: EventSink | None = None
) -> BuildOutcome:
    """Send one revision's committed spec to the server, follow the build, fetch its artefacts."""
    try:
        source = read_spec(request.root, request.spec_dir, request.rev)
    except SourceError as exc:
        raise BuildInputError(str(exc)) from exc
    plan = None
    if request.plan_file is not None:
        if not request.plan_file.is_file():
            raise BuildInputError(f"plan file {request.plan_file} does not exist")
        plan = request.plan_file.read_bytes()
    spec = RemoteInput.make(
        build_id=new_build_id(),
        rev=request.rev,
        commit=source.commit,
        files=source.files,
        plan=plan,
        settings=remote_settings(request),
    )
    client = server.client()
    with _errors(server.url):
        thread_id = str(client.threads.create()["thread_id"])
    link = RemoteLink(url=server.url, thread_id=thread_id, build_id=spec.build_id)
    local = request.builds_dir / spec.build_id
    local.mkdir(parents=True)
    (local / REMOTE_FILE).write_text(link.model_dump_json(indent=2) + "\n", encoding="utf-8")
    with _errors(server.url):
        stream = client.runs.stream(
            thread_id,
            GRAPH_ID,
            input={"request": spec.model_dump(mode="json")},
            stream_mode="custom",
            on_disconnect="continue",
        )
        failure = _follow(stream, on_event)
    return _finish(client, server, link, request, failure)


def resume_remote_build(
    request: BuildRequest, server: RemoteServer, on_event: EventSink | None = None
) -> BuildOutcome:
    """Follow a remote build again: join its run, continue it from the server's checkpoint, or
    just fetch the artefacts of a build that ended while no client was watching."""
    assert request.resume is not None
    link = remote_link(request.builds_dir, request.resume)
    if link is None:
        raise BuildInputError(f"build {request.resume} is not a remote build")
    client = server.client()
    failure = None
    with _errors(server.url):
        runs = client.runs.list(link.thread_id, limit=1)
        state = client.threads.get_state(link.thread_id)
        outcome = (state.get("values") or {}).get("outcome") or {}
        if runs and runs[0]["status"] in ACTIVE_RUN:
            stream = client.runs.join_stream(
                link.thread_id, runs[0]["run_id"], stream_mode="custom"
            )
        elif state.get("next") or outcome.get("status") == BuildStatus.ERROR.value:
            # A run that failed (or a build that ended in error) continues where it stopped;
            # the server's node resumes the build from the checkpoints in its directory.
            again = None if state.get("next") else {"request": state["values"]["request"]}
            stream = client.runs.stream(
                link.thread_id,
                GRAPH_ID,
                input=again,
                stream_mode="custom",
                on_disconnect="continue",
            )
        else:
            local = read_record(request.builds_dir / link.build_id)
            if local is not None and local.status in FINISHED_STATUSES:
                raise NothingToResume(
                    f"build {link.build_id} already finished ({local.status.value}); "
                    "nothing to resume"
                )
            stream = iter(())
        failure = _follow(stream, on_event)
    return _finish(client, server, link, request, failure)


def _follow(stream: Iterator[Any], on_event: EventSink | None) -> str | None:
    """Pass the run's progress events to the sink; the server's error message, if it failed."""
    failure = None
    for part in stream:
        if part.event == "custom" and isinstance(part.data, dict):
            if on_event is not None:
                on_event(BuildEvent(**part.data))
        elif part.event == "error":
            data = part.data if isinstance(part.data, dict) else {"message": str(part.data)}
            failure = str(data.get("message") or data)
    return failure


def _finish(
    client: Any, server: RemoteServer, link: RemoteLink, request: BuildRequest, failure: str | None
) -> BuildOutcome:
    """Fetch the artefacts into the local build directory and say how the build ended."""
    import httpx

    url = server.url.rstrip("/") + ARTEFACTS_PATH.format(thread_id=link.thread_id)
    with _errors(server.url):
        response = httpx.get(url, headers={"Authorization": f"Bearer {server.token}"}, timeout=300)
        if response.status_code == 404 and failure is not None:
            raise RemoteError(f"the build server failed the build: {failure}")
        response.raise_for_status()
        state = client.threads.get_state(link.thread_id)
    local = request.builds_dir / link.build_id
    unpack_artefacts(
        response.content,
        local,
        request.cache_dir,
        {REMOTE_FILE: link.model_dump_json(indent=2) + "\n"},
    )
    record = read_record(local)
    if record is None:
        raise RemoteError(f"the build server sent no record of build {link.build_id}")
    if failure is not None and record.status is not BuildStatus.ERROR:
        raise RemoteError(f"the build server failed the build: {failure}")
    outcome = (state.get("values") or {}).get("outcome") or {}
    exit_code = outcome.get("exit_code")
    if not isinstance(exit_code, int):
        exit_code = EXIT_BY_STATUS.get(record.status, 1)
    return BuildOutcome(record.id, local, record.status, exit_code, record.message, record)


@contextlib.contextmanager
def _errors(url: str) -> Iterator[None]:
    """Turn transport and HTTP failures into a RemoteError naming the server."""
    import httpx

    try:
        yield
    except httpx.HTTPStatusError as exc:
        code = exc.response.status_code
        hint = " (check the token)" if code in (401, 403) else ""
        raise RemoteError(f"the build server {url} answered {code}{hint}") from exc
    except httpx.HTTPError as exc:
        raise RemoteError(f"cannot reach the build server {url}: {exc}") from exc
