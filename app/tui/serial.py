"""One daemon thread that runs blocking calls one at a time, awaited from the event loop.

SQLite connections and GitPython objects must stay on the thread that made them, and the
scribe session must see one call at a time; a serial thread gives both. The thread is a daemon
so quitting never waits for a slow model call (the ledger and the checkpoints already hold
everything a later start needs).
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")

_STOP = object()


class SerialThread:
    """A lazily started daemon thread with a job queue."""

    def __init__(self, name: str) -> None:
        """Name the thread (it starts with the first job)."""
        self.name = name
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _loop(self) -> None:
        """Run jobs until told to stop."""
        while True:
            job = self._jobs.get()
            if job is _STOP:
                return
            future, fn, args = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(*args))
            except BaseException as exc:  # handed to the awaiting side, which decides
                future.set_exception(exc)

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Queue a call; returns a concurrent Future."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
                self._thread.start()
        future: Future[T] = Future()
        self._jobs.put((future, fn, args))
        return future

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a call on the thread and await its result."""
        return await asyncio.wrap_future(self.submit(fn, *args))

    def stop(self, timeout: float = 0.25) -> None:
        """Let queued jobs finish (up to `timeout`), then end the thread."""
        self._jobs.put(_STOP)
        if self._thread is not None:
            self._thread.join(timeout)
