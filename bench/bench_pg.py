"""Builds on a shared PostgreSQL checkpointer: several clients at once against one at a time.

Eight workspaces, each its own `charter build` process (a client, as a team member's machine
would run it), all checkpointing to one throwaway PostgreSQL (tests/pgserver.py) and answered
by the scripted server of `tests/fakellm.py` with 1.5 s of simulated model latency per call
(a plan, then four tasks in two waves: 4.5 s of waiting per build, a fraction of a real model's).
Figures:

- the 8 builds run concurrently against the same 8 builds run one after another (fresh
  workspaces each time, so no response is cached): the speedup one shared database allows
  (target ≥ 2.5x on this two-core machine, where every client also pays Python's start-up);
- the CPU time per build of the client processes (`getrusage` of the children, so it holds on
  a busy machine) on PostgreSQL against SQLite: what checkpointing over the network costs a
  client (target ≤ 1.15x; the server's own work is not counted, it runs elsewhere in practice).

Every build must finish with its own workspace's files, or the benchmark fails.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path
from typing import Any

import tomli_w

from bench.harness import Result, git_identity
from charter.graphs.build import detect_sandbox
from tests.fakellm import FakeLLM, ScriptedReply
from tests.pgserver import start_postgres

CLIENTS = 8
LATENCY = 1.5
DSN_VAR = "CHARTER_CHECKPOINTER_DSN"
TASK_RE = re.compile(r"^# Task (\S+):", re.MULTILINE)
WORD_RE = re.compile(r'say "([a-z0-9-]+)"')


def _plan() -> dict[str, Any]:
    """Four tasks in two waves (T3 and T4 each after one of T1, T2)."""
    tasks = []
    for n in (1, 2, 3, 4):
        tasks.append(
            {
                "id": f"T{n}",
                "title": f"part {n}",
                "requirements": [f"APP-{n}"],
                "sections": [],
                "depends_on": [f"T{n - 2}"] if n > 2 else [],
                "outputs": [f"t{n}.txt"],
                "verify": f"test -f t{n}.txt",
                "notes": "",
            }
        )
    return {"tasks": tasks, "not_built": []}


def _answer(body: dict[str, Any]) -> ScriptedReply | None:
    """The planner gets the plan; a coder writes the word its requirement asks for."""
    messages = body.get("messages", [])
    system = str(messages[0].get("content", "")) if messages else ""
    prompt = "\n".join(str(m.get("content", "")) for m in messages[1:])
    if "Charter's planner" in system:
        return ScriptedReply.tools([("Plan", _plan())], delay=LATENCY)
    found = TASK_RE.search(prompt)
    words = WORD_RE.findall(prompt)
    if found is None or len(words) != 1:
        return None
    files = [{"path": f"{found.group(1).lower()}.txt", "content": f"{words[0]}\n"}]
    args = {"files": files, "assumptions": [], "deviations": [], "notes": ""}
    return ScriptedReply.tools([("TaskResult", args)], delay=LATENCY)


def _workspace(root: Path, tag: str, checkpointer: str) -> None:
    """A Charter workspace whose committed spec asks for words naming `tag`."""
    from charter.app.workspace import init_workspace
    from charter.specs import (
        Provenance,
        ProvenanceKind,
        Requirement,
        Section,
        SpecFile,
        render_file,
    )

    root.mkdir(parents=True)
    init_workspace(root)
    inferred = Provenance(kind=ProvenanceKind.INFERRED, reason="benchmark fixture")
    reqs = [
        Requirement(id=f"APP-{n}", text=f'The app MUST say "{tag}-{n}".', provenance=inferred)
        for n in (1, 2, 3, 4)
    ]
    spec = SpecFile(path="app.md", title="App", sections=[Section(title="Parts", blocks=reqs)])
    (root / "specs" / "app.md").write_text(render_file(spec), encoding="utf-8")
    sandbox = "bwrap" if detect_sandbox().usable else "none"
    config = root / "charter.toml"
    settings = tomllib.loads(config.read_text(encoding="utf-8"))
    settings.setdefault("build", {}).update(checkpointer=checkpointer, sandbox=sandbox)
    config.write_text(tomli_w.dumps(settings), encoding="utf-8")
    for args in (["add", "-A"], ["commit", "-q", "-m", "spec"]):
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def _check(root: Path, tag: str, proc: subprocess.Popen[bytes]) -> None:
    """The build in `root` finished with its own words in its own files."""
    _, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"bench build in {root} failed: {err.decode(errors='replace')}")
    (bdir,) = (root / ".charter" / "builds").iterdir()
    for n in (1, 2, 3, 4):
        got = (bdir / "workspace" / f"t{n}.txt").read_text(encoding="utf-8")
        if got != f"{tag}-{n}\n":
            raise RuntimeError(f"{bdir}: t{n}.txt holds {got!r}, not {tag}-{n}")


def _builds(
    base: Path, name: str, env: dict[str, str], *, concurrent: bool, store: str
) -> tuple[float, float]:
    """Wall and client CPU seconds of CLIENTS builds in fresh workspaces, at once or in turn."""
    roots = [base / f"{name}-{n}" for n in range(CLIENTS)]
    for n, root in enumerate(roots):
        _workspace(root, f"{name}-{n}", store)

    def start(root: Path) -> subprocess.Popen[bytes]:
        """One client: `charter build` in its workspace."""
        return subprocess.Popen(
            [sys.executable, "-m", "charter.app.cli", "build"],
            cwd=root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    cpu0 = _children_cpu()
    t0 = time.perf_counter()
    if concurrent:
        procs = [start(root) for root in roots]
        for n, (root, proc) in enumerate(zip(roots, procs, strict=True)):
            _check(root, f"{name}-{n}", proc)
    else:
        for n, root in enumerate(roots):
            _check(root, f"{name}-{n}", start(root))
    return time.perf_counter() - t0, _children_cpu() - cpu0


def _children_cpu() -> float:
    """User plus system CPU seconds of every child process waited for so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run() -> list[Result]:
    """Concurrent against sequential builds on one PostgreSQL, and PostgreSQL against SQLite."""
    server = start_postgres()
    try:
        with (
            tempfile.TemporaryDirectory(prefix="charter-bench-pg-") as tmp,
            git_identity(),
            FakeLLM() as llm,
        ):
            llm.handler(_answer)
            base = Path(tmp)
            env = {**os.environ, **llm.env(), DSN_VAR: server.createdb()}
            env["PYTHONDONTWRITEBYTECODE"] = "1"
            _builds(base, "warm", env, concurrent=True, store="postgres")  # tables, caches
            concurrent, _ = _builds(base, "conc", env, concurrent=True, store="postgres")
            sequential, pg_cpu = _builds(base, "seq", env, concurrent=False, store="postgres")
            _, sqlite_cpu = _builds(base, "lite", env, concurrent=False, store="sqlite")
    finally:
        server.stop()
    return [
        Result(
            f"build on postgres: {CLIENTS} concurrent clients vs sequential (speedup)",
            sequential / concurrent,
            "x",
            2.5,
            lower_is_better=False,
        ),
        Result(f"build on postgres: {CLIENTS} concurrent clients, wall", concurrent, "s", None),
        Result(
            f"build on postgres: {CLIENTS} builds one after another, wall", sequential, "s", None
        ),
        Result(
            "build on postgres: client CPU per build vs sqlite",
            pg_cpu / sqlite_cpu,
            "x",
            1.15,
        ),
    ]
