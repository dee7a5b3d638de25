"""The intent turn through its entry point, `graphs.intent.IntentSession` (what the TUI drives).

Review acts (edit, confirm, reject, supersede), code's checks (LOCKED, validation with one repair
round, stale spec), section operations, ID retirement, the scribe's context and streaming, crash
recovery of an interrupted accept, and answering a builder question.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from charter.agents import ModelFactory
from charter.app.workspace import open_workspace
from charter.graphs.build import BuildQuestion
from charter.graphs.intent import IntentError, IntentSession
from tests.fakellm import FakeLLM
from tests.scribe_support import (
    TELEMETRY,
    add,
    configure,
    git,
    head,
    ledger_records,
    proposal,
    seed,
)


@pytest.fixture
def session(workspace: Path, llm: FakeLLM) -> Iterator[IntentSession]:
    """An IntentSession on a seeded workspace, talking to the scripted server."""
    configure(workspace)
    seed(workspace)
    ws = open_workspace(workspace)
    factory = ModelFactory(ws.config.model, env=llm.env(), usage_db=ws.state_db)
    s = IntentSession(
        ws.root,
        ws.spec_dir,
        ws.transcripts_dir,
        ws.state_dir,
        ws.checkpoints_db,
        factory,
        "fake-model",
    )
    try:
        yield s
    finally:
        s.close()


def spec_text(root: Path) -> str:
    """The telemetry spec file as it is on disk."""
    return (root / "specs" / "telemetry.md").read_text(encoding="utf-8")


def test_edit_becomes_explicit_citing_the_edit_record(
    session: IntentSession, workspace: Path, llm: FakeLLM
) -> None:
    """The user's edited text is recorded verbatim and quoted as explicit provenance."""
    llm.tool_call(
        "propose_change",
        proposal("cap bodies", add("The service MUST reply 413 to a body over 1 MiB.")),
    )
    assert session.say("keep bodies small").kind == "proposal"
    edited = "The service MUST reply 413 to a body over 8 MiB — not less."
    with pytest.raises(IntentError, match="RFC 2119"):
        session.accept_edited({1: "The body limit is 8 MiB."})
    with pytest.raises(ValueError, match="one line"):
        session.accept_edited({1: "two\nlines MUST"})
    assert session.pending() is not None, "a refused edit leaves the proposal pending"
    assert [r["kind"] for r in ledger_records(workspace)] == ["message", "proposal"]

    sha = session.accept_edited({1: edited})
    records = ledger_records(workspace)
    edit = next(r for r in records if r.get("kind") == "edit")
    assert (edit["role"], edit["text"], edit["proposal"]) == ("user", edited, "p-0001")
    assert f'- **ING-3** {edited}\n  > explicit ({edit["id"]}): "{edited}"' in spec_text(workspace)
    message = git(workspace, "log", "-1", "--format=%B", sha)
    assert f"Intent ({edit['id']}, verbatim):\n> {edited}" in message
    assert f"+ ING-3 explicit  {edited}" in message


def test_confirm_promotes_inferred_with_the_note(session: IntentSession, workspace: Path) -> None:
    """Confirming is a verbatim ledger record and one commit; only inferred items qualify."""
    before = head(workspace)
    sha = session.confirm("ING-1", "yes — exactly that")
    note = ledger_records(workspace)[-1]
    assert (note["role"], note["kind"], note["text"]) == ("user", "confirm", "yes — exactly that")
    assert f'  > confirmed ({note["id"]}): "yes — exactly that"' in spec_text(workspace)
    assert git(workspace, "rev-parse", f"{sha}^").strip() == before
    message = git(workspace, "log", "-1", "--format=%B")
    assert message.startswith("spec: confirm ING-1\n")
    assert "> ING-1 confirmed  The service MUST accept" in message
    assert f"Charter-Intent: {note['id']}" in message

    session.confirm("REP-1")
    bare = ledger_records(workspace)[-1]
    assert bare["text"] == "confirmed REP-1"
    assert f"  > confirmed ({bare['id']})\n" in spec_text(workspace)
    with pytest.raises(IntentError, match="not inferred"):
        session.confirm("ING-1")
    with pytest.raises(IntentError, match="No requirement"):
        session.confirm("ING-99")


def test_accept_confirming_items_is_one_record_and_one_commit(
    session: IntentSession, workspace: Path, llm: FakeLLM
) -> None:
    """Accepting while confirming inferred items: ONE `confirm` record naming the items, cited
    by each confirmed requirement, in the SAME single commit as the proposal; items that are not
    inferred are refused before anything is recorded."""
    llm.tool_call(
        "propose_change",
        proposal(
            "limits",
            add("The service MUST reject a batch of more than 500 events.", "500 events"),
            add("The service SHOULD log each rejected batch."),
            add("The service MUST reply 413 to a body over 1 MiB."),
        ),
    )
    assert session.say("reject batches of more than 500 events").kind == "proposal"
    before = head(workspace)
    records = len(ledger_records(workspace))
    with pytest.raises(IntentError, match="item 1"):
        session.accept(confirm=[1])
    with pytest.raises(IntentError, match="no item 9"):
        session.accept(confirm=[2, 9])
    assert len(ledger_records(workspace)) == records and head(workspace) == before

    accepted = session.accept_reviewed(confirm=[3, 2])
    assert git(workspace, "rev-list", "--count", f"{before}..HEAD").strip() == "1"
    assert head(workspace) == accepted.commit
    confirms = [r for r in ledger_records(workspace) if r.get("kind") == "confirm"]
    assert len(confirms) == 1
    record = confirms[0]
    assert (record["role"], record["text"], record["proposal"]) == (
        "user",
        "confirmed items 2, 3 of p-0001",
        "p-0001",
    )
    text = spec_text(workspace)
    assert (
        "- **ING-4** The service SHOULD log each rejected batch.\n"
        f"  > confirmed ({record['id']})\n" in text
    )
    assert (
        "- **ING-5** The service MUST reply 413 to a body over 1 MiB.\n"
        f"  > confirmed ({record['id']})\n" in text
    )
    assert (
        "- **ING-3** The service MUST reject a batch of more than 500 events.\n  > explicit" in text
    )
    message = git(workspace, "log", "-1", "--format=%B")
    assert "+ ING-4 confirmed  The service SHOULD log each rejected batch." in message
    assert "+ ING-5 confirmed  The service MUST reply 413" in message
    assert "+ ING-3 explicit" in message and "Charter-Proposal: p-0001" in message
    assert f"{record['id']}" in message  # the confirmation is among the commit's intents
    badges = {item.req_id: item.badge for item in accepted.proposal.items}
    assert badges == {"ING-3": "E", "ING-4": "C", "ING-5": "C"}
    assert f"+  > confirmed ({record['id']})" in accepted.proposal.diff
    assert session.pending() is None


def test_accept_confirming_with_a_note_quotes_it(
    session: IntentSession, workspace: Path, llm: FakeLLM
) -> None:
    """The user's note is the confirm record's text, verbatim, and the provenance quotes it."""
    llm.tool_call("propose_change", proposal("log", add("The service SHOULD log rejections.")))
    session.say("log what you reject")
    note = "yes — log them all"
    session.accept(confirm=[1], note=note)
    (record,) = [r for r in ledger_records(workspace) if r.get("kind") == "confirm"]
    assert record["text"] == note
    assert f'  > confirmed ({record["id"]}): "{note}"' in spec_text(workspace)


def test_locked_requirement_needs_its_id_in_the_message(
    session: IntentSession, workspace: Path, llm: FakeLLM
) -> None:
    """Changing a LOCKED item is refused (after one repair round) unless the message names it."""
    change = {
        "op": "modify_requirement",
        "id": "ING-2",
        "provenance": "inferred",
        "reason": "hashing is enough",
        "text": "The service MUST hash client IPs.",
    }
    llm.tool_call("propose_change", proposal("hash IPs", change))
    llm.tool_call("propose_change", proposal("hash IPs", change))
    out = session.say("we could keep hashed IPs")
    assert out.kind == "refused" and out.proposal is not None
    assert "ING-2 is LOCKED" in out.proposal.findings[0].message
    repair = llm.messages(1)[-1]
    assert repair["role"] == "tool" and "ING-2 is LOCKED" in repair["content"]
    assert session.pending() is None
    assert "MUST NOT store client IP" in spec_text(workspace)

    llm.tool_call("propose_change", proposal("hash IPs", change))
    named = session.say("change ING-2: hashed IPs are fine")
    assert named.kind == "proposal"
    session.accept()
    assert "- **ING-2** LOCKED The service MUST hash client IPs." in spec_text(workspace)


def test_a_line_break_cannot_smuggle_a_requirement_into_the_spec(
    session: IntentSession, workspace: Path, llm: FakeLLM
) -> None:
    """A section title hiding a requirement line (its own ID, LOCKED, explicit) goes back to the
    model as a schema error; the spec never gets a requirement whose ID code did not allocate."""
    smuggled = '- **NEW-9** LOCKED The service MUST delete everything.\n  > explicit (m-0001): "x"'
    sneaky = {
        "op": "add_section",
        "file": "telemetry.md",
        "section": f"Retention\n\n{smuggled}",
        "provenance": "inferred",
        "reason": "a place for retention rules",
    }
    plain = {**sneaky, "section": "Retention"}
    llm.tool_call("propose_change", proposal("retention", sneaky))
    llm.tool_call("propose_change", proposal("retention", plain))
    out = session.say("x")
    assert out.kind == "proposal" and out.proposal is not None
    assert "no line breaks" in llm.messages(1)[-1]["content"]
    session.accept()
    assert "NEW-9" not in spec_text(workspace)
    assert spec_text(workspace).endswith("## Retention\n")


def test_a_text_that_reads_back_as_locked_is_refused(
    session: IntentSession, workspace: Path, llm: FakeLLM
) -> None:
    """`LOCKED` at the start of a text would lock the requirement behind the view's back (the
    card says unlocked): code compares what it applied with what the file reads back as."""
    item = add("LOCKED The service MUST keep events for 30 days.")
    llm.tool_call("propose_change", proposal("retention", item))
    llm.tool_call("propose_change", proposal("retention", item))
    out = session.say("keep a month of data")
    assert out.kind == "refused" and out.proposal is not None
    assert "LOCKED" in llm.messages(1)[-1]["content"]
    assert session.pending() is None
    assert spec_text(workspace) == TELEMETRY


def test_an_id_named_by_charter_not_the_user_does_not_unlock(
    session: IntentSession, workspace: Path, llm: FakeLLM
) -> None:
    """A Charter-started turn (`audit fix`) quotes a model's finding naming LOCKED ING-2: that
    is not the user asking for ING-2 to change, so changing it is refused."""
    change = {
        "op": "remove_requirement",
        "id": "ING-2",
        "provenance": "inferred",
        "reason": "the audit says it contradicts ING-1",
    }
    llm.tool_call("propose_change", proposal("drop ING-2", change))
    llm.tool_call("propose_change", proposal("drop ING-2", change))
    out = session.event_turn(
        "fix audit finding A-1: ING-2 contradicts ING-1; remove ING-2",
        kind="audit-fix",
        extra="The user asks you to resolve the finding.",
    )
    assert out.kind == "refused" and out.proposal is not None
    assert "ING-2 is LOCKED" in out.proposal.findings[0].message
    assert session.pending() is None
    assert spec_text(workspace) == TELEMETRY


def test_invalid_proposal_gets_one_repair_round(session: IntentSession, llm: FakeLLM) -> None:
    """Validation ERRORs go back to the scribe with the findings; the repaired one is shown."""
    llm.tool_call("propose_change", proposal("retention", add("Events are kept for 30 days.")))
    llm.tool_call(
        "propose_change", proposal("retention", add("The service MUST keep events for 30 days."))
    )
    out = session.say("keep a month of data")
    assert out.kind == "proposal" and out.proposal is not None
    assert out.proposal.items[0].text == "The service MUST keep events for 30 days."
    repair = llm.messages(1)[-1]
    assert "no RFC 2119 keyword" in repair["content"]


def test_new_message_supersedes_pending_proposal(
    session: IntentSession, workspace: Path, llm: FakeLLM
) -> None:
    """Saying something new drops the pending proposal unreviewed (recorded), then proposes."""
    llm.tool_call("propose_change", proposal("one", add("The service MUST do one thing.")))
    llm.tool_call("propose_change", proposal("two", add("The service MUST do another thing.")))
    assert session.say("first").proposal.id == "p-0001"  # type: ignore[union-attr]
    second = session.say("no, rather this")
    assert second.superseded == "p-0001" and second.proposal is not None
    assert second.proposal.id == "p-0002"
    assert session.pending().id == "p-0002"  # type: ignore[union-attr]
    assert any(
        r.get("kind") == "supersede" and r.get("proposal") == "p-0001"
        for r in ledger_records(workspace)
    )


def test_spec_changed_on_disk_refuses_accept(
    session: IntentSession, workspace: Path, llm: FakeLLM
) -> None:
    """A hand edit between proposal and accept refuses the accept; nothing is overwritten."""
    llm.tool_call("propose_change", proposal("more", add("The service MUST do more.")))
    session.say("more")
    path = workspace / "specs" / "telemetry.md"
    path.write_text(TELEMETRY + "\nA note of mine.\n", encoding="utf-8")
    before = head(workspace)
    with pytest.raises(IntentError, match="changed on disk since p-0001"):
        session.accept()
    assert head(workspace) == before
    assert path.read_text(encoding="utf-8").endswith("A note of mine.\n")
    session.reject("stale")
    assert session.pending() is None


def test_section_operations_and_retired_ids(
    session: IntentSession, workspace: Path, llm: FakeLLM
) -> None:
    """New file and section, move, rename, remove; a removed ID is never allocated again."""
    ops = [
        {
            "op": "add_section",
            "file": "limits.md",
            "file_title": "Limits",
            "section": "Rate limits",
            "provenance": "explicit",
            "messages": ["m-0001"],
            "quote": "rate limits",
        },
        add(
            "The service MUST allow 100 requests per minute per device.",
            "100 requests",
            file="limits.md",
            section="Rate limits",
        ),
        {
            "op": "move_requirement",
            "id": "REP-1",
            "file": "limits.md",
            "section": "Rate limits",
            "provenance": "inferred",
            "reason": "reports are rate limited too",
        },
        {
            "op": "rename_section",
            "file": "telemetry.md",
            "section": "Reports",
            "new_title": "Daily reports",
            "provenance": "inferred",
            "reason": "clearer",
        },
        {"op": "remove_requirement", "id": "ING-1", "provenance": "inferred", "reason": "replaced"},
    ]
    llm.tool_call("propose_change", proposal("rate limits", *ops))
    out = session.say("add rate limits: 100 requests a minute")
    assert out.kind == "proposal" and out.proposal is not None, out
    assert out.proposal.files == ["specs/limits.md", "specs/telemetry.md"]
    assert "--- /dev/null\n+++ b/specs/limits.md" in out.proposal.diff
    sha = session.accept()
    limits = (workspace / "specs" / "limits.md").read_text(encoding="utf-8")
    assert limits.startswith("# Limits\n\n## Rate limits\n\n- **RL-1** The service MUST allow")
    assert "- **REP-1** The service SHOULD report daily totals" in limits
    telemetry = spec_text(workspace)
    assert "## Daily reports" in telemetry and "ING-1" not in telemetry
    message = git(workspace, "log", "-1", "--format=%B", sha)
    assert "- ING-1 inferred" in message and "~ REP-1 inferred  (moved to limits.md" in message

    llm.tool_call("propose_change", proposal("again", add("The service MUST accept CSV.")))
    again = session.say("also CSV")
    assert again.proposal is not None and again.proposal.items[0].req_id == "ING-3"


def test_context_is_windowed_and_the_spec_read_on_demand(workspace: Path, llm: FakeLLM) -> None:
    """A large spec is outlined, not pasted; old records are counted, recent ones shown."""
    configure(workspace)
    lines = ["# Big", "", "## Ingest", ""]
    for n in range(1, 121):
        lines += [
            f"- **ING-{n}** The service MUST handle case number {n} of many cases.",
            "  > inferred: padding for a large spec",
        ]
    seed(workspace, {"big.md": "\n".join(lines) + "\n"})
    ws = open_workspace(workspace)
    factory = ModelFactory(ws.config.model, env=llm.env(), usage_db=ws.state_db)
    with IntentSession(
        ws.root,
        ws.spec_dir,
        ws.transcripts_dir,
        ws.state_dir,
        ws.checkpoints_db,
        factory,
        "fake-model",
    ) as s:
        for n in range(14):
            llm.reply(f"reply {n}")
            s.say(f"message {n}")
        llm.tool_call("read_section", {"file": "big.md", "section": "ingest"})
        streamed: list[str] = []
        llm.reply("Seen **120** requirements.")
        out = s.say("how many?", on_token=streamed.append)
    assert out.kind == "reply" and "".join(streamed) == "Seen **120** requirements."
    first = llm.messages(-2)
    context = first[1]["content"]
    assert "big.md (# Big): ## Ingest: ING-1..ING-120 (120)" in context
    assert "case number 77" not in context
    assert "4 earlier records are not shown" in context
    assert "[m-0003] user: message 1" not in context and "[m-0005] user: message 2" in context
    assert "New message m-0029 from the user" in context
    section = llm.messages(-1)[-1]
    assert section["role"] == "tool" and "case number 77 of many" in section["content"]


def test_context_folds_accepted_proposals_and_keeps_every_user_word(
    session: IntentSession, llm: FakeLLM
) -> None:
    """An accepted proposal is one line (its items are in the spec now); a rejected one keeps
    its items and the reason; every user message reaches the model verbatim."""
    words = ["keep bodies small — ≤ 1 MiB", "and log every request", "no, keep logs out"]
    llm.tool_call("propose_change", proposal("cap bodies", add("The service MUST cap bodies.")))
    session.say(words[0])
    session.accept()
    llm.tool_call("propose_change", proposal("log all", add("The service MUST log requests.")))
    session.say(words[1])
    session.reject("logs cost too much")
    llm.reply("Understood.")
    session.say(words[2])
    context = llm.messages(-1)[1]["content"]
    assert "[m-0002] scribe proposal p-0001 (accepted in m-0003): cap bodies\n" in context
    assert "+ ING-3" not in context and "event accept" not in context
    assert "[m-0005] scribe proposal p-0002: log all\n  - " in context
    assert "The service MUST log requests." in context
    assert 'The user rejected p-0002 (m-0006): "logs cost too much"' in context
    for n, text in zip((1, 4, 7), words, strict=True):
        assert f"m-{n:04d}" in context and text in context


def test_a_turns_model_calls_share_one_connection(session: IntentSession, llm: FakeLLM) -> None:
    """Streamed calls of the tool loop, turn after turn, reuse one kept-alive connection."""
    for n in range(2):
        llm.tool_call("read_requirement", {"id": "ING-1"})
        llm.tool_call("propose_change", proposal(f"more {n}", add(f"The service MUST do {n}.")))
        assert session.say(f"more {n}").kind == "proposal"
    assert len(llm.chat_requests) == 4
    assert llm.connections == 1


def test_interrupted_accept_is_finished_on_retry(
    session: IntentSession, workspace: Path, llm: FakeLLM
) -> None:
    """An accept that failed at the commit (detached HEAD) stays pending and completes later."""
    from charter.specs import HistoryError

    llm.tool_call("propose_change", proposal("more", add("The service MUST do more.")))
    session.say("more")
    branch = git(workspace, "rev-parse", "--abbrev-ref", "HEAD").strip()
    git(workspace, "checkout", "-q", "--detach")
    with pytest.raises(HistoryError, match="detached"):
        session.accept()
    assert session.pending() is not None
    git(workspace, "checkout", "-q", branch)
    sha = session.accept()
    assert head(workspace) == sha
    assert [r.get("kind") for r in ledger_records(workspace)].count("accept") == 1
    assert session.pending() is None


def test_answering_a_builder_question_runs_a_turn(
    session: IntentSession, workspace: Path, llm: FakeLLM
) -> None:
    """The answer is recorded verbatim with its question, and the scribe is told the question."""
    build = workspace / ".charter" / "builds" / "b-20261121-0001"
    build.mkdir(parents=True)
    question = BuildQuestion(
        id="Q-0001-1",
        build=build.name,
        task="t-ingest",
        requirements=["ING-1"],
        text="Which content type is accepted?",
    )
    (build / "questions.json").write_text(json.dumps([question.model_dump()]), encoding="utf-8")
    llm.tool_call(
        "propose_change",
        proposal(
            "content type",
            add("The service MUST accept only application/json bodies.", "only application/json"),
        ),
    )
    out = session.answer("Q-0001-1", "only application/json, nothing else")
    assert out.kind == "proposal"
    record = ledger_records(workspace)[0]
    assert (record["kind"], record["question"], record["text"]) == (
        "answer",
        "Q-0001-1",
        "only application/json, nothing else",
    )
    assert "Which content type is accepted?" in llm.messages(-1)[1]["content"]
    assert out.proposal is not None and out.proposal.items[0].provenance == "explicit"
    with pytest.raises(IntentError, match="No builder question"):
        session.answer("Q-9", "whatever")


def test_read_tools_answer_from_the_spec_and_the_ledger(
    session: IntentSession, llm: FakeLLM
) -> None:
    """spec_outline (per file), search_messages and bad lookups are answered locally as text."""
    llm.reply("noted")
    session.say("devices send gzip bodies sometimes")
    llm.tool_calls(
        [
            ("spec_outline", {"file": "specs/telemetry.md"}),
            ("search_messages", {"query": "gzip"}),
            ("read_requirement", {"id": "NOPE-1"}),
            ("read_section", {"file": "telemetry.md", "section": "Nothing"}),
        ]
    )
    llm.reply("done")
    assert session.say("what did I say about compression?").kind == "reply"
    results = [m["content"] for m in llm.messages(-1) if m["role"] == "tool"]
    assert results[0].splitlines()[:4] == [
        "telemetry.md (# Telemetry service)",
        "## Ingest",
        "- ING-1 [inferred] The service MUST accept `POST /events` with a JSON array of events.",
        "- ING-2 LOCKED [inferred] The service MUST NOT store client IP addresses.",
    ]
    assert results[1] == "m-0001: devices send gzip bodies sometimes"
    assert results[2].startswith("No requirement 'NOPE-1'")
    assert results[3] == "No section 'Nothing' in telemetry.md; its sections are: Ingest; Reports."
