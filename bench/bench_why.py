"""`charter why` on long spec histories: 500, 5,000 and 50,000 commits.

Each history is written by `git fast-import` in one pass (seconds even at 50,000 commits): 20
spec files of at most 15 requirements each, requirements added, reworded, confirmed (a
provenance-only change) and removed, each commit carrying a Charter commit message with the
user's words. The measured requirement is touched 20 times (every 25th commit at 500). Per size:

- `why` report, index up to date: the whole `explain()` (spec, ledger, index lookup, the
  commits' metadata) with the requirement index in state.db current; targets 100 / 200 / 500 ms;
- `why` right after a new spec commit (made by the real commit path): the report including the
  incremental index update; same targets;
- the index built from scratch (what `charter reindex` does): shown for information.

At 500 commits the history walk without the index is timed too, for comparison, and the mean
cost of `commit_spec_change` on top of that history (target 100 ms).
"""

from __future__ import annotations

import random
import subprocess
import tempfile
import time
from pathlib import Path

from bench.harness import Result, git_identity, p50, timings_ms
from charter.app.services.why import explain
from charter.app.workspace import init_workspace, open_workspace
from charter.specs import (
    CommitMessage,
    Intent,
    RequirementIndex,
    commit_spec_change,
    render_commit_message,
    requirement_history,
)

SIZES = (500, 5_000, 50_000)
TARGETS_MS = {500: 100.0, 5_000: 200.0, 50_000: 500.0}
FILES = 20
PER_FILE = 15
TOUCHES = 20  # a requirement's own history does not grow with the repository's
TARGET = "F0-1"
NOUNS = ["events", "batches", "daily totals", "client IPs", "retries", "exports", "tokens"]


def _render(n: int, reqs: dict[str, tuple[str, str]]) -> bytes:
    """One spec file: a title, a section, and its requirements with provenance lines."""
    items = "".join(f"- **{rid}** {text}\n  > {prov}\n" for rid, (text, prov) in reqs.items())
    return f"# Part {n}\n\nPart of the telemetry service.\n\n## Part {n}\n\n{items}".encode()


def _data(blob: bytes) -> bytes:
    """A fast-import `data` command."""
    return b"data %d\n%s\n" % (len(blob), blob)


def write_history(root: Path, commits: int, rng: random.Random) -> None:
    """`commits` spec commits on the current branch, written with git fast-import."""
    branch = subprocess.run(
        ["git", "symbolic-ref", "HEAD"], cwd=root, check=True, capture_output=True, text=True
    ).stdout.strip()
    files: list[dict[str, tuple[str, str]]] = [{} for _ in range(FILES)]
    step = max(25, commits // TOUCHES)
    counters = [0] * FILES
    proc = subprocess.Popen(
        ["git", "fast-import", "--quiet", "--done"], cwd=root, stdin=subprocess.PIPE
    )
    assert proc.stdin is not None
    for n in range(commits):
        msg = f"m-{n + 1:04d}"
        said = f"change {n}: the service should handle {rng.choice(NOUNS)} better"
        if n % step == 3:  # the measured requirement: reworded or confirmed
            f = 0
            text = f"The service MUST accept {rng.choice(NOUNS)} (rev {n})."
            prov = (
                f'confirmed ({msg}): "the service should"'
                if n % (2 * step) == 3
                else "inferred: why"
            )
            files[0][TARGET] = (text, prov)
        elif n % 7 == 6:
            f = rng.choice([i for i, r in enumerate(files) if len(r) > 1] or [1])
            victims = [r for r in files[f] if r != TARGET]
            if victims:
                del files[f][rng.choice(victims)]
        else:
            f = rng.randrange(FILES)
            if len(files[f]) >= PER_FILE:  # files stay small: the oldest goes as one comes
                del files[f][next(r for r in files[f] if r != TARGET)]
            counters[f] += 1 + (f == 0 and counters[f] == 0)  # F0-1 is the measured one
            rid = f"F{f}-{counters[f]}"
            files[f][rid] = (
                f"The service MUST process {rng.choice(NOUNS)} #{n}.",
                f'explicit ({msg}): "the service should"',
            )
        message = render_commit_message(
            CommitMessage(subject=f"change {n}", intents=[Intent(id=msg, text=said)])
        )
        proc.stdin.write(
            b"commit %s\ncommitter Bench <bench@example.com> %d +0000\n"
            % (branch.encode(), 1_700_000_000 + n)
            + _data(message.encode())
            + b"M 100644 inline specs/part%02d.md\n" % f
            + _data(_render(f, files[f]))
        )
    proc.stdin.write(b"done\n")
    proc.stdin.close()
    if proc.wait() != 0:
        raise RuntimeError("git fast-import failed")
    subprocess.run(["git", "reset", "-q", "--hard"], cwd=root, check=True)


def _measure(base: Path, commits: int) -> list[Result]:
    """Build one history and time `why` on it."""
    root = base / f"ws{commits}"
    init_workspace(root)
    started = time.perf_counter()
    write_history(root, commits, random.Random(7))
    made = time.perf_counter() - started
    ws = open_workspace(root)
    with RequirementIndex(ws.state_db, ws.root, ws.spec_dir) as index:
        started = time.perf_counter()
        index.rebuild()
        built = time.perf_counter() - started
    touched = len(explain(ws, TARGET).commits)
    report = p50(timings_ms(lambda: explain(ws, TARGET), repeat=10))
    after_commit = []
    for n in range(5):
        commit_spec_change(
            root,
            files={"specs/part00.md": (root / "specs/part00.md").read_bytes() + b"\n" * (n + 1)},
            message=CommitMessage(subject=f"bench {n}"),
        )
        start = time.perf_counter()
        explain(ws, TARGET)
        after_commit.append((time.perf_counter() - start) * 1000)
    size = f"{commits:,} commits"
    target = TARGETS_MS[commits]
    results = [
        Result(
            f"why: report, index current ({touched} touch it)",
            report,
            "ms",
            target,
            series="why report",
            size=size,
        ),
        Result(
            "why: report right after a new commit (incremental)",
            p50(after_commit),
            "ms",
            target,
            series="why after commit",
            size=size,
        ),
        Result(
            "why: build the requirement index from scratch",
            built * 1000,
            "ms",
            None,
            series="why index build",
            size=size,
        ),
        Result(
            "why: write the history with git fast-import",
            made * 1000,
            "ms",
            None,
            series="why history generation",
            size=size,
        ),
    ]
    if commits == SIZES[0]:
        walk = p50(timings_ms(lambda: requirement_history(root, ws.spec_dir, TARGET), repeat=5))
        results.append(Result("why: history walk without the index", walk, "ms", None, size=size))
        spent = []
        for n in range(20):
            start = time.perf_counter()
            commit_spec_change(
                root,
                files={"specs/part01.md": (root / "specs/part01.md").read_bytes() + b"\n"},
                message=CommitMessage(subject=f"mean {n}"),
            )
            spent.append((time.perf_counter() - start) * 1000)
        results.append(
            Result("spec commit (commit_spec_change), mean", sum(spent) / len(spent), "ms", 100)
        )
    return results


def run() -> list[Result]:
    """Measure at every size."""
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="charter-bench-why-") as tmp, git_identity():
        for commits in SIZES:
            results += _measure(Path(tmp), commits)
    return results


if __name__ == "__main__":
    for result in run():
        print(result)
