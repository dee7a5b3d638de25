"""TUI benchmarks: cold start to the first frame, and opening a big workspace.

Each figure is measured in a fresh subprocess so imports count: the parent starts the clock,
the child imports the TUI, runs it headless (Textual's test driver renders every frame) and
prints its figures as JSON once the main screen shows the spec tree and the chat.

- cold start on the example workspace (`app.services.example` materialises it as `make run`
  does): target < 0.5 s;
- big workspaces at three sizes, 1,000 requirements + 10,000 messages, 5,000 + 50,000 and
  10,000 + 100,000: first frame (median of 3 runs; < 1.2 s at the largest), resident memory
  (once loaded; the largest of the 3 runs, as each run must stay < 250 MB), and at the largest
  the CPU time per scroll step (one key press and the repaint it causes, measured as this
  process's CPU time so other processes on the machine do not count) in the chat and in the
  spec tree; 50 ms per step is roughly where a stall becomes visible.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import Result

ROOT = Path(__file__).resolve().parent.parent
SESSION = "s-20260101-01"
SECTIONS = 5
PER_SECTION = 20
SIZES = ((10, 10_000), (50, 50_000), (100, 100_000))  # (spec files of 100 reqs, messages)
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
}

# The child: import as `charter` does, open, wait for the first frame showing the spec tree and
# the chat, then measure scrolling.
CHILD = """
import asyncio, json, sys, time
t0 = time.perf_counter()
from pathlib import Path
import charter.app.cli  # what `charter` imports before it opens the TUI
from charter.app.commands.tui import open_tui  # noqa: F401
import psutil
import gc
gc.disable()
from charter.app.tui.app import CharterApp  # as open_tui does
gc.freeze()
gc.enable()

STEPS = int(sys.argv[2])

async def steps(pilot, key):
    # CPU milliseconds per key press and the repaint it causes (other processes excluded).
    start = time.process_time()
    for _ in range(STEPS):
        await pilot.press(key)
        await pilot.pause()
    return (time.process_time() - start) * 1000 / STEPS

async def main():
    app = CharterApp(Path(sys.argv[1]), env={}, take_lock=False)
    out = {}
    async with app.run_test(size=(120, 40)) as pilot:
        await app.wait_ready(settled=False)
        out["first_frame_s"] = time.perf_counter() - t0
        print(json.dumps({"first_frame": True}), flush=True)
        await app.wait_ready()  # memory is measured once everything has loaded
        out["rss_mb"] = psutil.Process().memory_info().rss / 2**20
        if STEPS:
            screen = app.main
            while app.screen is not screen:
                app.pop_screen()
                await pilot.pause()
            screen.chat_log.focus()
            await pilot.pause()
            out["chat_step_ms"] = await steps(pilot, "up")
            start = time.perf_counter()
            await screen.chat.load_earlier_worker().wait()
            await pilot.pause()
            out["load_earlier_ms"] = (time.perf_counter() - start) * 1000
            screen.action_focus_pane("spec")
            await pilot.pause()
            out["tree_step_ms"] = await steps(pilot, "down")
        out["rss_mb"] = max(out["rss_mb"], psutil.Process().memory_info().rss / 2**20)
    print(json.dumps(out), flush=True)

asyncio.run(main())
"""


def _git(root: Path, *args: str) -> None:
    """Run git with a fixed identity and date."""
    env = {**os.environ, **GIT_ENV}
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, env=env)


def make_big_workspace(root: Path, files: int, messages: int) -> Path:
    """A committed workspace with files×5×20 requirements and a `messages`-record session."""
    from charter.app.workspace import init_workspace
    from charter.specs import (
        Provenance,
        ProvenanceKind,
        Requirement,
        Section,
        SpecFile,
        render_file,
    )
    from charter.transcripts import Ledger, Record

    init_workspace(root)
    lines: list[bytes] = []
    for n in range(1, messages + 1):
        role = "user" if n % 2 else "scribe"
        text = (
            f"message {n}: devices send batch {n} of events as JSON, and we want totals"
            if role == "user"
            else f"Noted. I would add **requirement {n}** to the `Ingest` section."
        )
        record = Record(
            id=f"m-{n:05d}",
            session=SESSION,
            ts="2026-01-01T00:00:00.000Z",
            role=role,
            kind="message" if role == "user" else "reply",
            text=text,
        )
        lines.append(record.to_line())
    (root / "transcripts" / f"{SESSION}.jsonl").write_bytes(b"".join(lines))
    Ledger(root / "transcripts", state_dir=root / ".charter").switch_session(SESSION)

    kinds = (ProvenanceKind.EXPLICIT, ProvenanceKind.INFERRED, ProvenanceKind.CONFIRMED)
    for f in range(files):
        prefix = f"F{f}S"
        sections = []
        for s in range(SECTIONS):
            reqs = []
            for r in range(PER_SECTION):
                number = s * PER_SECTION + r + 1
                kind = kinds[(f + s + r) % 3]
                msg = 2 * ((f * 100 + number) % (messages // 2)) + 1
                provenance = (
                    Provenance(kind=kind, reason="the scribe's reading of the batch rule")
                    if kind is ProvenanceKind.INFERRED
                    else Provenance(kind=kind, messages=[f"m-{msg:05d}"], quote="events as JSON")
                )
                reqs.append(
                    Requirement(
                        id=f"{prefix}{s}-{number}",
                        text=f"The service MUST accept batch {number} of section {s} as JSON.",
                        locked=(r % 7 == 0),
                        provenance=provenance,
                    )
                )
            sections.append(Section(title=f"Section {s}", blocks=reqs))
        spec_file = SpecFile(path=f"part{f:02d}.md", title=f"Part {f}", sections=sections)
        (root / "specs" / spec_file.path).write_text(render_file(spec_file), encoding="utf-8")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "spec: a big generated spec")
    return root


def example_workspace(root: Path) -> Path:
    """The bundled example workspace, materialised as `make run` does."""
    from charter.app.services.example import materialise

    return materialise(ROOT / "examples" / "telemetry", root).root


def run_child(workspace: Path, steps: int) -> tuple[float, dict[str, float]]:
    """Start the child; return wall time to its first frame and its figures."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "CHARTER_MODEL"):
        env.pop(var, None)
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(workspace), str(steps)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=str(workspace),
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    wall = time.perf_counter() - start
    rest = proc.stdout.read()
    err = proc.stderr.read() if proc.stderr else ""
    proc.wait()
    if not first or proc.returncode:
        raise RuntimeError(f"TUI child failed ({proc.returncode}): {err[-2000:]}")
    return wall, json.loads(rest.strip().splitlines()[-1])


def run() -> list[Result]:
    """Cold start on the example, then the big workspace."""
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="charter-bench-tui-") as tmp:
        example = example_workspace(Path(tmp) / "example")
        run_child(example, 0)  # warm the OS file cache and .pyc files once
        walls = sorted(run_child(example, 0)[0] for _ in range(3))
        results.append(Result("tui: cold start to first frame (example)", walls[1], "s", 0.5))
        for files, messages in SIZES:
            big = make_big_workspace(Path(tmp) / f"big{files}", files, messages)
            run_child(big, 0)  # the first open indexes the ledger; measured runs find it done
            runs = [run_child(big, 0) for _ in range(3)]
            size = f"{files * SECTIONS * PER_SECTION:,} reqs + {messages:,} messages"
            largest = (files, messages) == SIZES[-1]
            results += [
                Result(
                    "tui: first frame, big workspace (median of 3)",
                    sorted(w for w, _ in runs)[1],
                    "s",
                    1.2 if largest else None,
                    series="tui first frame",
                    size=size,
                ),
                Result(
                    "tui: resident memory, big workspace (worst of 3)",
                    max(f["rss_mb"] for _, f in runs),
                    "MB",
                    250,
                    series="tui rss",
                    size=size,
                ),
            ]
            if largest:
                _, figures = run_child(big, 40)
                results += [
                    Result("tui: chat scroll step", figures["chat_step_ms"], "ms", 50, size=size),
                    Result(
                        "tui: spec tree scroll step", figures["tree_step_ms"], "ms", 50, size=size
                    ),
                    Result(
                        "tui: load 40 earlier messages",
                        figures["load_earlier_ms"],
                        "ms",
                        250,
                        size=size,
                    ),
                ]
    return results


if __name__ == "__main__":
    for result in run():
        print(result)
