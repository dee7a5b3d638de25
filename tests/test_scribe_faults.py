"""When the model endpoint misbehaves, or the process dies: the user's words are never lost and
nothing is committed half-way.

Endpoint faults run the CLI in-process (Typer's runner, same code path as the shell); the crash
test kills a real `charter` process with SIGKILL while a proposal awaits review.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from charter.app.config import load_config, write_config
from tests.conftest import run_charter
from tests.fakellm import FakeLLM
from tests.scribe_support import add, cli, configure, head, ledger_records, proposal, seed

BAD_PROPOSAL = {"summary": "nothing in it", "items": []}

TIMEOUT, RETRIES = 2.0, 2
"""The budget every fault runs under: 3 attempts of 2 s plus 0.5 s and 1 s of backoff = 7.5 s."""
BOUND = 7.5
REPLY_CAP = 4096
SLACK = 2.0
"""Seconds allowed after the last request for the bookkeeping of a failed turn (ledger, graph)."""

FAULTS = {
    "500": "HTTP 500",
    "429 with Retry-After": "asks to wait 30 s",
    "hang": f"did not answer within 2 s in any of 3 attempts ({BOUND:g} s in all)",
    "malformed tool JSON": "not valid JSON",
    "schema": "did not match its schema after 3 tries",
    "cut stream": "closed the connection in the middle of its reply",
    "truncated stream": "closed the connection in the middle of its reply",
    "empty reply": "empty reply",
    "HTML body": "not an OpenAI-style reply",
    "reply over the size cap": f"more than {REPLY_CAP:,} bytes",
}
MEASURED: dict[str, tuple[int, float]] = {}
"""Exit code and seconds to fail per fault kind (printed with `pytest -s` for the notes)."""


def _script_fault(llm: FakeLLM, kind: str) -> None:
    """Queue one fault the way a real endpoint would produce it, for every attempt allowed."""
    attempts = RETRIES + 1
    if kind == "500":
        llm.fault("500", times=attempts)
    elif kind == "429 with Retry-After":
        llm.fault("retry-after", delay=30, times=attempts)
    elif kind == "hang":
        llm.fault("timeout", delay=60, times=attempts)
    elif kind == "malformed tool JSON":
        llm.fault("malformed", times=3)  # the original call and both repair rounds
    elif kind == "schema":
        for _ in range(3):
            llm.tool_call("propose_change", BAD_PROPOSAL)
    elif kind == "cut stream":
        llm.fault("cut", times=attempts)
    elif kind == "truncated stream":
        llm.fault("truncated", times=attempts)
    elif kind == "empty reply":
        llm.fault("empty", times=attempts)
    elif kind == "HTML body":
        llm.fault("html", times=attempts)
    else:
        llm.reply("y" * (REPLY_CAP * 4))


def _cap_replies(root: Path, limit: int) -> None:
    """Set `[model] max_reply_bytes` in charter.toml."""
    path = root / "charter.toml"
    config = load_config(path)
    config.model.max_reply_bytes = limit
    write_config(path, config)


@pytest.mark.parametrize("kind", list(FAULTS))
def test_endpoint_fault_is_one_sentence_exit_4_within_the_bound_and_changes_nothing(
    workspace: Path, llm: FakeLLM, kind: str
) -> None:
    """Each fault: exit 4, one clear line, the message kept verbatim, nothing committed, and the
    model stops being asked within the stated bound (timeout x attempts + backoff)."""
    configure(workspace, timeout=TIMEOUT, max_retries=RETRIES)
    _cap_replies(workspace, REPLY_CAP)
    base = seed(workspace)
    _script_fault(llm, kind)
    message = f"please handle {kind}\r\n\twith ünïcode"
    said = cli(workspace, "say", message, env=llm.env())
    ended = time.monotonic()
    assert said.code == 4, (said.out, said.err)
    # In-process, the scripted server's own connection-reset notices share stderr: skip them.
    ours = [line for line in said.err.splitlines() if line.startswith("charter: ")]
    assert len(ours) == 1, said.err
    assert FAULTS[kind] in ours[0]
    assert "m-0001 is kept in the ledger" in ours[0]
    assert "Traceback" not in said.out + said.err
    elapsed = ended - llm.chat_requests[0].at
    MEASURED[kind] = (said.code, elapsed)
    print(f"fault {kind}: exit {said.code}, {elapsed:.2f} s to fail, bound {BOUND:g} s")
    assert elapsed <= BOUND + SLACK, f"{kind} took {elapsed:.1f} s"
    records = ledger_records(workspace)
    assert records[0]["text"] == message and records[0]["role"] == "user"
    assert records[-1]["kind"] == "error"
    assert max(len(json.dumps(r)) for r in records) < REPLY_CAP * 4
    assert head(workspace) == base
    assert cli(workspace, "pending").code == 1
    assert not (workspace / "specs" / ".ids.toml").exists()


def test_schema_failures_are_sent_back_and_a_repair_succeeds(workspace: Path, llm: FakeLLM) -> None:
    """A malformed and then an invalid call go back with the error; the third call counts."""
    configure(workspace)
    seed(workspace)
    llm.fault("malformed")
    llm.tool_call("propose_change", BAD_PROPOSAL)
    llm.tool_call(
        "propose_change", proposal("batches", add("The service MUST accept batches.", "batches"))
    )
    said = cli(workspace, "say", "batches please", "--json", env=llm.env())
    assert said.code == 0, said.err
    assert json.loads(said.out)["kind"] == "proposal"
    second, third = llm.messages(1)[-1], llm.messages(2)[-1]
    assert second["role"] == "tool" and "not valid JSON" in second["content"]
    assert third["role"] == "tool" and "items" in third["content"]
    assert "at least 1 item" in third["content"]


def test_sigkill_with_a_pending_proposal_then_next_start_accepts(
    workspace: Path, llm: FakeLLM
) -> None:
    """A process dies (SIGKILL) with a proposal awaiting review; the next start accepts it."""
    configure(workspace)
    base = seed(workspace)
    llm.tool_call(
        "propose_change",
        proposal("batches", add("The service MUST accept batches.", "batches of events")),
    )
    said = run_charter("say", "batches of events", "--json", cwd=workspace, env=llm.env())
    assert said.code == 0, said.err
    proposed = json.loads(said.out)["proposal"]

    # `accept --edit` holds the lock and waits in the editor: kill it (and its editor) there.
    env = {**os.environ, **llm.env(), "EDITOR": "sleep 600", "VISUAL": ""}
    proc = subprocess.Popen(
        [sys.executable, "-m", "charter.app.cli", "accept", "--edit"],
        cwd=workspace,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    edit_file = workspace / ".charter" / f"edit-{proposed['id']}.toml"
    deadline = time.monotonic() + 60
    while not edit_file.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert edit_file.exists(), "the accept never reached the editor"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert head(workspace) == base

    pending = run_charter("pending", "--json", cwd=workspace)
    assert pending.code == 0, pending.err
    assert json.loads(pending.out)["pending"] == proposed
    accepted = run_charter("accept", cwd=workspace)
    assert accepted.code == 0, accepted.err
    assert (
        "Charter-Proposal: p-0001"
        in subprocess.run(
            ["git", "log", "-1", "--format=%B"],
            cwd=workspace,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    assert [r.get("kind") for r in ledger_records(workspace)].count("accept") == 1


def test_a_key_the_server_echoes_never_reaches_the_user_or_the_ledger(
    workspace: Path, llm: FakeLLM
) -> None:
    """A 401 echoing a key that does not look like `sk-...` is masked in stderr and the ledger."""
    configure(workspace)
    seed(workspace)
    llm.fault("401")
    key = "gsk_live4f9a0b1c2d3e5f"  # Groq-style: the key-shaped pattern alone misses it
    said = cli(workspace, "say", "hello", env={**llm.env(), "OPENAI_API_KEY": key})
    assert said.code == 4, (said.out, said.err)
    assert "rejected the API key" in said.err
    assert key not in said.out + said.err
    assert [r["kind"] for r in ledger_records(workspace)] == ["message", "error"]
    for path in [*(workspace / "transcripts").iterdir(), *(workspace / ".charter").iterdir()]:
        if path.is_file():
            assert key.encode() not in path.read_bytes(), path


def test_proposal_over_the_cap_is_refused_and_nothing_large_is_kept(
    workspace: Path, llm: FakeLLM
) -> None:
    """A proposal over [scribe] max_proposal_bytes: exit 4 naming the setting; the ledger and
    the checkpoints stay small; nothing is pending or committed."""
    configure(workspace)
    path = workspace / "charter.toml"
    config = load_config(path)
    config.scribe.max_proposal_bytes = 4096
    write_config(path, config)
    base = seed(workspace)
    huge = "The service MUST accept " + "very " * 40_000 + "big batches."
    llm.tool_call("propose_change", proposal("huge", add(huge)))
    said = cli(workspace, "say", "make it big", env=llm.env())
    assert said.code == 4, said.err
    assert "over [scribe] max_proposal_bytes (4,096)" in said.err
    assert head(workspace) == base
    assert cli(workspace, "pending").code == 1
    kept = sum(p.stat().st_size for p in (workspace / "transcripts").iterdir())
    assert kept < 2000
    assert (workspace / ".charter" / "checkpoints.db").stat().st_size < len(huge)


def test_a_large_allowed_reply_is_not_copied_into_every_checkpoint(
    workspace: Path, llm: FakeLLM
) -> None:
    """A reply under the cap is kept verbatim once in the ledger; the turn's checkpoints hold a
    few copies at most (they held ten before the conversation was dropped after use)."""
    configure(workspace)
    seed(workspace)
    reply = "word " * 100_000  # 500 kB, under the default [model] max_reply_bytes
    llm.reply(reply)
    checkpoints = workspace / ".charter" / "checkpoints.db"
    said = cli(workspace, "say", "say a lot", env=llm.env())
    assert said.code == 0, said.err
    assert [r["text"] for r in ledger_records(workspace)][-1] == reply
    grown = sum(p.stat().st_size for p in checkpoints.parent.glob("checkpoints.db*"))
    assert grown < 6 * len(reply), f"{grown / len(reply):.1f} copies"
