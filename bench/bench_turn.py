"""Benchmark: Charter's own cost of one scribe turn on a 1,000-requirement spec.

Two figures, from real turns (say → proposal → accept) against the scripted model server:

- overhead: the turn's wall time minus the time spent in model calls (persisting the message,
  checking and validating the proposal, the diff, the checkpoints, the ledger and the commit);
- tokens: what the turn sent to the model (every request's messages and tools, in characters,
  summed over the turn's requests) against one request that pastes the whole spec instead of
  the outline, as a percentage.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.harness import Result, p50

FILES, SECTIONS, PER_SECTION = 10, 5, 20  # 1,000 requirements
TURNS = 15


def _spec_files() -> dict[str, str]:
    """Ten files of five sections of twenty requirements, each with a provenance line."""
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
    for f in range(FILES):
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
                    for n in range(1, PER_SECTION + 1)
                ],
            )
            for s in range(SECTIONS)
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


def run() -> list[Result]:
    """Run TURNS turns and report the p50 overhead and the mean token share."""
    from charter.agents import ModelFactory, ModelSettings
    from charter.graphs.intent import IntentSession
    from tests.fakellm import FakeLLM

    identity = {
        "GIT_AUTHOR_NAME": "Bench",
        "GIT_AUTHOR_EMAIL": "bench@example.com",
        "GIT_COMMITTER_NAME": "Bench",
        "GIT_COMMITTER_EMAIL": "bench@example.com",
    }
    saved = {k: os.environ.get(k) for k in identity}
    os.environ.update(identity)
    overhead: list[float] = []
    shares: list[float] = []
    try:
        with tempfile.TemporaryDirectory(prefix="charter-bench-") as tmp, FakeLLM() as llm:
            root = Path(tmp)
            _git(root, "init", "-q", "-b", "main")
            spec_dir = root / "specs"
            spec_dir.mkdir()
            files = _spec_files()
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
                for turn in range(TURNS):
                    f, s = turn % FILES, turn % SECTIONS
                    file, section = f"component-{f}.md", f"Area {s} of component {f}"
                    quote = f"retry case {turn} three times"
                    before = len(llm.chat_requests)
                    llm.tool_call("read_section", {"file": file, "section": section})
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
                    )
                    outcome = session.say(f"please {quote} before giving up")
                    if outcome.kind != "proposal":
                        raise RuntimeError(f"turn {turn}: {outcome.kind} {outcome.text}")
                    started = time.perf_counter()
                    session.accept()
                    accept_ms = (time.perf_counter() - started) * 1000
                    if turn == 0:
                        continue  # warm-up: imports, first checkpoint tables, git caches
                    overhead.append(outcome.total_ms - outcome.model_ms + accept_ms)
                    sent = [r.body for r in llm.chat_requests[before:]]
                    turn_chars = sum(_request_chars(b) for b in sent)
                    outline = len(json.dumps(sent[0]["messages"][1]["content"]))
                    baseline = _request_chars(sent[0]) - outline + whole_spec
                    shares.append(100.0 * turn_chars / baseline)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return [
        Result("scribe: turn overhead, 1,000 requirements", p50(overhead), "ms", 50.0),
        Result(
            "scribe: tokens sent per turn vs whole spec, 1,000 requirements",
            sum(shares) / len(shares),
            "%",
            15.0,
        ),
    ]


if __name__ == "__main__":
    for result in run():
        print(f"{result.name}: {result.value:.2f} {result.unit} (target {result.target})")
