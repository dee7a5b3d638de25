"""The live record of a running build: `build.json` updates, progress events and `calls/` files.

Task updates from parallel tasks are kept in memory under one lock and written to `build.json`
atomically by a background flusher shortly after they happen (build-level changes are written at
once), so readers see progress promptly without the build paying a file write per update. The
record is serialised under the lock but written outside it (newest version wins), so a task
never waits for a file replace, which on ext4 costs milliseconds.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from charter.graphs.build.cache import atomic_write
from charter.graphs.build.questions import read_questions, render_questions
from charter.graphs.build.records import (
    FINAL_TASK_STATES,
    BuildDir,
    BuildQuestion,
    BuildRecord,
    dump_json,
    now_iso,
)

FLUSH_INTERVAL = 0.1  # seconds between a task update and build.json showing it


@dataclass(frozen=True)
class BuildEvent:
    """A progress event: a task changed state, or the build did."""

    kind: str  # "task" | "build" | "plan" | "info"
    message: str
    task: str | None = None
    state: str | None = None
    done: int = 0
    total: int = 0


EventSink = Callable[[BuildEvent], None]


class Journal:
    """The live `build.json` of one build: updated under a lock, written atomically."""

    def __init__(self, bdir: BuildDir, record: BuildRecord, sink: EventSink | None = None) -> None:
        """Keep `record` in memory; every change is persisted and may be reported to `sink`."""
        self.bdir = bdir
        self.record = record
        self.sink = sink
        self._lock = threading.RLock()
        self._write_lock = threading.Lock()  # orders file writes; taken after _lock is released
        self._version = 0  # of the in-memory record, counted per serialisation
        self._written = 0  # the version build.json holds
        self._seq = 0
        self._questions: list[BuildQuestion] = read_questions(bdir.questions_json)
        self._dirty = False
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._flusher: threading.Thread | None = None

    def save(self) -> None:
        """Write build.json now (call without holding the journal's lock)."""
        with self._lock:
            data = self.record.model_dump_json(indent=2).encode("utf-8") + b"\n"
            self._dirty = False
            self._version += 1
            version = self._version
        with self._write_lock:
            if version > self._written:  # a newer serialisation may have been written first
                atomic_write(self.bdir.record, data)
                self._written = version

    def touch(self) -> None:
        """Mark build.json stale; a background flusher writes it within FLUSH_INTERVAL.

        Task updates come in bursts from parallel tasks; coalescing them keeps the build's own
        overhead small while readers (`charter builds`, the TUI) still see progress promptly.
        """
        with self._lock:
            self._dirty = True
            if self._flusher is None:
                self._flusher = threading.Thread(
                    target=self._flush_loop, name="charter-journal", daemon=True
                )
                self._flusher.start()
        self._wake.set()

    def _flush_loop(self) -> None:
        """Write build.json shortly after it changes, until close()."""
        while not self._stop.is_set():
            self._wake.wait()
            self._wake.clear()
            if self._stop.wait(FLUSH_INTERVAL):
                break
            if self._dirty:
                self.save()

    def close(self) -> None:
        """Stop the flusher and write build.json one last time."""
        self._stop.set()
        self._wake.set()
        if self._flusher is not None:
            self._flusher.join()
            self._flusher = None
        self.save()

    def snapshot(self) -> BuildRecord:
        """A consistent copy of the record (for reports written while tasks may still run)."""
        with self._lock:
            data = self.record.model_dump_json()
        # Through JSON rather than model_copy(deep=True): pydantic-core does it many times faster
        # than copy.deepcopy, and the record is JSON by definition (it is build.json).
        return BuildRecord.model_validate_json(data)

    def emit(self, event: BuildEvent) -> None:
        """Report an event to the sink, if any (the sink must not raise)."""
        if self.sink is not None:
            self.sink(event)

    def progress(self) -> tuple[int, int]:
        """(finished tasks, all tasks)."""
        with self._lock:
            tasks = self.record.tasks.values()
            return sum(t.state in FINAL_TASK_STATES for t in tasks), len(self.record.tasks)

    def build(self, note: str | None = None, **changes: Any) -> None:
        """Change build-level fields, persist, and report `note`."""
        with self._lock:
            for key, value in changes.items():
                setattr(self.record, key, value)
            done, total = self.progress()
        self.save()
        if note:
            self.emit(BuildEvent("build", note, done=done, total=total))

    def task(self, task_id: str, note: str | None = None, **changes: Any) -> None:
        """Change a task's fields, persist, and report a line like `T2 verify failed`."""
        with self._lock:
            record = self.record.tasks[task_id]
            for key, value in changes.items():
                setattr(record, key, value)
            self.touch()
            done, total = self.progress()
            state = record.state.value
        if note:
            self.emit(BuildEvent("task", note, task=task_id, state=state, done=done, total=total))

    def count_call(
        self, task_id: str | None, usage: Iterable[dict[str, int]], *, cached: bool, seconds: float
    ) -> None:
        """Add a call's tokens to the task's and the build's totals."""
        with self._lock:
            targets = [self.record] + ([self.record.tasks[task_id]] if task_id else [])
            for target in targets:
                if cached:
                    target.cached_calls += 1
                else:
                    target.calls += 1
                    for u in usage:
                        target.tokens.add(u)
            if task_id:
                self.record.tasks[task_id].model_s += seconds
            self.touch()

    def next_call_number(self) -> int:
        """A sequence number for the next file in calls/."""
        with self._lock:
            if self._seq == 0:
                self._seq = len(list(self.bdir.calls.glob("*.json")))
            self._seq += 1
            return self._seq

    def add_question(self, task_id: str, requirements: list[str], text: str) -> BuildQuestion:
        """Record a question (questions.json and questions.md) and return it with its new ID."""
        with self._lock:
            suffix = self.record.id.rsplit("-", 1)[-1]
            question = BuildQuestion(
                id=f"Q-{suffix}-{len(self._questions) + 1}",
                build=self.record.id,
                task=task_id,
                requirements=requirements,
                text=text,
                rev=self.record.rev,
                commit=self.record.commit,
            )
            self._questions = [q for q in self._questions if q.task != task_id] + [question]
            self._write_questions()
            return question

    def questions(self) -> list[BuildQuestion]:
        """The questions raised so far."""
        with self._lock:
            return list(self._questions)

    def _write_questions(self) -> None:
        """Rewrite questions.json and questions.md."""
        atomic_write(self.bdir.questions_json, dump_json([q.model_dump() for q in self._questions]))
        atomic_write(self.bdir.questions_md, render_questions(self._questions).encode("utf-8"))


def write_call(
    journal: Journal,
    *,
    label: str,
    role: str,
    task: str | None,
    attempt: int,
    request_hash: str,
    model: dict[str, Any],
    messages: list[dict[str, str]],
    exchanges: list[dict[str, Any]],
    output: dict[str, Any] | None,
    cached: bool,
    error: str | None,
    secrets: tuple[str, ...],
) -> Path:
    """Write one call record to calls/ (the API key never appears: it is masked if present)."""
    number = journal.next_call_number()
    path = journal.bdir.calls / f"{number:04d}-{label}.json"
    data = {
        "role": role,
        "task": task,
        "attempt": attempt,
        "request_hash": request_hash,
        "cached": cached,
        "model": model,
        "messages": messages,
        "exchanges": exchanges,
        "output": output,
        "error": error,
        "written": now_iso(),
    }
    text = json.dumps(data, indent=2, ensure_ascii=False)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    path.write_text(text + "\n", encoding="utf-8")  # a new, uniquely numbered file
    return path
