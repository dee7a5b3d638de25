"""Ledger benchmarks: durable append latency, and search at 10,000 / 100,000 / 1,000,000 messages.

The messages are realistic, varied chat text (a Zipf-distributed vocabulary of product and
engineering words, identifiers, numbers, a little non-English including Japanese), written as
JSONL session files and indexed by `Ledger.reindex()`, the same code path as `charter reindex`.
Search is timed for every query of QUERIES (words, phrases, operators, a typo, CJK that matches
and CJK that does not, one- and two-character CJK, emoji and symbols) five times; the figure is
the p99 over all of them (target 20 ms at every size: no query may fall back to a scan).
"""

from __future__ import annotations

import random
import shutil
import tempfile
import time
from pathlib import Path

from bench.harness import Result, p50, p99, timings_ms
from charter.transcripts import Ledger, Record

SIZES = (10_000, 100_000, 1_000_000)
SESSIONS = 100
WORDS = """
the a to and of it is that in for we should be must not with on this as can when if or
service events batch batches json payload request response client server device devices daily
totals report store database table index query search retry retries timeout latency error
errors status code reply accept reject limit size bytes header token user users admin page
config setting default value field schema version migration deploy build test tests verify
log logs metric metrics alert alerts queue worker job jobs schedule cron hour day week month
upload download file files path directory cache key value session login logout password email
address ip privacy keep delete remove archive export import csv api endpoint post get put
rate throttle backoff idempotent idempotency duplicate order sort filter page pagination cursor
offset count sum average median percentile p99 slow fast memory disk cpu network region zone
replica primary failover backup restore snapshot encrypt encryption tls certificate rotate
secret vault permission role group team owner review approve spec requirement section
""".split()  # noqa: SIM905  (a word list reads better as text)
NAMES = ["ING", "RPT", "SEC", "API", "OPS", "UI"]
FOREIGN = [
    "les événements arrivent par lots",
    "die Geräte senden täglich Berichte",
    "日本語のラベルを使う",
    "пакеты событий в формате JSON",
    "los totales diarios por dispositivo",
]
QUERIES = [
    "events",
    "retry timeout",
    "idempotency",
    '"daily totals"',
    "batch json",
    "privacy ip address",
    "ING-12",
    'unbalanced "quote',
    "p99 latency",
    "certificate rotate",
    "événements",
    "backoff",
    "evnets",  # a typo: no hit
    "日本語",  # no spaces between words: found by character grams
    "ラベル",
    "語",  # one character
    "中文",  # two characters, no hit
    "漢字かな交じり文",  # no hit
    "🚀",  # no hit
    "*",
    "->",  # no hit
    "no such words anywhere at all",
]


def _sentence(rng: random.Random, weights: list[float]) -> str:
    """One message of Zipf-weighted words, sometimes with an ID, a number or foreign text."""
    words = rng.choices(WORDS, weights=weights, k=rng.randint(4, 60))
    if rng.random() < 0.3:
        words.insert(rng.randrange(len(words)), f"{rng.choice(NAMES)}-{rng.randint(1, 40)}")
    if rng.random() < 0.2:
        words.insert(rng.randrange(len(words)), f"{rng.randint(1, 5000)}ms")
    text = " ".join(words).capitalize() + rng.choice([".", "?", "!", "", "\n"])
    if rng.random() < 0.05:
        text += " " + rng.choice(FOREIGN)
    if rng.random() < 0.05:
        text += "\r\n\t" + " ".join(rng.choices(WORDS, weights=weights, k=200))
    return text


def write_corpus(transcripts: Path, count: int, seed: int = 7) -> None:
    """Write `count` records across SESSIONS session files, as the ledger itself would."""
    rng = random.Random(seed)
    weights = [1 / (rank + 1) for rank in range(len(WORDS))]
    transcripts.mkdir(parents=True, exist_ok=True)
    per_session = count // SESSIONS
    number = 0
    for s in range(SESSIONS):
        session = f"s-2026{1 + s // 28:02d}{1 + s % 28:02d}-01"
        lines = []
        for i in range(per_session):
            number += 1
            minute, second = i // 60 % 60, i % 60
            role = ("user", "scribe", "event")[i % 3]
            record = Record(
                id=f"m-{number:04d}",
                session=session,
                ts=f"{session[2:6]}-{session[6:8]}-{session[8:10]}T10:{minute:02d}:{second:02d}.000Z",
                role=role,
                kind={"user": "message", "scribe": "reply", "event": "accept"}[role],
                text=_sentence(rng, weights),
            )
            lines.append(record.to_line())
        (transcripts / f"{session}.jsonl").write_bytes(b"".join(lines))


def bench_append(root: Path) -> float:
    """p50 of `Ledger.append` (fsynced line + index update) in ms."""
    ledger = Ledger(root / "transcripts", root / "state.db", state_dir=root)
    session = ledger.current_session()
    rng = random.Random(1)
    weights = [1 / (rank + 1) for rank in range(len(WORDS))]
    texts = [_sentence(rng, weights) for _ in range(600)]
    it = iter(texts)
    values = timings_ms(lambda: ledger.append(session, "user", next(it)), repeat=500, warmup=50)
    ledger.close()
    return p50(values)


def _search_size(root: Path, count: int) -> list[Result]:
    """Write and reindex `count` messages, then time every query five times."""
    corpus = root / f"corpus{count}"
    write_corpus(corpus / "transcripts", count)
    ledger = Ledger(corpus / "transcripts", corpus / "state.db", state_dir=corpus)
    start = time.perf_counter()
    stats = ledger.reindex()
    reindex_ms = (time.perf_counter() - start) * 1000
    assert stats.records == count, stats
    searches: list[float] = []
    cpu: list[float] = []
    slowest: dict[str, float] = {}
    hits: dict[str, int] = {}
    for _ in range(5):
        for query in QUERIES:
            start, start_cpu = time.perf_counter(), time.thread_time()
            hits[query] = len(ledger.search(query, limit=50))
            searches.append((time.perf_counter() - start) * 1000)
            cpu.append((time.thread_time() - start_cpu) * 1000)
            slowest[query] = max(slowest.get(query, 0.0), searches[-1])
    assert hits["日本語"] and not hits["中文"] and not hits["evnets"], hits
    ids = [f"m-{n:04d}" for n in random.Random(3).sample(range(1, count + 1), 500)]
    lookups = timings_ms(lambda: [ledger.user_text(i) for i in ids], repeat=5)
    ledger.close()
    size = f"{count:,} messages"
    return [
        Result(
            f"ledger: search p99, any query (slowest: {max(slowest, key=slowest.__getitem__)})",
            p99(searches),
            "ms",
            20.0,
            series="ledger search p99",
            size=size,
        ),
        Result(
            "ledger: search p99 in this thread's CPU time (load excluded)",
            p99(cpu),
            "ms",
            None,
            series="ledger search p99 cpu",
            size=size,
        ),
        Result(
            "ledger: search p50", p50(searches), "ms", None, series="ledger search p50", size=size
        ),
        Result(
            "ledger: reindex",
            reindex_ms,
            "ms",
            15_000.0 * count / 100_000,
            series="ledger reindex",
            size=size,
        ),
        Result(
            "ledger: user_text lookup (quote check) mean",
            p50(lookups) / len(ids),
            "ms",
            0.2,
            series="ledger lookup",
            size=size,
        ),
    ]


def run() -> list[Result]:
    """Measure append latency, then reindex time and search latency at every size."""
    with tempfile.TemporaryDirectory(prefix="charter-bench-ledger-") as tmp:
        root = Path(tmp)
        results = [Result("ledger: durable append p50", bench_append(root / "append"), "ms", 2.0)]
        for count in SIZES:
            results += _search_size(root, count)
            shutil.rmtree(root / f"corpus{count}", ignore_errors=True)
    return results
