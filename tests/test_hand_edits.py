"""Hand edits never ride along unreviewed: `say` notices uncommitted spec edits before the turn
and offers commit-first, set-aside (restorable) or abort; `accept` refuses a spec changed since
the proposal. Through the CLI, against the scripted model server; git and the ledger are real.
"""

from __future__ import annotations

from pathlib import Path

from tests.fakellm import FakeLLM
from tests.scribe_support import (
    TELEMETRY,
    add,
    cli,
    configure,
    git,
    head,
    ledger_records,
    proposal,
    seed,
)

SPEC = "specs/telemetry.md"
HAND = "- **ING-9** The service MUST log every rejected batch.\n  > inferred: my own note\n"


def _hand_edit(root: Path) -> str:
    """Add a requirement to the spec by hand (not committed); return the new file text."""
    text = TELEMETRY.replace("\n## Reports", f"{HAND}\n## Reports")
    (root / SPEC).write_text(text, encoding="utf-8")
    return text


def _script_add(llm: FakeLLM) -> None:
    """The scribe proposes one inferred requirement in the Reports section."""
    llm.tool_call(
        "propose_change",
        proposal("weekly totals", add("The service MAY report weekly totals.", section="Reports")),
    )


def test_say_refuses_over_hand_edits_and_names_the_ways_on(workspace: Path, llm: FakeLLM) -> None:
    """Without a choice (no terminal), the turn is refused: exit 1, nothing sent or committed;
    the message itself is kept in the ledger, not answered yet (test_message_first.py)."""
    configure(workspace)
    base = seed(workspace)
    text = _hand_edit(workspace)
    _script_add(llm)
    said = cli(workspace, "say", "add weekly totals", env=llm.env())
    assert said.code == 1, said.err
    assert "uncommitted hand edits (specs/telemetry.md" in said.err
    assert "--commit-hand-edits" in said.err and "--set-aside" in said.err
    assert llm.chat_requests == [], "nothing was sent to the model"
    assert [(r["role"], r["kind"]) for r in ledger_records(workspace)] == [
        ("user", "message"),
        ("event", "held"),
    ]
    assert head(workspace) == base
    assert (workspace / SPEC).read_text(encoding="utf-8") == text


def test_commit_hand_edits_first_is_its_own_commit_quoting_nothing(
    workspace: Path, llm: FakeLLM
) -> None:
    """The hand edit gets its own commit listing ING-9; the scribe's commit holds only its own."""
    configure(workspace)
    base = seed(workspace)
    _hand_edit(workspace)
    _script_add(llm)
    said = cli(workspace, "say", "add weekly totals", "--commit-hand-edits", env=llm.env())
    assert said.code == 0, said.err
    hand = head(workspace)
    assert hand != base and git(workspace, "rev-parse", f"{hand}^").strip() == base
    message = git(workspace, "log", "-1", "--format=%B", str(hand))
    assert message.startswith("spec: hand edit of telemetry.md\n")
    assert "No words were quoted" in message
    assert "+ ING-9 inferred  The service MUST log every rejected batch." in message
    assert "Charter-Intent" not in message and "Charter-Hand-Edit: yes" in message

    accepted = cli(workspace, "accept")
    assert accepted.code == 0, accepted.err
    scribe = head(workspace)
    patch = git(workspace, "show", "--format=", str(scribe), "--", SPEC)
    added = [line for line in patch.splitlines() if line.startswith("+") and "**" in line]
    assert added == ["+- **REP-2** The service MAY report weekly totals."], patch
    assert "ING-9" not in git(workspace, "log", "-1", "--format=%B", str(scribe))
    assert git(workspace, "status", "--porcelain", "--", "specs", "transcripts") == ""


def test_set_aside_then_restore_merges_the_hand_edit_back(workspace: Path, llm: FakeLLM) -> None:
    """Set aside: the turn runs on the committed spec; restore brings the edit back, merged."""
    configure(workspace)
    base = seed(workspace)
    _hand_edit(workspace)
    git(workspace, "add", SPEC)  # staged, too: set aside unstages it, as git stash does
    _script_add(llm)
    said = cli(workspace, "say", "add weekly totals", "--set-aside", env=llm.env())
    assert said.code == 0, said.err
    assert "set aside your hand edits to specs/telemetry.md" in said.err
    assert head(workspace) == base
    assert (workspace / SPEC).read_text(encoding="utf-8") == TELEMETRY
    assert git(workspace, "diff", "--cached", "--name-only") == ""
    assert cli(workspace, "handedits", "list").out.count("s-") == 1

    assert cli(workspace, "accept").code == 0
    committed = git(workspace, "show", f"HEAD:{SPEC}")
    assert "ING-9" not in committed and "REP-2" in committed

    restored = cli(workspace, "handedits", "restore")
    assert restored.code == 0, restored.err
    text = (workspace / SPEC).read_text(encoding="utf-8")
    assert "**ING-9**" in text and "**REP-2**" in text, "both the edit and the commit are there"
    assert cli(workspace, "handedits", "list").out == ""
    assert cli(workspace, "handedits", "restore").code == 1


def test_restore_that_does_not_merge_keeps_the_edits(workspace: Path, llm: FakeLLM) -> None:
    """A conflicting restore changes nothing and says where the edits are kept."""
    configure(workspace)
    seed(workspace)
    _hand_edit(workspace)
    aside = cli(workspace, "handedits", "set-aside")
    assert aside.code == 0, aside.err
    assert (workspace / SPEC).read_text(encoding="utf-8") == TELEMETRY
    clash = TELEMETRY.replace(
        "\n## Reports", "- **ING-9** Something else MUST happen.\n\n## Reports"
    )
    (workspace / SPEC).write_text(clash, encoding="utf-8")
    restored = cli(workspace, "handedits", "restore")
    assert restored.code == 1
    assert "do not merge; nothing was restored" in restored.err and "/files" in restored.err
    assert (workspace / SPEC).read_text(encoding="utf-8") == clash


def test_accept_refuses_when_the_spec_changed_after_the_proposal(
    workspace: Path, llm: FakeLLM
) -> None:
    """A hand edit made while the proposal waits refuses the accept; nothing is overwritten."""
    configure(workspace)
    base = seed(workspace)
    _script_add(llm)
    assert cli(workspace, "say", "add weekly totals", env=llm.env()).code == 0
    text = _hand_edit(workspace)
    accepted = cli(workspace, "accept")
    assert accepted.code == 1
    assert "changed on disk since p-0001" in accepted.err
    assert head(workspace) == base
    assert (workspace / SPEC).read_text(encoding="utf-8") == text
    assert cli(workspace, "pending").code == 0
