"""A user's message is on disk before anything else: every early refusal of `charter say` (hand
edits, no model configured, the workspace locked by another process) keeps the words verbatim,
says where they are, and the next turn answers them without a retype. Through the CLI, with
the scripted model server; git, the ledger and the lock are real.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import run_charter
from tests.fakellm import FakeLLM
from tests.scribe_support import (
    TELEMETRY,
    add,
    cli,
    configure,
    head,
    ledger_records,
    proposal,
    seed,
)
from tests.test_lock import contender

SPEC = "specs/telemetry.md"
HAND = "- **ING-9** The service MUST log every rejected batch.\n  > inferred: my own note\n"
WORDS = "add weekly totals, please — «exactly» these words\n  and this line too"


def _script_add(llm: FakeLLM) -> None:
    """The scribe proposes one inferred requirement in the Reports section."""
    llm.tool_call(
        "propose_change",
        proposal("weekly totals", add("The service MAY report weekly totals.", section="Reports")),
    )


def _user_records(root: Path, text: str) -> list[dict[str, object]]:
    """The user records holding exactly `text`."""
    return [r for r in ledger_records(root) if r["role"] == "user" and r["text"] == text]


def _held(root: Path, message_id: object) -> list[dict[str, object]]:
    """The `held` events kept for a message."""
    return [r for r in ledger_records(root) if r["kind"] == "held" and r["reply_to"] == message_id]


def _hand_edit(root: Path) -> None:
    """Add a requirement to the spec by hand, uncommitted."""
    text = TELEMETRY.replace("\n## Reports", f"{HAND}\n## Reports")
    (root / SPEC).write_text(text, encoding="utf-8")


def test_hand_edits_refusal_keeps_the_message_and_again_answers_it(
    workspace: Path, llm: FakeLLM
) -> None:
    """Refused over hand edits: the message is in the ledger (held, named in the error); after
    `--commit-hand-edits`, `say --again` answers that same record; nothing is written twice."""
    configure(workspace)
    base = seed(workspace)
    _hand_edit(workspace)
    _script_add(llm)
    said = cli(workspace, "say", WORDS, env=llm.env())
    assert said.code == 1, said.err
    assert "uncommitted hand edits" in said.err
    kept = _user_records(workspace, WORDS)
    assert len(kept) == 1, "the words are on disk, verbatim"
    assert f"Your message {kept[0]['id']} is kept in the ledger" in said.err
    assert "charter say --again" in said.err
    assert len(_held(workspace, kept[0]["id"])) == 1
    assert llm.chat_requests == [] and head(workspace) == base

    again = cli(workspace, "say", "--again", "--commit-hand-edits", env=llm.env())
    assert again.code == 0, again.err
    assert "+ REP-2" in again.out
    assert any(WORDS in str(m.get("content")) for m in llm.messages()), "the scribe read them"
    assert len(_user_records(workspace, WORDS)) == 1, "answered, not written again"
    proposals = [r for r in ledger_records(workspace) if r["kind"] == "proposal"]
    assert proposals[-1]["reply_to"] == kept[0]["id"]
    assert cli(workspace, "say", "--again", env=llm.env()).code == 1, "nothing waits any more"
    assert cli(workspace, "accept").code == 0


def test_the_same_words_sent_again_reuse_the_kept_record(workspace: Path, llm: FakeLLM) -> None:
    """Retyping (or recalling from shell history) the refused message answers the kept record."""
    configure(workspace)
    seed(workspace)
    _hand_edit(workspace)
    assert cli(workspace, "say", WORDS, env=llm.env()).code == 1
    assert cli(workspace, "say", WORDS, env=llm.env()).code == 1, "refused again, kept once"
    kept = _user_records(workspace, WORDS)
    assert len(kept) == 1 and len(_held(workspace, kept[0]["id"])) == 1
    _script_add(llm)
    said = cli(workspace, "say", WORDS, "--set-aside", env=llm.env())
    assert said.code == 0, said.err
    assert len(_user_records(workspace, WORDS)) == 1


def test_no_model_configured_keeps_the_message(workspace: Path, llm: FakeLLM) -> None:
    """Exit 2 naming the missing setting, with the words already in the ledger; once a model is
    set, `say --again` answers them."""
    configure(workspace)
    seed(workspace)
    env = {"CHARTER_MODEL": "", "OPENAI_BASE_URL": "", "OPENAI_API_KEY": ""}
    said = cli(workspace, "say", WORDS, env=env)
    assert said.code == 2, said.err
    kept = _user_records(workspace, WORDS)
    assert len(kept) == 1
    assert f"Your message {kept[0]['id']} is kept in the ledger" in said.err
    _script_add(llm)
    again = cli(workspace, "say", "--again", env=llm.env())
    assert again.code == 0, again.err
    assert len(_user_records(workspace, WORDS)) == 1


@pytest.fixture
def holder(workspace: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the workspace lock."""
    proc = contender(workspace, "charter accept")
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "won"
    yield proc
    proc.kill()
    proc.wait()


def test_a_busy_lock_keeps_the_message_for_the_next_writer(
    workspace: Path, llm: FakeLLM, holder: subprocess.Popen[str]
) -> None:
    """Exit 3 naming the holder and where the words are kept; the next Charter command moves
    them into the ledger (verbatim, held) and `say --again` answers them."""
    configure(workspace)
    seed(workspace)
    said = run_charter("say", WORDS, cwd=workspace, env=llm.env())
    assert said.code == 3, said.err
    assert "locked by pid" in said.err and ".charter/held/" in said.err
    assert "charter say --again" in said.err
    kept = list((workspace / ".charter" / "held").glob("*.json"))
    assert len(kept) == 1 and json.loads(kept[0].read_bytes())["text"] == WORDS
    assert _user_records(workspace, WORDS) == [], "no ledger write without the lock"
    holder.kill()
    holder.wait()

    _script_add(llm)
    again = cli(workspace, "say", "--again", env=llm.env())
    assert again.code == 0, again.err
    moved = _user_records(workspace, WORDS)
    assert len(moved) == 1, "moved into the ledger once, verbatim"
    assert not list((workspace / ".charter" / "held").glob("*.json"))
    proposals = [r for r in ledger_records(workspace) if r["kind"] == "proposal"]
    assert proposals[-1]["reply_to"] == moved[0]["id"]


def test_unreadable_settings_keep_the_message_for_later(workspace: Path, llm: FakeLLM) -> None:
    """A broken `charter.toml`: exit 2 naming the file, the words kept in the spool first; once
    the file is fixed, `say --again` answers them from the ledger."""
    configure(workspace)
    seed(workspace)
    settings = workspace / "charter.toml"
    good = settings.read_text(encoding="utf-8")
    settings.write_text(good + "\n[model\n", encoding="utf-8")
    said = cli(workspace, "say", WORDS, env=llm.env())
    assert said.code == 2, said.err
    assert "charter.toml" in said.err and ".charter/held/" in said.err
    assert "charter say --again" in said.err
    settings.write_text(good, encoding="utf-8")
    _script_add(llm)
    again = cli(workspace, "say", "--again", env=llm.env())
    assert again.code == 0, again.err
    assert len(_user_records(workspace, WORDS)) == 1


def test_after_a_model_error_say_again_retries_the_same_message(
    workspace: Path, llm: FakeLLM
) -> None:
    """A 500 from the endpoint: exit 4 with the message kept; `say --again` asks the scribe
    again about that same record."""
    configure(workspace)
    seed(workspace)
    llm.fault("500")
    said = cli(workspace, "say", WORDS, env=llm.env())
    assert said.code == 4, said.err
    _script_add(llm)
    again = cli(workspace, "say", "--again", env=llm.env())
    assert again.code == 0, again.err
    kept = _user_records(workspace, WORDS)
    assert len(kept) == 1
    proposals = [r for r in ledger_records(workspace) if r["kind"] == "proposal"]
    assert proposals[-1]["reply_to"] == kept[0]["id"]
