"""Run every benchmark module (`bench/bench_*.py`) and print one table of figures vs targets."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import traceback

import bench
from bench.harness import Result


def main(selected: list[str]) -> int:
    """Run the selected (default: all) benchmark modules; exit 1 if one crashed."""
    names = sorted(
        m.name for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_")
    )
    if selected:
        names = [n for n in names if any(s in n for s in selected)]
    crashed = False
    print(f"{'benchmark':<64} {'value':>12} {'target':>12}  ok")
    for name in names:
        try:
            results: list[Result] = importlib.import_module(f"bench.{name}").run()
        except Exception:
            traceback.print_exc()
            print(f"{name:<64} {'CRASHED':>12}")
            crashed = True
            continue
        for r in results:
            cmp = "<=" if r.lower_is_better else ">="
            print(
                f"{r.name:<64} {r.value:>9.2f} {r.unit:<2} {cmp}{r.target:>8.2f} {r.unit:<2} "
                f"{'yes' if r.ok else 'NO'}",
                flush=True,
            )
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
