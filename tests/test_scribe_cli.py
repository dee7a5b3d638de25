"""The scribe from the shell: `charter say` → `pending` → `accept`/`reject`, as a user scripts it.

The headline turn runs the CLI in subprocesses; the rest run the same CLI in-process (Typer's
runner) for speed. The model is the scripted server; git, SQLite and the ledger files are real.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path

from tests.conftest import Result, run_charter
from tests.fakellm import FAKE_KEY, FakeLLM
from tests.scribe_support import (
    add,
    cli,
    configure,
    git,
    head,
    ledger_records,
    proposal,
    seed,
)

MESSAGE = "it takes batches of events as JSON\r\n\tand rejects anything that isn't — ünïcode ✓"
QUOTE = "batches of events as JSON"


def _say(ws: Path, llm: FakeLLM, text: str, *args: str) -> Result:
    """Run `charter say TEXT` (in-process) against the scripted server."""
    return cli(ws, "say", text, *args, env=llm.env())


def test_full_turn_commits_spec_register_and_ledger_once(workspace: Path, llm: FakeLLM) -> None:
    """Message → proposal → accept: one commit with the right files, message and trailers."""
    configure(workspace)
    base = seed(workspace)
    llm.tool_call(
        "propose_change",
        proposal(
            "accept batches of events as JSON",
            add("The service MUST accept a batch of events as one JSON array.", QUOTE),
            add("The service MUST reply 413 to a request body over 1 MiB."),
        ),
    )
    said = run_charter("say", MESSAGE, cwd=workspace, env=llm.env())
    assert said.code == 0, said.err
    assert "+- **ING-3** The service MUST accept a batch of events as one JSON array." in said.out
    assert "[E] + ING-3" in said.out and f'"{QUOTE}"' in said.out
    assert "[I] + ING-4" in said.out
    assert head(workspace) == base, "nothing is committed before review"

    accepted = run_charter("accept", "--json", cwd=workspace)  # a new process finds it
    assert accepted.code == 0, accepted.err
    sha = json.loads(accepted.out)["commit"]
    assert head(workspace) == sha
    assert git(workspace, "rev-parse", f"{sha}^").strip() == base, "exactly one new commit"

    session = ledger_records(workspace)[0]["session"]
    files = set(git(workspace, "show", "--name-only", "--format=", sha).split())
    assert files == {"specs/telemetry.md", "specs/.ids.toml", f"transcripts/{session}.jsonl"}

    message = git(workspace, "log", "-1", "--format=%B", sha)
    assert message.startswith("spec: accept batches of events as JSON\n")
    assert "Intent (m-0001, verbatim):" in message
    assert (
        "+ ING-3 explicit  The service MUST accept a batch of events as one JSON array." in message
    )
    assert "+ ING-4 inferred  The service MUST reply 413 to a request body over 1 MiB." in message
    trailers = git(workspace, "interpret-trailers", "--parse", input_text=message)
    assert trailers.splitlines() == [
        "Charter-Intent: m-0001",
        f"Charter-Session: {session}",
        "Charter-Proposal: p-0001",
        "Charter-Model: fake-model",
    ]

    # The ledger line holds the user's text byte for byte, and that line is what was committed.
    first = (workspace / "transcripts" / f"{session}.jsonl").read_bytes().split(b"\n")[0]
    assert json.loads(first)["text"] == MESSAGE
    assert json.dumps(MESSAGE, ensure_ascii=False).encode("utf-8") in first
    committed = git(workspace, "show", f"{sha}:transcripts/{session}.jsonl").encode("utf-8")
    assert committed.split(b"\n")[0] == first
    kinds = [(r["role"], r.get("kind", "message")) for r in ledger_records(workspace)]
    assert kinds == [("user", "message"), ("scribe", "proposal"), ("event", "accept")]

    spec = (workspace / "specs" / "telemetry.md").read_text(encoding="utf-8")
    assert f'  > explicit (m-0001): "{QUOTE}"' in spec
    assert "highest" in (workspace / "specs" / ".ids.toml").read_text(encoding="utf-8")
    assert git(workspace, "status", "--porcelain", "--", "specs", "transcripts") == ""

    why = cli(workspace, "why", "ING-3")
    assert why.code == 0, why.err
    assert "m-0001" in why.out and QUOTE in why.out and sha[:7] in why.out

    assert cli(workspace, "pending").code == 1


def test_quote_not_in_the_message_is_never_committed_as_explicit(
    workspace: Path, llm: FakeLLM
) -> None:
    """A made-up quote is shown as inferred with the reason, and committed that way."""
    configure(workspace)
    seed(workspace)
    made_up = "events arrive in batches of at most 500"
    llm.tool_call(
        "propose_change",
        proposal(
            "cap batch size", add("The service MUST accept at most 500 events a batch.", made_up)
        ),
    )
    said = _say(workspace, llm, "batches should not be huge")
    assert said.code == 0, said.err
    assert "[I] + ING-3" in said.out
    assert f'not found verbatim in m-0001: "{made_up}"' in said.out
    assert cli(workspace, "accept").code == 0
    spec = (workspace / "specs" / "telemetry.md").read_text(encoding="utf-8")
    assert "explicit (m-0001)" not in spec
    assert f'  > inferred: not found verbatim in m-0001: "{made_up}"' in spec
    assert "+ ING-3 inferred" in git(workspace, "log", "-1", "--format=%B")


def test_reject_reason_reaches_the_next_request(workspace: Path, llm: FakeLLM) -> None:
    """A reject reason is kept verbatim and sent to the model on the next turn."""
    configure(workspace)
    base = seed(workspace)
    llm.tool_call(
        "propose_change",
        proposal("limit body", add("The service MUST reply 413 to a body over 1 MiB.")),
    )
    assert _say(workspace, llm, "keep payloads small").code == 0
    reason = "1 MiB is too small — use 8 MiB\tplease"
    rejected = cli(workspace, "reject", "--reason", reason)
    assert rejected.code == 0, rejected.err
    assert head(workspace) == base
    assert cli(workspace, "pending").code == 1
    record = ledger_records(workspace)[-1]
    assert (record["role"], record["kind"], record["text"]) == ("user", "reject", reason)

    llm.reply("Understood; what limit exactly?")
    again = _say(workspace, llm, "try again")
    assert again.code == 0, again.err
    sent = json.dumps(llm.messages(-1), ensure_ascii=False)
    assert json.dumps(reason, ensure_ascii=False)[1:-1] in sent
    assert "rejected p-0001" in sent


def test_requests_carry_the_scribe_tools_and_tool_calling(workspace: Path, llm: FakeLLM) -> None:
    """The model gets the read, propose and ask tools by function calling, streamed with usage."""
    configure(workspace)
    seed(workspace)
    llm.tool_call("read_requirement", {"id": "ING-2"})
    llm.tool_call("ask_user", {"question": "Should IPs be kept hashed?"})
    said = _say(workspace, llm, "what about IPs?")
    assert said.code == 0, said.err
    assert "Question (m-0002): Should IPs be kept hashed?" in said.out
    assert len(llm.chat_requests) == 2
    for i in range(2):
        assert llm.tool_names(i) == [
            "spec_outline",
            "read_section",
            "read_requirement",
            "search_messages",
            "propose_change",
            "ask_user",
        ]
        assert llm.tool_choice(i) == "auto"
        assert llm.response_format(i) is None
        body = llm.body(i)
        assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
        assert body["model"] == "fake-model"
    tool_result = llm.messages(1)[-1]
    assert tool_result["role"] == "tool" and "**ING-2** LOCKED" in tool_result["content"]
    params = llm.tools_sent(0)[4]["parameters"]
    assert set(params["required"]) == {"summary", "items"}


def test_api_key_never_lands_in_the_workspace(workspace: Path, llm: FakeLLM) -> None:
    """After a turn, an accept and a fault, no file (nor git object, nor db) holds the key."""
    configure(workspace)
    seed(workspace)
    llm.tool_call(
        "propose_change", proposal("batches", add("The service MUST accept batches.", "batches"))
    )
    assert _say(workspace, llm, "batches of events").code == 0
    assert cli(workspace, "accept").code == 0
    llm.fault("500")
    assert _say(workspace, llm, "and more").code == 4
    secret = FAKE_KEY.encode()
    for path in workspace.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        assert secret not in data, path
        if "/.git/objects/" in path.as_posix() and "pack" not in path.as_posix():
            assert secret not in zlib.decompress(data), path
    assert FAKE_KEY not in git(workspace, "log", "-p", "--all")


def test_stdin_message_and_reply(workspace: Path, llm: FakeLLM) -> None:
    """`say -` takes stdin verbatim (strict UTF-8); a plain reply is printed and recorded."""
    configure(workspace)
    seed(workspace)
    text = "line one\r\nline\ttwo — ✓\n"
    llm.reply("Noted: **nothing** to change.")
    said = cli(workspace, "say", "-", input=text.encode("utf-8"), env=llm.env())
    assert said.code == 0, said.err
    assert said.out == "Noted: **nothing** to change.\n"
    records = ledger_records(workspace)
    assert records[0]["text"] == text
    assert (records[1]["role"], records[1]["kind"]) == ("scribe", "reply")
    bad = cli(workspace, "say", "-", input=b"\xff\xfe not utf-8", env=llm.env())
    assert bad.code == 2 and "not valid UTF-8" in bad.err
    assert len(ledger_records(workspace)) == 2


def test_missing_model_config_says_what_to_set(workspace: Path) -> None:
    """No model configured: one sentence naming the setting; the message is kept in the ledger
    first, not answered yet (tests/test_message_first.py answers it later)."""
    said = cli(workspace, "say", "hello")
    assert said.code == 2
    assert "CHARTER_MODEL" in said.err and "Traceback" not in said.err
    records = ledger_records(workspace)
    assert [(r["role"], r["kind"], r["text"]) for r in records][:1] == [
        ("user", "message", "hello")
    ]
    assert [r["kind"] for r in records] == ["message", "held"]


def test_locked_workspace_exits_3(workspace: Path, llm: FakeLLM) -> None:
    """Another writer holds the lock: exit 3 naming it, nothing recorded."""
    from charter.app.lock import WorkspaceLock

    with WorkspaceLock(workspace / ".charter").acquire("test holder"):
        said = _say(workspace, llm, "hello")
    assert said.code == 3 and "test holder" in said.err
    assert ledger_records(workspace) == []


def test_sessions_new_list_switch(workspace: Path, llm: FakeLLM) -> None:
    """Sessions: new starts one, list marks the current, switch goes back."""
    configure(workspace)
    llm.reply("hi")
    assert _say(workspace, llm, "hello").code == 0
    first = ledger_records(workspace)[0]["session"]
    new = cli(workspace, "session", "new", "--json")
    assert new.code == 0, new.err
    second = json.loads(new.out)["session"]
    assert second != first
    listed = json.loads(cli(workspace, "session", "list", "--json").out)
    assert listed["current"] == second
    assert [s["id"] for s in listed["sessions"]] == [first, second]
    assert cli(workspace, "session", "switch", first).code == 0
    assert json.loads(cli(workspace, "session", "list", "--json").out)["current"] == first
    unknown = cli(workspace, "session", "switch", "s-20000101-01")
    assert unknown.code == 2 and "unknown session" in unknown.err


def test_accept_edit_opens_the_editor_and_records_the_text(workspace: Path, llm: FakeLLM) -> None:
    """`accept --edit`: the text saved in $EDITOR is committed as the user's explicit words."""
    configure(workspace)
    seed(workspace)
    llm.tool_call(
        "propose_change",
        proposal("cap bodies", add("The service MUST reply 413 to a body over 1 MiB.")),
    )
    assert _say(workspace, llm, "keep bodies small").code == 0
    editor = "sed -i 's/over 1 MiB/over 8 MiB/'"
    accepted = cli(workspace, "accept", "--edit", env={"EDITOR": editor, "VISUAL": ""})
    assert accepted.code == 0, accepted.err
    edited = "The service MUST reply 413 to a body over 8 MiB."
    edit = next(r for r in ledger_records(workspace) if r.get("kind") == "edit")
    assert edit["text"] == edited
    spec = (workspace / "specs" / "telemetry.md").read_text(encoding="utf-8")
    assert f'- **ING-3** {edited}\n  > explicit ({edit["id"]}): "{edited}"' in spec
    assert not list((workspace / ".charter").glob("edit-*.toml"))


def test_confirm_and_review_exit_codes(workspace: Path, llm: FakeLLM) -> None:
    """confirm commits (0); a non-inferred item, nothing pending or an unknown question is
    refused (1); bad IDs and multi-line notes are bad input (2)."""
    configure(workspace)
    base = seed(workspace)
    done = cli(workspace, "confirm", "ING-1", "--note", "yes, that one", "--json")
    assert done.code == 0, done.err
    assert json.loads(done.out)["commit"] == head(workspace) != base
    assert cli(workspace, "confirm", "ING-1").code == 1
    assert cli(workspace, "confirm", "not-an-id").code == 2
    multi = cli(workspace, "confirm", "REP-1", "--note", "two\nlines")
    assert multi.code == 2 and "one line" in multi.err
    assert cli(workspace, "accept").code == 1
    assert cli(workspace, "reject").code == 1
    pending = cli(workspace, "pending", "--json")
    assert pending.code == 1 and json.loads(pending.out) == {"pending": None}
    unknown = cli(workspace, "answer", "Q-404-1", "yes", env=llm.env())
    assert unknown.code == 1 and "No builder question Q-404-1" in unknown.err
    assert not llm.chat_requests


def test_accept_confirm_is_one_commit_citing_one_record(workspace: Path, llm: FakeLLM) -> None:
    """`accept --confirm 2,3 --note TEXT`: the proposal and the confirmation of its inferred
    items are ONE commit; one `confirm` record holds the note verbatim and both items cite it.
    Confirming an explicit item, or a malformed list, is refused and nothing is committed."""
    configure(workspace)
    seed(workspace)
    llm.tool_call(
        "propose_change",
        proposal(
            "limits",
            add("The service MUST reject a batch of more than 500 events.", "500 events"),
            add("The service SHOULD log each rejected batch."),
            add("The service MUST reply 413 to a body over 1 MiB."),
        ),
    )
    assert _say(workspace, llm, "reject batches of more than 500 events").code == 0
    before = head(workspace)
    bad = cli(workspace, "accept", "--confirm", "two")
    assert bad.code == 2 and "--confirm" in bad.err
    explicit = cli(workspace, "accept", "--confirm", "1")
    assert explicit.code == 1 and "item 1" in explicit.err
    assert head(workspace) == before
    note = "yes — both of them"
    done = cli(workspace, "accept", "--confirm", "2,3", "--note", note, "--json")
    assert done.code == 0, done.err
    doc = json.loads(done.out)
    assert doc == {"commit": head(workspace), "proposal": "p-0001", "confirmed": ["ING-4", "ING-5"]}
    assert git(workspace, "rev-list", "--count", f"{before}..HEAD").strip() == "1"
    (record,) = [r for r in ledger_records(workspace) if r.get("kind") == "confirm"]
    assert (record["role"], record["text"], record["proposal"]) == ("user", note, "p-0001")
    spec = (workspace / "specs" / "telemetry.md").read_text(encoding="utf-8")
    assert spec.count(f'  > confirmed ({record["id"]}): "{note}"') == 2
    assert cli(workspace, "pending").code == 1
