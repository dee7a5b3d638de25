"""Run every benchmark module (`bench/bench_*.py`) and print one table of figures vs targets.

Exit status: 0 when every figure meets its target, 1 when one misses it or a module crashed.
`python -m bench why ledger` runs only the modules whose names contain those words.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import traceback

import bench
from bench.harness import Result


def _row(r: Result) -> str:
    """One table row: the figure, its target and the verdict."""
    name = f"{r.name} [{r.size}]" if r.size else r.name
    if r.target is None:
        return f"{name:<70} {r.value:>10.2f} {r.unit:<3} {'(info)':>12}"
    cmp = "<=" if r.lower_is_better else ">="
    verdict = "yes" if r.ok else "NO"
    if r.near:
        verdict += " (near)"
    return f"{name:<70} {r.value:>10.2f} {r.unit:<3} {cmp}{r.target:>9.2f} {r.unit:<3} {verdict}"


def _series(results: list[Result]) -> list[str]:
    """`name: a → b → c` for each figure measured at several sizes."""
    grouped: dict[str, list[Result]] = {}
    for r in results:
        if r.series:
            grouped.setdefault(r.series, []).append(r)
    return [
        f"  {series}: " + " → ".join(f"{r.value:.2f} {r.unit} @ {r.size}" for r in rs)
        for series, rs in grouped.items()
        if len(rs) > 1
    ]


def main(selected: list[str]) -> int:
    """Run the selected (default: all) benchmark modules; 1 if a target is missed or a crash."""
    names = sorted(
        m.name for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_")
    )
    if selected:
        names = [n for n in names if any(s in n for s in selected)]
    failed: list[str] = []
    every: list[Result] = []
    print(f"{'benchmark':<70} {'value':>14} {'target':>15}  ok", flush=True)
    for name in names:
        try:
            results: list[Result] = importlib.import_module(f"bench.{name}").run()
        except Exception:
            traceback.print_exc()
            print(f"{name:<70} {'CRASHED':>14}", flush=True)
            failed.append(f"{name} crashed")
            continue
        for r in results:
            print(_row(r), flush=True)
            if not r.ok:
                failed.append(r.name + (f" [{r.size}]" if r.size else ""))
        every += results
    lines = _series(every)
    if lines:
        print("\nscaling series (same figure, growing size):")
        print("\n".join(lines))
    if failed:
        print(f"\n{len(failed)} target(s) missed: " + "; ".join(failed))
        return 1
    print("\nevery target met")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
