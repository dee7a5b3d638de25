"""CLI start-up: `charter --help`, `charter status` and `charter validate` on the example
workspace, wall time per run (target under 250 ms each), like hyperfine: one warm-up run, then
the median of RUNS runs of the installed `charter` command in a fresh process.

Also, from `python -X importtime`, which heavy libraries each command imports: `--help` must
import none (not pydantic, GitPython, sqlite-utils, LangChain, LangGraph, Textual), and `status`
and `validate` none of the model or TUI stacks (LangChain, LangGraph, Textual, openai), nor
GitPython (git runs as plain processes) or psutil (needed only while the lock is held).
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import Result

ROOT = Path(__file__).resolve().parent.parent
RUNS = 10
COMMANDS = (("--help",), ("status",), ("validate",))
HEAVY_FOR_HELP = ("pydantic", "git", "sqlite_utils", "langchain", "langgraph", "textual", "openai")
HEAVY_FOR_COMMANDS = (
    "langchain",
    "langchain_core",
    "langgraph",
    "textual",
    "openai",
    "git",
    "psutil",
)


def _charter() -> list[str]:
    """The installed console script next to this interpreter, else `python -m`."""
    script = Path(sys.executable).parent / "charter"
    return [str(script)] if script.exists() else [sys.executable, "-m", "charter.app.cli"]


def _env() -> dict[str, str]:
    """The user's environment without model settings (nothing here talks to a model)."""
    env = dict(os.environ)
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "CHARTER_MODEL"):
        env.pop(var, None)
    return env


def wall_ms(args: tuple[str, ...], cwd: Path) -> tuple[float, float]:
    """Median wall time and median CPU time (user + system, which other processes' load does
    not inflate) of RUNS runs of `charter args`, after one warm-up run."""
    command = [*_charter(), *args]
    times, cpu = [], []
    for n in range(RUNS + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(command, cwd=cwd, capture_output=True, env=_env(), check=False)
        elapsed = (time.perf_counter() - start) * 1000
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode not in (0, 1):
            raise RuntimeError(f"charter {' '.join(args)}: {proc.stderr.decode()[-500:]}")
        if n:
            times.append(elapsed)
            spent = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
            cpu.append(spent * 1000)
    return statistics.median(times), statistics.median(cpu)


def heavy_imports(args: tuple[str, ...], cwd: Path, heavy: tuple[str, ...]) -> list[str]:
    """The heavy top-level packages `charter args` imports (from `-X importtime`)."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "charter.app.cli", *args],
        cwd=cwd,
        capture_output=True,
        env=_env(),
        check=False,
    )
    names = {
        line.rsplit("|", 1)[-1].strip().split(".")[0]
        for line in proc.stderr.decode().splitlines()
        if line.startswith("import time:")
    }
    return sorted(names & set(heavy))


def run() -> list[Result]:
    """Time each command and count its heavy imports."""
    from charter.app.services.example import materialise

    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="charter-bench-cli-") as tmp:
        ws = materialise(ROOT / "examples" / "telemetry", Path(tmp) / "example").root
        for args in COMMANDS:
            name = f"charter {' '.join(args)}"
            wall, cpu = wall_ms(args, ws)
            results += [
                Result(f"cli: {name} on the example, wall", wall, "ms", 250.0),
                Result(f"cli: {name} on the example, CPU (load excluded)", cpu, "ms", None),
            ]
            heavy = HEAVY_FOR_HELP if args == ("--help",) else HEAVY_FOR_COMMANDS
            found = heavy_imports(args, ws, heavy)
            results.append(
                Result(
                    f"cli: {name} heavy imports ({', '.join(found) or 'none'})",
                    len(found),
                    "",
                    0,
                )
            )
    return results


if __name__ == "__main__":
    for result in run():
        print(result)
