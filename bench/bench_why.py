"""`charter why` on a 500-commit spec history: the git history walk plus the whole report.

The history is made by the real commit path (`commit_spec_change`, with ledger lines appended by
`Ledger` and committed alongside): five spec files, requirements added, reworded, confirmed and
removed over 500 commits, ending with about 300 requirements. The measured requirement was
touched about 20 times along the way (text edits and provenance-only confirms).
"""

from __future__ import annotations

import random
import subprocess
import tempfile
import time
from pathlib import Path

from bench.harness import Result, p50, timings_ms
from charter.app.services.why import explain
from charter.app.workspace import init_workspace, open_workspace
from charter.specs import CommitMessage, Intent, commit_spec_change, requirement_history
from charter.transcripts import Ledger

COMMITS = 500
SESSION = "s-20261121-01"
SECTIONS = ["ING", "RPT", "SEC", "API", "OPS"]
TARGET = "ING-1"
VERBS = ["MUST", "SHOULD", "MAY", "MUST NOT"]
NOUNS = ["events", "batches", "daily totals", "client IPs", "retries", "exports", "tokens"]


def _render(title: str, reqs: dict[str, tuple[str, str]]) -> bytes:
    """One spec file: a title, a section, and its requirements with provenance lines."""
    items = "".join(f"- **{rid}** {text}\n  > {prov}\n" for rid, (text, prov) in reqs.items())
    return f"# {title}\n\nPart of the telemetry service.\n\n## {title}\n\n{items}".encode()


def build_history(root: Path, rng: random.Random) -> None:
    """Make `COMMITS` spec commits in the workspace at `root`."""
    ledger = Ledger(root / "transcripts")
    files: dict[str, dict[str, tuple[str, str]]] = {s: {} for s in SECTIONS}
    counters = dict.fromkeys(SECTIONS, 0)
    transcript = f"transcripts/{SESSION}.jsonl"
    for n in range(COMMITS):
        said = f"change {n}: the service should handle {rng.choice(NOUNS)} better"
        msg = ledger.append(SESSION, "user", said)
        if n % 25 == 3:  # the measured requirement: reworded, or confirmed by the user
            section = "ING"
            text = f"The service MUST accept {rng.choice(NOUNS)} (rev {n})."
            prov = (
                f'confirmed ({msg.id}): "the service should"'
                if n % 50 == 3
                else "inferred: the scribe's reading of the request"
            )
            files[section][TARGET] = (text, prov)
        elif n % 7 == 6 and any(len(r) > 3 for r in files.values()):
            section = rng.choice([s for s in SECTIONS if len(files[s]) > 3])
            victim = rng.choice([r for r in files[section] if r != TARGET])
            del files[section][victim]
        else:
            section = rng.choice(SECTIONS)
            counters[section] += 1
            rid = f"{section}-{counters[section]}"
            if rid == TARGET:
                counters[section] += 1
                rid = f"{section}-{counters[section]}"
            text = f"The service {rng.choice(VERBS)} process {rng.choice(NOUNS)} #{n}."
            files[section][rid] = (text, f'explicit ({msg.id}): "the service should"')
        commit_spec_change(
            root,
            files={f"specs/{section.lower()}.md": _render(section, files[section])},
            include_paths=[transcript],
            message=CommitMessage(
                subject=f"change {n}", intents=[Intent(id=msg.id, text=said)], session=SESSION
            ),
        )
    ledger.close()


def run() -> list[Result]:
    """Build the history once, then time the full `why` report and the git walk alone.

    Charter commits with plumbing, which leaves loose objects (git packs them once `gc --auto`
    reaches its threshold, or on the user's next `git gc`), so the report is timed twice: on the
    history as built, and after `git gc`.
    """
    with tempfile.TemporaryDirectory(prefix="charter-bench-why-") as tmp:
        root = Path(tmp) / "ws"
        init_workspace(root)
        started = time.perf_counter()
        build_history(root, random.Random(7))
        built = time.perf_counter() - started
        ws = open_workspace(root)
        touched = len(requirement_history(root, ws.spec_dir, TARGET))
        report = p50(timings_ms(lambda: explain(ws, TARGET), 10))
        walk = p50(timings_ms(lambda: requirement_history(root, ws.spec_dir, TARGET), 10))
        subprocess.run(["git", "gc", "-q"], cwd=root, check=True)
        packed = p50(timings_ms(lambda: explain(ws, TARGET), 10))
        return [
            Result("why: 500-commit history", report, "ms", 300),
            Result(
                f"why: git walk alone ({touched} of {COMMITS} commits touch it)", walk, "ms", 300
            ),
            Result("why: 500-commit history, after git gc", packed, "ms", 300),
            Result("spec commit (commit_spec_change), mean", built / COMMITS * 1000, "ms", 100),
        ]
