"""Large model payloads are kept once, not once per step: a big reply or proposal grows
`checkpoints.db` by about its own size (the intent graph's state holds references to payloads
stored once, never the payloads themselves). Through the CLI, with the scripted model server.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import sqlite_utils

from tests.fakellm import FakeLLM
from tests.scribe_support import add, cli, configure, ledger_records, proposal, seed


def _checkpoint_bytes(root: Path) -> int:
    """The size of the checkpoint database with its WAL, as the disk holds it."""
    return sum(p.stat().st_size for p in (root / ".charter").glob("checkpoints.db*"))


def _step_bytes(root: Path) -> int:
    """The bytes LangGraph's saver keeps for the turn's steps (checkpoints and node writes)."""
    with contextlib.closing(sqlite3.connect(root / ".charter" / "checkpoints.db")) as conn:
        db = sqlite_utils.Database(conn)
        return sum(len(row["checkpoint"] or b"") for row in db.table("checkpoints").rows) + sum(
            len(row["value"] or b"") for row in db.table("writes").rows
        )


def test_a_900_kb_reply_grows_the_checkpoints_by_less_than_one_and_a_half_copies(
    workspace: Path, llm: FakeLLM
) -> None:
    """A 900 kB text reply (under the default cap): verbatim once in the ledger, and the
    checkpoints grow by less than 1.5 times its size over the whole turn."""
    configure(workspace)
    seed(workspace)
    assert cli(workspace, "pending").code == 1  # the checkpoint database exists, empty
    before = _checkpoint_bytes(workspace)
    reply = "word " * 180_000  # 900 kB
    llm.reply(reply)
    said = cli(workspace, "say", "say a lot", env=llm.env())
    assert said.code == 0, said.err
    assert said.out.rstrip("\n") == reply.rstrip("\n") or reply in said.out
    assert [r["text"] for r in ledger_records(workspace)][-1] == reply
    grown = _checkpoint_bytes(workspace) - before
    assert grown < 1.5 * len(reply), f"{grown / len(reply):.2f} copies"  # 5.0 before
    assert _step_bytes(workspace) < 0.1 * len(reply)


def test_a_large_proposal_is_stored_once_per_value_not_per_step(
    workspace: Path, llm: FakeLLM
) -> None:
    """A 200 kB proposal (under the default cap) stays reviewable and commits; the checkpoints
    hold its few distinct forms once each, not once per step of the turn."""
    configure(workspace)
    seed(workspace)
    assert cli(workspace, "pending").code == 1
    before = _checkpoint_bytes(workspace)
    text = "The service MUST accept " + "very " * 40_000 + "big batches."
    llm.tool_call("propose_change", proposal("big", add(text)))
    said = cli(workspace, "say", "make it big", env=llm.env())
    assert said.code == 0, said.err
    grown = _checkpoint_bytes(workspace) - before
    steps = _step_bytes(workspace)
    pending = cli(workspace, "pending")
    assert pending.code == 0 and text in pending.out
    assert cli(workspace, "accept").code == 0
    assert steps < 0.2 * len(text), f"the steps' checkpoints hold {steps / len(text):.2f} copies"
    # convo (the tool call), the proposal, code's check (items and new file) and the view
    # (items and diff): each once; 22 copies when every step carried them all.
    assert grown < 8 * len(text), f"{grown / len(text):.2f} copies"
