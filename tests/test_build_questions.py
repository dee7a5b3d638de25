"""Questions instead of guesses: a task that cannot decide ends as `question`, and the question
reaches `charter questions` until the ledger holds an answer for it.
"""

from __future__ import annotations

import json
from pathlib import Path

from charter.transcripts import Ledger
from tests.buildkit import Script, builds, commit_spec, record, result, spec_text, task
from tests.conftest import run_charter
from tests.fakellm import FakeLLM

SPEC = {
    "app.md": spec_text(
        "App",
        {
            "Store": [
                ("ST-1", "The app MUST store readings."),
                ("ST-2", "The app MUST list readings."),
            ]
        },
    )
}
PLAN = {
    "tasks": [
        task("T1", ["ST-1"], ["store.txt"], "true"),
        task("T2", ["ST-2"], ["list.txt"], "true", ["T1"]),
    ],
    "not_built": [],
}


def asks(tid: str, prompt: str) -> dict:
    """T1 cannot decide where readings are stored."""
    return result(question="Should readings be stored in SQLite or in flat files?")


def test_a_question_reaches_charter_questions(workspace: Path, llm: FakeLLM) -> None:
    """The asking task ends as `question`, its dependent is blocked, the build exits 1, and
    `charter questions` lists it until an answer record is in the ledger."""
    commit_spec(workspace, SPEC)
    llm.handler(Script(PLAN, asks))
    out = run_charter("build", cwd=workspace, env=llm.env())
    assert out.code == 1, out.err + out.out
    (bdir,) = builds(workspace)
    tasks = record(bdir)["tasks"]
    assert tasks["T1"]["state"] == "question" and tasks["T2"]["state"] == "blocked"
    qid = tasks["T1"]["question"]
    assert qid == f"Q-{bdir.name.rsplit('-', 1)[-1]}-1"
    assert "charter questions" in out.out

    listed = run_charter("questions", "--json", cwd=workspace)
    assert listed.code == 0, listed.err
    (q,) = json.loads(listed.out)
    assert (q["id"], q["build"], q["task"], q["requirements"]) == (qid, bdir.name, "T1", ["ST-1"])
    assert q["text"] == "Should readings be stored in SQLite or in flat files?"
    assert qid in (bdir / "questions.md").read_text() and qid in (bdir / "report.md").read_text()
    text = run_charter("questions", cwd=workspace)
    assert qid in text.out and "SQLite or in flat files" in text.out

    ledger = Ledger(workspace / "transcripts")
    ledger.append(ledger.current_session(), "user", "flat files", kind="answer", question=qid)
    after = run_charter("questions", "--json", cwd=workspace)
    assert json.loads(after.out) == []
    everything = json.loads(run_charter("questions", "--json", "--all", cwd=workspace).out)
    assert [(x["id"], x["answered"]) for x in everything] == [(qid, True)]
