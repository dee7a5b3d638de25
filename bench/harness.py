"""Shared benchmark plumbing: the result record, timing helpers and the scripted model server.

Each `bench/bench_*.py` module exposes `run() -> list[Result]`; `python -m bench` runs them all,
prints one table (each figure next to its target) and exits non-zero when a target is missed, so
a regression cannot hide. A figure measured at several sizes carries the same `series` name and
its `size`, and the table prints the series together so growth is visible too.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

# Every scripted model reply waits this long, so that a benchmark can subtract exactly the
# server's own latency (requests × LATENCY) from a wall time and keep everything else.
LATENCY_S = 0.02


@dataclass
class Result:
    """One measured figure against its target (None: shown for information, never fails)."""

    name: str
    value: float
    unit: str
    target: float | None
    lower_is_better: bool = True
    series: str | None = None
    size: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the figure meets its target."""
        if self.target is None:
            return True
        return self.value <= self.target if self.lower_is_better else self.value >= self.target

    @property
    def near(self) -> bool:
        """Whether a met target is within 20 % of being missed."""
        if self.target is None or not self.ok:
            return False
        if self.lower_is_better:
            return self.value > 0.8 * self.target
        return self.value < 1.2 * self.target


def timings_ms(fn: Callable[[], object], repeat: int, warmup: int = 1) -> list[float]:
    """Call `fn` `warmup + repeat` times and return the last `repeat` durations in ms."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def p50(values: list[float]) -> float:
    """Median."""
    return statistics.median(values)


def p99(values: list[float]) -> float:
    """99th percentile (inclusive method, so that few samples still give the worst ones)."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[98]


@contextmanager
def git_identity() -> Iterator[None]:
    """A fixed git author and committer for commits a benchmark makes, restored afterwards."""
    import os

    identity = {
        "GIT_AUTHOR_NAME": "Bench",
        "GIT_AUTHOR_EMAIL": "bench@example.com",
        "GIT_COMMITTER_NAME": "Bench",
        "GIT_COMMITTER_EMAIL": "bench@example.com",
    }
    saved = {k: os.environ.get(k) for k in identity}
    os.environ.update(identity)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
