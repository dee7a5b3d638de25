"""Shared benchmark plumbing: the result record and timing helpers.

Each `bench/bench_*.py` module exposes `run() -> list[Result]`; `python -m bench` runs them all
and prints one table, so the figures in a closing note come from one command.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Result:
    """One measured figure against its target."""

    name: str
    value: float
    unit: str
    target: float
    lower_is_better: bool = True

    @property
    def ok(self) -> bool:
        """Whether the figure meets its target."""
        return self.value <= self.target if self.lower_is_better else self.value >= self.target


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
