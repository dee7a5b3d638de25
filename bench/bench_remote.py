"""Remote builds: 8 concurrent builds against one LangGraph Server vs 8 sequential local builds.

One `langgraph dev` (in memory, 127.0.0.1, this repository's langgraph.json) with the scripted
model of `tests/fakellm.py` as its endpoint; eight workspaces, each a 4-task plan in 2 waves
with 300 ms of simulated model latency per call (the plan file is sent, so no planner call).
Measured: the wall time of the 8 builds run one after another locally (in-process
`run_build`, concurrency 4 each), and the wall time of the same 8 builds sent at once from 8
client threads (`run_remote_build`, artefacts fetched back) to the one server. The target is
the point of a build server: eight clients' builds together take well under the time one
machine needs for them in turn (speedup ≥ 2×; the ideal, all latency overlapped, is near 8×).
Both sides run verify in the same bubblewrap jail, or none where bwrap cannot run.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.bench_build import LATENCY, _build, _handler, _plan_file, _policy, _repo, _spec
from bench.harness import Result
from charter.graphs.build import BuildRequest, RemoteServer, run_remote_build
from tests.fakellm import FakeLLM
from tests.lgserver import langgraph_dev

BUILDS = 8
TOKEN = "bench-token"


def _workspace(root: Path) -> Path:
    """A repository with a committed 4-area spec and a 4-task plan (2 waves of 2)."""
    _repo(root, _spec(4, 3))
    return _plan_file(root, 2, 2)


def _remote(root: Path, plan: Path, url: str) -> float:
    """One remote build of `root` (fresh, concurrency 4); its wall time."""
    request = BuildRequest(
        root=root,
        spec_dir=root / "specs",
        builds_dir=root / ".charter" / "builds",
        cache_dir=root / ".charter" / "cache",
        concurrency=4,
        max_fix_attempts=0,
        verify_timeout=60,
        plan_file=plan,
        fresh=True,
        jail=_policy(),
    )
    start = time.perf_counter()
    outcome = run_remote_build(request, RemoteServer(url=url, token=TOKEN))
    wall = time.perf_counter() - start
    if outcome.exit_code != 0:
        raise RuntimeError(f"remote bench build failed: {outcome.status} {outcome.message}")
    return wall


def _cpu() -> float:
    """CPU seconds used so far by this process and its live children (the server)."""
    import psutil

    me = psutil.Process()
    total = sum(me.cpu_times()[:2])
    for child in me.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            total += sum(child.cpu_times()[:2])
    return total


def run() -> list[Result]:
    """8 concurrent remote builds on one server against 8 sequential local builds."""
    with tempfile.TemporaryDirectory(prefix="charter-bench-remote-") as tmp:
        base = Path(tmp)
        with FakeLLM() as llm:
            llm.handler(_handler(LATENCY))
            local = [(base / f"local{i}", _workspace(base / f"local{i}")) for i in range(BUILDS)]
            remote = [(base / f"remote{i}", _workspace(base / f"remote{i}")) for i in range(BUILDS)]
            warm = base / "warm"
            warm_plan = _workspace(warm)
            _build(warm, llm, warm_plan, 4)  # warm-up: imports, the first connection
            start = time.perf_counter()
            for root, plan in local:
                _build(root, llm, plan, 4)
            sequential = time.perf_counter() - start

            server_root = base / "server"
            server_root.mkdir()
            with langgraph_dev(server_root, llm, TOKEN, jobs=BUILDS) as url:
                warm_remote = base / "warm-remote"
                _remote(warm_remote, _workspace(warm_remote), url)  # the server imports lazily
                cpu0 = _cpu()
                start = time.perf_counter()
                with ThreadPoolExecutor(BUILDS) as pool:
                    list(pool.map(lambda rp: _remote(rp[0], rp[1], url), remote))
                concurrent = time.perf_counter() - start
                cpu = _cpu() - cpu0
    return [
        Result("local: 8 builds one after another (wall)", sequential, "s", None),
        Result("remote: 8 builds at once on one server (wall)", concurrent, "s", None),
        # CPU seconds (server processes, the clients and the fake model) per build: on a shared
        # 2-core machine this, not the model's latency, bounds how much the builds overlap.
        Result("remote: CPU per build, server + client (8 at once)", cpu / BUILDS, "s", None),
        Result(
            "remote: 8 concurrent on one server vs 8 sequential local (speedup)",
            sequential / concurrent,
            "x",
            2.0,
            lower_is_better=False,
        ),
    ]
