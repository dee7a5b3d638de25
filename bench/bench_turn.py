"""Benchmark: Charter's own cost of one scribe turn, at 100, 1,000 and 10,000 requirements.

Two figures, from real turns (say → the tool loop → proposal → accept and its commit) against
the scripted model server, in this one process:

- overhead: the turn's wall time (measured here, around `say` and `accept`) minus only the
  server's own latency, which is fixed (every scripted reply waits `LATENCY_S`): requests ×
  LATENCY_S. Everything else counts: the HTTP client, LangChain, the tool loop, persisting the
  message, checking and validating the proposal, the diff, the checkpoints, the ledger and the
  commit. Targets: p50 under 50 ms at 100 and 1,000 requirements, under 150 ms at 10,000;
- tokens: what the turn sent to the model (every request's messages and tools, in characters,
  summed over the turn's requests) against one request that pastes the whole spec instead of
  the outline, as a percentage. Targets: under 50 % at 100 requirements, under 15 % above;
- connections: TCP connections the model client opened per turn (the scripted server counts
  them). Target: at most 1, so that the tool loop's calls share one (with a remote endpoint
  each new one is a TLS handshake, which the loopback server would not show as time).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.harness import LATENCY_S, Result, git_identity, p50

# requirements: (files, sections per file, requirements per section)
SIZES = {100: (2, 5, 10), 1_000: (10, 5, 20), 10_000: (20, 10, 50)}
OVERHEAD_MS = {100: 50.0, 1_000: 50.0, 10_000: 150.0}
TOKEN_SHARE = {100: 50.0, 1_000: 15.0, 10_000: 15.0}
CONNECTIONS = 1.0
TURNS = 12


def _spec_files(files_n: int, sections_n: int, per_section: int) -> dict[str, str]:
    """Files of sections of requirements, each with a provenance line."""
    from charter.specs import (
        Prose,
        Provenance,
        ProvenanceKind,
        Requirement,
        Section,
        SpecFile,
        render_file,
    )

    inferred = Provenance(
        kind=ProvenanceKind.INFERRED, reason="a representative requirement for the benchmark"
    )
    files = {}
    for f in range(files_n):
        sections = [
            Section(
                title=f"Area {s} of component {f}",
                blocks=[
                    Requirement(
                        id=f"C{f}S{s}-{n}",
                        text=f"The component MUST handle case {n} of area {s} within "
                        f"{n * 10} ms and report failures to the operator.",
                        provenance=inferred,
                    )
                    for n in range(1, per_section + 1)
                ],
            )
            for s in range(sections_n)
        ]
        spec = SpecFile(
            path=f"component-{f}.md",
            title=f"Component {f}",
            intro=[Prose(text=f"What component {f} does, in a sentence or two.")],
            sections=sections,
        )
        files[spec.path] = render_file(spec)
    return files


def _git(root: Path, *args: str) -> None:
    """Run git quietly in `root`."""
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def _request_chars(body: dict[str, Any]) -> int:
    """Characters one request sends: its messages and its tool definitions."""
    return len(json.dumps(body.get("messages", []), ensure_ascii=False)) + len(
        json.dumps(body.get("tools", []), ensure_ascii=False)
    )


def _turns(size: int) -> tuple[list[float], list[float], float]:
    """Run TURNS turns on a spec of `size` requirements: overheads (ms), token shares (%) and
    the connections opened per measured turn."""
    from charter.agents import ModelFactory, ModelSettings
    from charter.graphs.intent import IntentSession
    from tests.fakellm import FakeLLM

    files_n, sections_n, _ = SIZES[size]
    overhead: list[float] = []
    shares: list[float] = []
    connections = 0
    with tempfile.TemporaryDirectory(prefix="charter-bench-") as tmp, FakeLLM() as llm:
        root = Path(tmp)
        _git(root, "init", "-q", "-b", "main")
        spec_dir = root / "specs"
        spec_dir.mkdir()
        files = _spec_files(*SIZES[size])
        for name, text in files.items():
            (spec_dir / name).write_text(text, encoding="utf-8")
        whole_spec = sum(len(json.dumps(t, ensure_ascii=False)) for t in files.values())
        _git(root, "add", "-A")
        _git(root, "commit", "-q", "-m", "seed")
        factory = ModelFactory(ModelSettings(timeout=30, max_retries=0), env=llm.env())
        state = root / ".charter"
        with IntentSession(
            root,
            spec_dir,
            root / "transcripts",
            state,
            state / "checkpoints.db",
            factory,
            "fake-model",
        ) as session:
            for turn in range(TURNS + 1):
                f, s = turn % files_n, turn % sections_n
                file, section = f"component-{f}.md", f"Area {s} of component {f}"
                quote = f"retry case {turn} three times"
                before, opened = len(llm.chat_requests), llm.connections
                llm.tool_call("read_section", {"file": file, "section": section}, delay=LATENCY_S)
                llm.tool_call(
                    "propose_change",
                    {
                        "summary": f"retries for case {turn}",
                        "items": [
                            {
                                "op": "add_requirement",
                                "file": file,
                                "section": section,
                                "text": f"The component MUST retry case {turn} three times.",
                                "provenance": "explicit",
                                "messages": [f"m-{turn * 3 + 1:04d}"],
                                "quote": quote,
                            }
                        ],
                    },
                    delay=LATENCY_S,
                )
                started = time.perf_counter()
                outcome = session.say(f"please {quote} before giving up")
                if outcome.kind != "proposal":
                    raise RuntimeError(f"turn {turn}: {outcome.kind} {outcome.text}")
                session.accept()
                wall_ms = (time.perf_counter() - started) * 1000
                if turn == 0:
                    continue  # warm-up: imports, first checkpoint tables, git caches
                connections += llm.connections - opened
                sent = [r.body for r in llm.chat_requests[before:]]
                overhead.append(wall_ms - len(sent) * LATENCY_S * 1000)
                turn_chars = sum(_request_chars(b) for b in sent)
                outline = len(json.dumps(sent[0]["messages"][1]["content"]))
                baseline = _request_chars(sent[0]) - outline + whole_spec
                shares.append(100.0 * turn_chars / baseline)
    return overhead, shares, connections / TURNS


def run() -> list[Result]:
    """Turn overhead p50, mean token share and connections per turn at every size."""
    results: list[Result] = []
    with git_identity():
        for size in SIZES:
            overhead, shares, connections = _turns(size)
            label = f"{size:,} requirements"
            results += [
                Result(
                    "scribe: turn overhead p50 (tool loop included, latency subtracted)",
                    p50(overhead),
                    "ms",
                    OVERHEAD_MS[size],
                    series="scribe turn overhead",
                    size=label,
                ),
                Result(
                    "scribe: tokens sent per turn vs pasting the whole spec",
                    sum(shares) / len(shares),
                    "%",
                    TOKEN_SHARE[size],
                    series="scribe token share",
                    size=label,
                ),
                Result(
                    "scribe: model connections opened per turn",
                    connections,
                    "",
                    CONNECTIONS,
                    series="scribe connections per turn",
                    size=label,
                ),
            ]
    return results
