"""Jail overhead: what running a verify command in the bubblewrap jail adds, per command.

The same trivial command (`true`) runs through `run_jailed` with `sandbox = "bwrap"` and with
`sandbox = "none"`; the difference of the medians is the jail's cost (namespaces, mounts,
prlimit). Limits and settings come from charter.toml's defaults. Target: under 50 ms.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.harness import Result, p50, timings_ms
from charter.app.config import BuildSettings
from charter.graphs.build import detect_sandbox, run_jailed

REPEAT = 30


def _median_ms(sandbox: str, root: Path) -> float:
    """Median wall time of one `true` under `sandbox`."""
    policy = BuildSettings(sandbox=sandbox).jail_policy()

    def once() -> None:
        """One command, as a build runs it."""
        out = run_jailed(
            "true",
            root / "workspace",
            policy,
            home=root / "home",
            tmpdir=root / "tmp",
            log_path=root / "logs" / f"{sandbox}.log",
        )
        if not out.ok:
            raise RuntimeError(f"`true` failed under {sandbox}: {out.output}")

    return p50(timings_ms(once, REPEAT, warmup=3))


def run() -> list[Result]:
    """Measure the jailed and unjailed medians and the overhead."""
    info = detect_sandbox()
    if not info.usable:
        raise RuntimeError(info.message())
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "workspace").mkdir()
        jailed = _median_ms("bwrap", root)
        bare = _median_ms("none", root)
    return [
        Result("verify `true`, unjailed (p50)", bare, "ms", 50.0),
        Result("verify `true`, in the bubblewrap jail (p50)", jailed, "ms", 100.0),
        Result("jail overhead per verify command (p50 difference)", jailed - bare, "ms", 50.0),
    ]
