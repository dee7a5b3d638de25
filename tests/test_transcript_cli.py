"""`charter transcript search|show` and `charter reindex`, run as a user would from a shell."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from charter.app.workspace import open_workspace
from charter.transcripts import Ledger, Record
from tests.conftest import run_charter

TYPED = 'it takes batches of events as JSON\r\nand rejects "anything" else\t  \n  👍🏽 שלום'


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """A minimal workspace: a git repository with a `charter.toml` (independent of `init`)."""
    root = tmp_path / "ws"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / "charter.toml").write_text("", encoding="utf-8")
    return root


def ledger_of(root: Path) -> Ledger:
    """The ledger at the paths the app uses for this workspace."""
    w = open_workspace(root)
    return Ledger(w.transcripts_dir, w.state_db, state_dir=w.state_dir)


@pytest.fixture
def filled(ws: Path) -> tuple[Path, str, list[Record]]:
    """A workspace with an older session and a current one holding a short exchange."""
    ledger = ledger_of(ws)
    ledger.append("s-20261120-01", "user", "an older session about retries")
    session = ledger.new_session()
    records = [
        ledger.append(session, "user", TYPED),
        ledger.append(
            session, "scribe", "Proposal p-0001: ING-1", kind="proposal", proposal="p-0001"
        ),
        ledger.append(session, "event", "accepted", kind="accept", proposal="p-0001"),
    ]
    return ws, session, records


def test_show_prints_the_current_session_verbatim(filled: tuple[Path, str, list[Record]]) -> None:
    """`transcript show` prints the current session with user text exactly as typed."""
    ws, _session, records = filled
    result = run_charter("transcript", "show", cwd=ws)
    assert result.code == 0, result.err
    user, scribe, event = records
    assert result.out == (
        f"[{user.id} user {user.ts[11:16]}] {TYPED}\n"
        f"[{scribe.id} scribe proposal {scribe.ts[11:16]}] Proposal p-0001: ING-1\n"
        f"[{event.id} event accept {event.ts[11:16]}] accepted\n"
    )


def test_show_named_session_and_json(filled: tuple[Path, str, list[Record]]) -> None:
    """`transcript show SESSION --json` prints the records as the JSONL holds them."""
    ws, session, records = filled
    result = run_charter("transcript", "show", session, "--json", cwd=ws)
    assert result.code == 0, result.err
    assert json.loads(result.out) == [r.to_dict() for r in records]
    older = run_charter("transcript", "show", "s-20261120-01", cwd=ws)
    assert older.code == 0 and "an older session about retries" in older.out


def test_show_unknown_session_is_a_usage_error(filled: tuple[Path, str, list[Record]]) -> None:
    """An unknown or malformed session is exit 2 with a one-line message."""
    ws, session, _ = filled
    result = run_charter("transcript", "show", "s-19990101-01", cwd=ws)
    assert result.code == 2
    assert "unknown session s-19990101-01" in result.err and session in result.err
    assert "Traceback" not in result.err
    bad = run_charter("transcript", "show", "../../etc/passwd", cwd=ws)
    assert bad.code == 2 and "not a session ID" in bad.err


def test_search_prints_one_line_per_hit(filled: tuple[Path, str, list[Record]]) -> None:
    """`transcript search` prints id, session, time, role and a snippet per hit."""
    ws, session, records = filled
    result = run_charter("transcript", "search", "events", cwd=ws)
    assert result.code == 0, result.err
    (line,) = result.out.splitlines()
    ts = records[0].ts
    pattern = (
        rf"^m-0002  {session}  {ts[:10]} {ts[11:16]}  user    "
        r"it takes batches of events as JSON and rejects \"anything\" else 👍🏽 שלום$"
    )
    assert re.match(pattern, line), line


@pytest.mark.parametrize("query", ['"anything', "AND (", "NEAR(", "*", "-x", "שלום", ""])
def test_search_accepts_any_input(filled: tuple[Path, str, list[Record]], query: str) -> None:
    """Any query, including ones that look like FTS syntax, exits 0."""
    ws, _, _ = filled
    result = run_charter("transcript", "search", "--json", "--", query, cwd=ws)
    assert result.code == 0, result.err
    hits = json.loads(result.out)
    assert isinstance(hits, list)
    if query in ('"anything', "שלום"):
        assert [h["text"] for h in hits] == [TYPED]


def test_search_json_and_limit(filled: tuple[Path, str, list[Record]]) -> None:
    """`--json`, `--limit` and `--role` shape the output; no match is not an error."""
    ws, _, records = filled
    result = run_charter("transcript", "search", "p-0001", "--json", "--limit", "1", cwd=ws)
    assert result.code == 0, result.err
    assert json.loads(result.out) == [records[1].to_dict()]
    users = run_charter("transcript", "search", "p-0001", "--role", "user", cwd=ws)
    assert users.code == 0 and users.out == ""
    bad = run_charter("transcript", "search", "x", "--role", "robot", cwd=ws)
    assert bad.code == 2 and "role" in bad.err
    none = run_charter("transcript", "search", "nothing-like-this", cwd=ws)
    assert none.code == 0 and none.out == "" and "no matches" in none.err


def test_reindex_after_deleting_the_index_restores_search(
    filled: tuple[Path, str, list[Record]],
) -> None:
    """`charter reindex` rebuilds a deleted state.db and reports the counts."""
    ws, _, _ = filled
    for name in ("state.db", "state.db-wal", "state.db-shm"):
        (ws / ".charter" / name).unlink(missing_ok=True)
    result = run_charter("reindex", cwd=ws)
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        "reindexed 2 sessions, 4 records",
        "indexed the requirements of 0 spec commits",
    ]
    assert (ws / ".charter" / "state.db").is_file()
    found = run_charter("transcript", "search", "retries", "--json", cwd=ws)
    assert [h["text"] for h in json.loads(found.out)] == ["an older session about retries"]


def test_reindex_reports_unreadable_lines(filled: tuple[Path, str, list[Record]]) -> None:
    """`charter reindex` names unreadable lines by file and line."""
    ws, session, _ = filled
    path = ws / "transcripts" / f"{session}.jsonl"
    path.write_bytes(path.read_bytes()[:-5])
    result = run_charter("reindex", cwd=ws)
    assert result.code == 0, result.err
    assert result.out.splitlines()[0] == "reindexed 2 sessions, 3 records, 1 unreadable lines"
    assert f"{path}:3:" in result.err


def test_commands_outside_a_workspace_fail_clearly(tmp_path: Path) -> None:
    """Outside a workspace every command exits 2 with what to do."""
    for args in (("transcript", "show"), ("transcript", "search", "x"), ("reindex",)):
        result = run_charter(*args, cwd=tmp_path)
        assert result.code == 2
        assert "not inside a Charter workspace" in result.err
        assert "Traceback" not in result.err


def test_say_into_an_unwritable_ledger_fails_in_one_line(ws: Path) -> None:
    """`charter say` whose session file cannot be written exits 2 naming the file; nothing else
    happens (the model is never called: its endpoint here is closed)."""
    ledger = ledger_of(ws)
    session = ledger.new_session()
    ledger.close()
    blocked = ws / "transcripts" / f"{session}.jsonl"
    blocked.mkdir(parents=True)  # unwritable even for root, unlike a chmod
    env = {
        "OPENAI_API_KEY": "sk-test-SECRET",
        "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
        "CHARTER_MODEL": "m",
    }
    result = run_charter("say", "hello", cwd=ws, env=env)
    assert result.code == 2, result.err
    assert result.err == f"charter: cannot write {blocked}: Is a directory\n"
