"""The transcript ledger through its public API: verbatim storage, durability, torn writes,
message IDs, sessions, and the full-text index (search, staleness, rebuild)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from charter.transcripts import MESSAGE_ID_RE, SESSION_ID_RE, Ledger, LedgerError, Record

ROOT = Path(__file__).resolve().parent.parent
SESSION = "s-20261121-01"

NASTY = [
    "",
    " ",
    "trailing spaces   ",
    "\ttabs\tinside\t",
    "windows line\r\nendings\r\n",
    "lone CR\rin the middle\r",
    "\n\n\nblank lines\n\n",
    "\r\n\n\r\r\n mixed",
    "".join(chr(i) for i in range(1, 32)) + "\x7f",
    "C1 controls \x80\x85\x9f and NEL\x85",
    "line\u2028separator\u2029paragraph",
    "\x1c\x1d\x1e record separators",
    "\ufeffbyte order mark and \ufffe\uffff noncharacters",
    "emoji 👩‍👩‍👧‍👦 🏳️‍🌈 👍🏽 🇫🇷",
    "RTL שלום עולם \u200fmixed\u200e مرحبا بالعالم",
    "combining e\u0301 vs é, Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇",
    "astral 𝕳𝖊𝖑𝖑𝖔 \U0010ffff \U0001f600",
    "backslashes \\ \\\\ \\n \\u0000 literally",
    "\"quotes\" 'single' `back`",
    '{"looks": "like json", "id": "m-9999"}\n',
    "ANSI \x1b[31mred\x1b[0m and bell \x07",
    "zero width \u200b\u200c\u200d joiners",
    bytes(range(1, 256)).decode("latin-1"),
    "日本語のテキストと中文和한국어",
]


def big_paste() -> str:
    """About 1 MB of pasted log lines with varied content."""
    line = "2026-11-21 10:00:{:02d} WARN worker-{} 'payload' → ok\t\r\n"
    out = []
    size = 0
    i = 0
    while size < 1_000_000:
        piece = line.format(i % 60, i)
        out.append(piece)
        size += len(piece.encode())
        i += 1
    return "".join(out) + "no final newline  "


def open_ledger(root: Path, index: bool = True) -> Ledger:
    """A fresh Ledger on the workspace-like layout used by the app."""
    return Ledger(
        root / "transcripts",
        root / ".charter" / "state.db" if index else None,
        state_dir=root / ".charter",
    )


def raw_lines(root: Path, session: str = SESSION) -> list[bytes]:
    """The session file's lines as bytes."""
    return (root / "transcripts" / f"{session}.jsonl").read_bytes().split(b"\n")


def test_nasty_strings_round_trip_byte_exact(tmp_path: Path) -> None:
    """Hostile text and a 1 MB paste come back byte for byte, from the API and the raw JSONL."""
    texts = [*NASTY, big_paste()]
    writer = open_ledger(tmp_path)
    written = [writer.append(SESSION, "user", t) for t in texts]

    for ledger in (open_ledger(tmp_path), open_ledger(tmp_path, index=False)):
        back = ledger.records(SESSION)
        assert [r.text for r in back] == texts
        assert [r.id for r in back] == [r.id for r in written]
        for record, text in zip(written, texts, strict=True):
            assert ledger.user_text(record.id) == text
            assert ledger.get(record.id) == record

    lines = [line for line in raw_lines(tmp_path) if line]
    assert len(lines) == len(texts)
    for line, text in zip(lines, texts, strict=True):
        assert json.loads(line.decode("utf-8"))["text"] == text
        assert line.decode("utf-8").encode("utf-8") == line


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=300))
def test_any_text_without_nul_round_trips(tmp_path: Path, text: str) -> None:
    """Any NUL-free Unicode text round-trips through the ledger and the index."""
    record = open_ledger(tmp_path).append(SESSION, "user", text)
    assert open_ledger(tmp_path).user_text(record.id) == text
    assert open_ledger(tmp_path, index=False).user_text(record.id) == text
    last = [line for line in raw_lines(tmp_path) if line][-1]
    assert json.loads(last) == record.to_dict()


@pytest.mark.parametrize(
    ("text", "needle"),
    [("before\x00after", "NUL"), ("lone \ud800 surrogate", "surrogate"), ("\udfff", "surrogate")],
)
def test_unstorable_text_is_refused_and_nothing_written(
    tmp_path: Path, text: str, needle: str
) -> None:
    """NUL and lone surrogates are refused with a clear error; the file is untouched."""
    ledger = open_ledger(tmp_path)
    first = ledger.append(SESSION, "user", "fine")
    before = (tmp_path / "transcripts" / f"{SESSION}.jsonl").read_bytes()
    with pytest.raises(LedgerError, match=needle):
        ledger.append(SESSION, "user", text)
    assert isinstance(LedgerError(needle), ValueError)
    assert (tmp_path / "transcripts" / f"{SESSION}.jsonl").read_bytes() == before
    assert ledger.append(SESSION, "user", "next").number == first.number + 1


def test_unwritable_session_file_is_a_ledger_error_naming_it(tmp_path: Path) -> None:
    """A session file that cannot be written is refused with one line naming it, not an OSError
    traceback; no ID is used up and the next append continues where the ledger left off."""
    ledger = open_ledger(tmp_path)
    first = ledger.append(SESSION, "user", "fine")
    blocked = tmp_path / "transcripts" / "s-20261121-02.jsonl"
    blocked.mkdir()  # unwritable even for root, unlike a chmod
    with pytest.raises(LedgerError, match=f"cannot write {blocked}"):
        ledger.append("s-20261121-02", "user", "lost?")
    assert ledger.append(SESSION, "user", "next").number == first.number + 1


def test_lone_surrogate_in_data_is_refused(tmp_path: Path) -> None:
    """A payload UTF-8 cannot hold is refused before anything is written."""
    ledger = open_ledger(tmp_path)
    with pytest.raises(LedgerError, match="surrogate"):
        ledger.append(SESSION, "event", "x", data={"bad": "\udc80"})
    assert not (tmp_path / "transcripts" / f"{SESSION}.jsonl").exists()


def test_bad_arguments_are_refused_clearly(tmp_path: Path) -> None:
    """A bad session ID, role or payload is a LedgerError naming what is wrong."""
    ledger = open_ledger(tmp_path)
    with pytest.raises(LedgerError, match="session"):
        ledger.append("../escape", "user", "x")
    with pytest.raises(LedgerError, match="role"):
        ledger.append(SESSION, "admin", "x")
    with pytest.raises(LedgerError, match="data"):
        ledger.append(SESSION, "event", "x", data={"when": object()})
    assert not (tmp_path / "transcripts" / f"{SESSION}.jsonl").exists()


def test_record_shape_links_and_timestamps(tmp_path: Path) -> None:
    """Links, payloads, kinds and millisecond UTC timestamps are kept; only user text is intent."""
    ledger = open_ledger(tmp_path)
    question = ledger.append(SESSION, "user", "should it retry?")
    reply = ledger.append(
        SESSION,
        "scribe",
        "proposal ready",
        kind="proposal",
        reply_to=question.id,
        proposal="p-0003",
        data={"edits": [{"op": "add", "id": "ING-1"}], "nul": "\x00"},
    )
    event = ledger.append(SESSION, "event", "accepted", kind="accept", commit="abc123", build="b-1")
    back = open_ledger(tmp_path).records(SESSION)
    assert back == [question, reply, event]
    assert back[1].data == {"edits": [{"op": "add", "id": "ING-1"}], "nul": "\x00"}
    assert back[1].reply_to == question.id and back[2].commit == "abc123"
    for r in back:
        assert r.ts.endswith("Z") and len(r.ts) == len("2026-11-21T10:00:00.000Z")
    first = json.loads(raw_lines(tmp_path)[0])
    assert list(first) == ["id", "session", "ts", "role", "kind", "text"]
    assert open_ledger(tmp_path).user_text(reply.id) is None  # scribe text is not intent
    assert open_ledger(tmp_path).user_text("m-9999") is None
    assert open_ledger(tmp_path).get("not-an-id") is None


def test_ids_are_unique_and_increasing_across_sessions_and_restarts(tmp_path: Path) -> None:
    """Message IDs count up across sessions and new Ledger instances."""
    ids = []
    for session in ("s-20261121-01", "s-20261121-02", "s-20261122-01", "s-20261121-01"):
        ledger = open_ledger(tmp_path)
        ids += [ledger.append(session, "user", f"{session} {i}").id for i in range(3)]
    numbers = [int(MESSAGE_ID_RE.match(i).group(1)) for i in ids]
    assert numbers == list(range(1, 13))
    assert ids[0] == "m-0001"


def test_ids_grow_past_four_digits(tmp_path: Path) -> None:
    """After m-9999 comes m-10000, and the index finds it."""
    high = Record(
        id="m-9999", session=SESSION, ts="2026-11-21T10:00:00.000Z", role="user", text="x"
    )
    (tmp_path / "transcripts").mkdir()
    (tmp_path / "transcripts" / f"{SESSION}.jsonl").write_bytes(high.to_line())
    ledger = open_ledger(tmp_path)
    assert ledger.append(SESSION, "user", "after").id == "m-10000"
    assert [h.record.id for h in ledger.search("after")] == ["m-10000"]


def test_threads_and_instances_share_one_counter(tmp_path: Path) -> None:
    """Concurrent appends from threads and two instances never reuse an ID."""
    ledgers = [open_ledger(tmp_path), open_ledger(tmp_path)]
    errors: list[BaseException] = []

    def work(n: int) -> None:
        """Append 25 messages through one of the two instances."""
        try:
            for i in range(25):
                ledgers[n % 2].append(SESSION, "user", f"thread {n} message {i}")
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    records = open_ledger(tmp_path).records(SESSION)
    assert sorted(r.number for r in records) == list(range(1, 101))
    assert open_ledger(tmp_path).problems() == []
    assert len(open_ledger(tmp_path).search("thread", limit=200)) == 100


WRITER = """
import sys
from pathlib import Path
from charter.transcripts import Ledger
root = Path(sys.argv[1])
ledger = Ledger(root / "transcripts", root / ".charter" / "state.db", state_dir=root / ".charter")
i = 0
while True:
    record = ledger.append("s-20261121-01", "user", f"durable message {i}\\r\\n  ✓ ")
    print("appended", record.id, flush=True)
    i += 1
"""


def test_message_survives_sigkill_right_after_append(tmp_path: Path) -> None:
    """Every append acknowledged before a SIGKILL is readable afterwards."""
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path)],
        stdout=subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None
    acknowledged = []
    for _ in range(5):
        line = proc.stdout.readline().decode()
        assert line.startswith("appended"), line
        acknowledged.append(line.split()[1])
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    ledger = open_ledger(tmp_path)
    texts = {r.id: r.text for r in ledger.records(SESSION)}
    for n, msg_id in enumerate(acknowledged):
        assert texts[msg_id] == f"durable message {n}\r\n  ✓ "
        assert ledger.user_text(msg_id) == f"durable message {n}\r\n  ✓ "
    assert {h.record.id for h in ledger.search("durable", limit=100)} >= set(acknowledged)
    after = ledger.append(SESSION, "user", "after the crash")
    assert after.number > max(int(i[2:]) for i in texts)
    assert open_ledger(tmp_path).get(after.id) == after


def test_torn_last_line_is_reported_and_hides_nothing(tmp_path: Path) -> None:
    """A torn last line is reported by file and line, hides nothing, and appends go on."""
    # Records as a previous process left them, the last one torn by a crash mid-write.
    kept = [
        Record(
            id=f"m-000{i}",
            session=SESSION,
            ts=f"2026-11-21T10:0{i}:00.000Z",
            role="user",
            text=f"message {i} ✓\r\n",
        )
        for i in range(1, 4)
    ]
    torn = Record(
        id="m-0004",
        session=SESSION,
        ts="2026-11-21T10:04:00.000Z",
        role="user",
        text="this one is torn",
    )
    data = b"".join(r.to_line() for r in [*kept, torn])[:-12]
    path = tmp_path / "transcripts" / f"{SESSION}.jsonl"
    path.parent.mkdir()
    path.write_bytes(data)

    ledger = open_ledger(tmp_path)
    read = ledger.read(SESSION)
    assert read.records == kept
    assert len(read.problems) == 1
    assert read.problems[0].file == str(path)
    assert read.problems[0].line == 4
    assert f"{path}:4:" in str(read.problems[0])
    assert {h.record.id for h in ledger.search("message")} == {r.id for r in kept}
    assert ledger.get(torn.id) is None

    later = ledger.append(SESSION, "user", "written after the tear")
    assert later.id == "m-0005"  # the torn line's ID is not handed out again
    assert path.read_bytes() == data + b"\n" + later.to_line()
    again = open_ledger(tmp_path)
    assert again.records(SESSION) == [*kept, later]
    assert [p.line for p in again.problems()] == [4]
    assert again.user_text(later.id) == "written after the tear"
    assert [h.record.id for h in again.search("tear")] == [later.id]


def test_garbled_middle_line_is_reported_and_the_rest_read(tmp_path: Path) -> None:
    """Garbled lines in the middle are reported; the records around them are read."""
    ledger = open_ledger(tmp_path)
    first = ledger.append(SESSION, "user", "first")
    path = tmp_path / "transcripts" / f"{SESSION}.jsonl"
    with path.open("ab") as fh:
        fh.write(b'{"id": "m-0002", "oops\n\xff\xfe not utf-8\n{"id":"m-0003"}\n')
    last = ledger.append(SESSION, "user", "last")
    read = open_ledger(tmp_path).read(SESSION)
    assert read.records == [first, last]
    assert [p.line for p in read.problems] == [2, 3, 4]
    assert all(p.file == str(path) for p in read.problems)


def test_sessions_current_new_and_switch(tmp_path: Path) -> None:
    """Sessions start, list, persist as current, and switching to an unknown one fails."""
    ledger = open_ledger(tmp_path)
    current = ledger.current_session()
    assert SESSION_ID_RE.match(current)
    assert open_ledger(tmp_path).current_session() == current  # remembered in the state dir
    ledger.append(current, "user", "one")
    ledger.append(current, "scribe", "two")
    second = ledger.new_session()
    assert second != current and SESSION_ID_RE.match(second)
    third = ledger.new_session()  # a fresh session without records still counts
    assert int(third[-2:]) == int(second[-2:]) + 1
    assert open_ledger(tmp_path).current_session() == third
    ledger.append(third, "user", "three")

    for fresh in (open_ledger(tmp_path), open_ledger(tmp_path, index=False)):
        infos = fresh.sessions()
        assert [(i.id, i.count) for i in infos] == [(current, 2), (third, 1)]
        assert infos[0].first_ts is not None and infos[0].last_ts >= infos[0].first_ts

    ledger.switch_session(current)
    assert open_ledger(tmp_path).current_session() == current
    with pytest.raises(LedgerError, match="unknown session s-20000101-01"):
        ledger.switch_session("s-20000101-01")
    with pytest.raises(LedgerError, match="unknown session"):
        ledger.records("s-20000101-01")
    with pytest.raises(LedgerError, match="session ID"):
        ledger.switch_session("current")


def test_current_session_without_state_dir_is_the_newest(tmp_path: Path) -> None:
    """Without a state dir the newest session (by date, then number) is current."""
    ledger = Ledger(tmp_path / "t")
    for s in ("s-20261120-07", "s-20261121-02", "s-20261121-10"):
        ledger.append(s, "user", s)
    assert Ledger(tmp_path / "t").current_session() == "s-20261121-10"


SEARCH_CORPUS = [
    ("user", "it takes batches of events as JSON and rejects anything else"),
    ("user", 'the "admin" page MUST NOT show client IP addresses'),
    ("scribe", "I propose ING-1: accept POST /events with a JSON array"),
    ("user", "near the café, latency should stay under 20 ms (p99)"),
    ("user", "use 日本語のテキスト for labels 🚀"),
    ("user", "a AND b OR NOT c - d * e"),
]


@pytest.fixture
def searchable(tmp_path: Path) -> Ledger:
    """A fresh ledger over SEARCH_CORPUS (m-0001 ... m-0006)."""
    ledger = open_ledger(tmp_path)
    for role, text in SEARCH_CORPUS:
        ledger.append(SESSION, role, text)
    return open_ledger(tmp_path)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("events", {"m-0001", "m-0003"}),
        ("batch", {"m-0001"}),  # stemming
        ('"admin', {"m-0002"}),  # unbalanced quote
        ('admin"', {"m-0002"}),
        ('"accept POST"', {"m-0003"}),  # a quoted phrase stays a phrase
        ("AND", {"m-0001", "m-0006"}),  # operators are words
        ("NOT", {"m-0002", "m-0006"}),
        ("NEAR(", {"m-0004"}),
        ("(p99", {"m-0004"}),
        ("cafe", {"m-0004"}),
        ("café", {"m-0004"}),
        ("日本語", {"m-0005"}),
        ("🚀", {"m-0005"}),
        ("ING-1", {"m-0003"}),
        ("*", {"m-0006"}),  # no words: a literal substring match
        ("- d *", {"m-0006"}),
        ('"', {"m-0002"}),
        ('""', set()),
        ("", set()),
        ("   ", set()),
        ("xyzzy", set()),
        ("col:val", set()),
    ],
)
def test_search_takes_any_input(searchable: Ledger, query: str, expected: set[str]) -> None:
    """Quotes, operators, punctuation, accents, CJK and emoji queries all work."""
    hits = searchable.search(query)
    assert {h.record.id for h in hits} == expected
    for hit in hits:
        assert "\n" not in hit.snippet and hit.snippet


def test_search_role_filter_limit_and_snippet(tmp_path: Path) -> None:
    """Role filter and limit apply; the snippet is one line around the match."""
    ledger = open_ledger(tmp_path)
    for role, text in SEARCH_CORPUS:
        ledger.append(SESSION, role, text)
    long = "filler words " * 40 + "the needle is here\r\nand more " + "tail words " * 40
    ledger.append(SESSION, "user", long)
    assert {h.record.role for h in ledger.search("events", role="scribe")} == {"scribe"}
    assert len(ledger.search("events", limit=1)) == 1
    (hit,) = ledger.search("needle")
    assert "needle is here and more" in hit.snippet
    assert hit.snippet.startswith("…") and hit.snippet.endswith("…")
    assert hit.record.text == long
    with pytest.raises(LedgerError, match="role"):
        ledger.search("x", role="robot")


def test_index_catches_up_with_files_changed_behind_its_back(tmp_path: Path) -> None:
    """Lines added or removed outside this ledger reach the index."""
    ledger = open_ledger(tmp_path)
    ledger.append(SESSION, "user", "original words")
    assert [h.record.text for h in ledger.search("original")] == ["original words"]

    # Another writer without the index (e.g. a git pull) adds lines and a new session.
    outsider = open_ledger(tmp_path, index=False)
    outsider.append(SESSION, "user", "appended elsewhere")
    outsider.append("s-20261122-01", "user", "another session elsewhere")
    fresh = open_ledger(tmp_path)
    assert {h.record.session for h in fresh.search("elsewhere")} == {SESSION, "s-20261122-01"}
    ledger.refresh()
    assert len(ledger.search("elsewhere")) == 2

    # The file is rewritten (e.g. checkout of an older version): removed lines leave the index.
    path = tmp_path / "transcripts" / f"{SESSION}.jsonl"
    path.write_bytes(path.read_bytes().split(b"\n")[0] + b"\n")
    (tmp_path / "transcripts" / "s-20261122-01.jsonl").unlink()
    fresh = open_ledger(tmp_path)
    assert fresh.search("elsewhere") == []
    assert fresh.get("m-0002") is None
    assert [(s.id, s.count) for s in fresh.sessions() if s.count] == [(SESSION, 1)]


def test_reindex_rebuilds_a_deleted_or_broken_index(tmp_path: Path) -> None:
    """A deleted index is rebuilt on use and by reindex()."""
    ledger = open_ledger(tmp_path)
    for i in range(5):
        ledger.append(SESSION, "user", f"indexed message {i}")
    ledger.append("s-20261122-01", "scribe", "indexed reply")
    ledger.close()
    for suffix in ("", "-wal", "-shm"):
        (tmp_path / ".charter" / f"state.db{suffix}").unlink(missing_ok=True)
    fresh = open_ledger(tmp_path)
    assert len(fresh.search("indexed")) == 6  # rebuilt on first use
    stats = fresh.reindex()
    assert (stats.sessions, stats.records, stats.problems) == (2, 6, [])
    assert len(fresh.search("indexed")) == 6


def test_index_failure_never_loses_the_record(tmp_path: Path) -> None:
    """An unusable index database never loses an appended record."""
    (tmp_path / "not-a-db").mkdir()
    ledger = Ledger(tmp_path / "transcripts", tmp_path / "not-a-db")
    record = ledger.append(SESSION, "user", "kept despite the index")
    assert ledger.records(SESSION) == [record]
    assert ledger.user_text(record.id) == "kept despite the index"
    with pytest.raises(LedgerError, match="reindex"):
        ledger.search("kept")


def test_other_packages_tables_survive_reindex(tmp_path: Path) -> None:
    """reindex() drops only the ledger's own tables in the shared state.db."""
    import sqlite_utils

    ledger = open_ledger(tmp_path)
    ledger.append(SESSION, "user", "hello")
    db = sqlite_utils.Database(tmp_path / ".charter" / "state.db")
    db["proposals"].insert({"id": "p-0001", "status": "pending"}, pk="id")
    ledger.reindex()
    assert db["proposals"].count == 1
    db.close()


def test_linked_values_come_from_every_session_with_or_without_the_index(tmp_path: Path) -> None:
    """`linked("proposal")` names every proposal any record links to, across sessions; the
    answer is the same from the index and from the files alone."""
    ledger = open_ledger(tmp_path)
    ledger.append("s-20261121-01", "scribe", "first idea", kind="proposal", proposal="p-0001")
    ledger.append("s-20261121-01", "event", "accepted", kind="accept", proposal="p-0001")
    ledger.append("s-20261121-02", "scribe", "second idea", kind="proposal", proposal="p-0002")
    ledger.append("s-20261121-02", "user", "no link here")

    from_index = ledger.linked("proposal")
    from_files = open_ledger(tmp_path, index=False).linked("proposal")

    assert from_index == from_files == {"p-0001", "p-0002"}
    assert ledger.linked("commit") == set()
    with pytest.raises(ValueError, match="not a link field"):
        ledger.linked("text")
