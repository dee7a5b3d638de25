"""The per-process runtime of a build: its directory, journal, spec, models, cache and repository.

Graph state holds only JSON-able values (task states, the plan); everything that cannot be
checkpointed lives here and is rebuilt when a build resumes. `ask` is the one way the build talks
to a model: it hashes the request, answers from the cache when it can (a replay must), records
every exchange in `calls/` and counts tokens.
"""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from charter.agents import BuilderModels, Exchange, Plan
from charter.graphs.build.cache import CacheMiss, ResponseCache, content_hash
from charter.graphs.build.carryover import PlanBase
from charter.graphs.build.jail import JailPolicy
from charter.graphs.build.journal import Journal, write_call
from charter.graphs.build.records import BuildDir, BuildRecord, read_record
from charter.graphs.build.specview import SpecView
from charter.graphs.build.workrepo import TaskCommit, WorkRepo

T = TypeVar("T", bound=BaseModel)
CACHE_FORMAT = 1


@cache
def _json_schema(schema: type[BaseModel]) -> dict[str, Any]:
    """A schema's JSON schema (computed once per class; it is part of every request hash)."""
    return schema.model_json_schema()


class ReplayMiss(RuntimeError):
    """A replay needed a response the cache does not hold."""


@dataclass
class BuildContext:
    """Everything a build's nodes need that is not graph state."""

    bdir: BuildDir
    journal: Journal
    view: SpecView
    cache: ResponseCache
    workrepo: WorkRepo
    identities: dict[str, dict[str, Any]]
    builds_dir: Path
    max_fix_attempts: int
    verify_timeout: float
    reuse: bool
    models: BuilderModels | None = None
    secrets: tuple[str, ...] = ()
    jail: JailPolicy | None = None
    plan: Plan | None = None
    committed: dict[str, TaskCommit] = field(default_factory=dict)
    concurrency: int = 4
    base: PlanBase | None = None
    running: dict[str, Future[str]] = field(default_factory=dict)
    _pool: ThreadPoolExecutor | None = None
    _previous: list[tuple[Path, BuildRecord]] | None = None

    def executor(self) -> ThreadPoolExecutor:
        """The build's task threads (at most `concurrency` tasks at once), made on first use."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="charter-task")
        return self._pool

    def shutdown(self) -> None:
        """Stop the task threads (tasks not yet started are cancelled)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def ask(
        self,
        role: str,
        schema: type[T],
        messages: list[dict[str, str]],
        *,
        task: str | None,
        attempt: int,
        label: str,
    ) -> T:
        """One structured call: from the cache when the same request was answered before."""
        identity = self.identities[role]
        key = content_hash(
            {
                "format": CACHE_FORMAT,
                "model": identity,
                "schema": schema.__name__,
                "json_schema": _json_schema(schema),
                "messages": messages,
            }
        )
        t0 = time.perf_counter()
        try:
            entry = self.cache.get(key)
        except CacheMiss as exc:
            where = f"task {task}" if task else "the plan"
            raise ReplayMiss(
                f"replay: no cached {role} response for {where} (attempt {attempt}); the build "
                "cannot be reproduced without a model"
            ) from exc
        if entry is not None:
            output = schema.model_validate(entry["output"])
            self._record(
                label, role, task, attempt, key, identity, messages, [], output, True, None
            )
            self.journal.count_call(task, [], cached=True, seconds=time.perf_counter() - t0)
            return output
        if self.models is None:
            raise ReplayMiss(f"no model is available for the {role} call of {task or 'the plan'}")
        sink: list[Exchange] = []
        try:
            output = self.models.call(role, schema, messages, sink)
        except Exception as exc:
            self._record(
                label,
                role,
                task,
                attempt,
                key,
                identity,
                messages,
                sink,
                None,
                False,
                getattr(exc, "user_message", None) or type(exc).__name__,
            )
            self.journal.count_call(
                task, [e.usage for e in sink], cached=False, seconds=time.perf_counter() - t0
            )
            raise
        self.cache.put(
            key,
            {"format": CACHE_FORMAT, "model": identity, "output": output.model_dump(mode="json")},
        )
        self._record(label, role, task, attempt, key, identity, messages, sink, output, False, None)
        self.journal.count_call(
            task, [e.usage for e in sink], cached=False, seconds=time.perf_counter() - t0
        )
        return output

    def _record(
        self,
        label: str,
        role: str,
        task: str | None,
        attempt: int,
        key: str,
        identity: dict[str, Any],
        messages: list[dict[str, str]],
        sink: list[Exchange],
        output: BaseModel | None,
        cached: bool,
        error: str | None,
    ) -> None:
        """Write the call's record to calls/."""
        write_call(
            self.journal,
            label=label,
            role=role,
            task=task,
            attempt=attempt,
            request_hash=key,
            model=identity,
            messages=messages,
            exchanges=[e.to_dict() for e in sink],
            output=output.model_dump(mode="json") if output is not None else None,
            cached=cached,
            error=error,
            secrets=self.secrets,
        )

    def previous_builds(self) -> list[tuple[Path, BuildRecord]]:
        """Earlier builds' records, newest first (read once per process)."""
        if self._previous is None:
            found = []
            if self.builds_dir.is_dir():
                for child in sorted(self.builds_dir.iterdir(), reverse=True):
                    if child.name == self.bdir.id or not child.is_dir():
                        continue
                    record = read_record(child)
                    if record is not None:
                        found.append((child, record))
            self._previous = found
        return self._previous
