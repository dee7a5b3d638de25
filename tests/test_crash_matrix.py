"""The crash matrix: `accept`, `confirm` and `say --commit-hand-edits` killed at every named step
of the commit journal (`CHARTER_TEST_KILL_AT=<step>` makes the process `os._exit(137)` there).

After each kill, the next command finds either "not committed, proposal pending" or "committed
and fully synced", never anything in between. Each case asserts: no lost requirement, no reused
ID, no duplicate commit, index and work tree equal to HEAD for the spec, and the user's own
staged, unstaged and untracked files untouched. The killed run is a real subprocess; the rest
run the same CLI in-process.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from charter.specs import JOURNAL_STEPS
from tests.conftest import run_charter
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
KILLED = 137
HAND = "- **ING-9** The service MUST log every rejected batch.\n  > inferred: my own note\n"


def _user_work(root: Path) -> dict[str, object]:
    """Give the user staged, unstaged and untracked work of their own; return a snapshot."""
    (root / "notes.txt").write_text("my notes, edited\n", encoding="utf-8")  # unstaged
    (root / "staged.txt").write_text("staged by me\n", encoding="utf-8")
    git(root, "add", "staged.txt")
    (root / "untracked.txt").write_text("not for git yet\n", encoding="utf-8")
    return _snapshot(root)


def _snapshot(root: Path) -> dict[str, object]:
    """The user's files and their git status, to compare after the crash."""
    names = ("notes.txt", "staged.txt", "untracked.txt")
    return {
        "status": git(root, "status", "--porcelain", "--", *names),
        "cached": git(root, "diff", "--cached", "--", *names),
        "files": {n: (root / n).read_bytes() for n in names},
    }


def _start(root: Path) -> str:
    """A seeded workspace with a tracked file of the user's; returns the base commit."""
    configure(root)
    (root / "notes.txt").write_text("my notes\n", encoding="utf-8")
    return seed(root)


def _since(root: Path, base: str) -> list[str]:
    """The messages of the commits made since `base`, oldest first."""
    out = git(root, "log", "--reverse", "-z", "--format=%B", f"{base}..HEAD")
    return [m for m in out.split("\0") if m.strip()]


def _spec_synced(root: Path) -> None:
    """Index and work tree equal HEAD for every spec path."""
    assert git(root, "status", "--porcelain", "--untracked-files=all", "--", "specs") == ""


def _kill(root: Path, step: str, *args: str, env: dict[str, str] | None = None) -> None:
    """Run `charter ARGS` in a subprocess that dies at journal step `step`."""
    done = run_charter(*args, cwd=root, env={**(env or {}), "CHARTER_TEST_KILL_AT": step})
    assert done.code == KILLED, f"never reached {step}: {done.code} {done.err}"


def _next_proposal_gets_a_fresh_id(root: Path, llm: FakeLLM, expected: str) -> None:
    """One more turn and accept: the new requirement gets `expected`, nothing is reused."""
    llm.tool_call("propose_change", proposal("next", add("The service MUST do the next thing.")))
    said = cli(root, "say", "and the next thing", env=llm.env())
    assert said.code == 0, said.err
    assert f"+ {expected}" in said.out
    accepted = cli(root, "accept")
    assert accepted.code == 0, accepted.err
    assert f"**{expected}** The service MUST do the next thing." in git(
        root, "show", f"HEAD:{SPEC}"
    )
    _spec_synced(root)


@pytest.mark.parametrize("step", JOURNAL_STEPS)
def test_accept_killed_at_each_step(workspace: Path, llm: FakeLLM, step: str) -> None:
    """`accept` killed at `step`: either pending still, or committed and synced; never half."""
    base = _start(workspace)
    llm.tool_call(
        "propose_change",
        proposal("more", add("The service MUST do more.", "do more")),
    )
    assert cli(workspace, "say", "please do more", env=llm.env()).code == 0
    mine = _user_work(workspace)
    _kill(workspace, step, "accept")

    pending = cli(workspace, "pending")  # any command replays the journal first
    _spec_synced(workspace)
    if head(workspace) == base:  # not committed: the proposal is still there to accept
        assert pending.code == 0 and "p-0001" in pending.out
        accepted = cli(workspace, "accept")
        assert accepted.code == 0, accepted.err
    else:
        assert pending.code == 1, "a landed accept is not pending any more"
        assert cli(workspace, "accept").code == 1
    messages = _since(workspace, base)
    assert len(messages) == 1 and "Charter-Proposal: p-0001" in messages[0], "one commit"
    assert "**ING-3** The service MUST do more." in git(workspace, "show", f"HEAD:{SPEC}")
    accepts = [r for r in ledger_records(workspace) if r.get("kind") == "accept"]
    assert len(accepts) == 1
    _spec_synced(workspace)
    assert _snapshot(workspace) == mine
    _next_proposal_gets_a_fresh_id(workspace, llm, "ING-4")
    assert "**ING-3**" in git(workspace, "show", f"HEAD:{SPEC}"), "ING-3 is not lost"
    assert _snapshot(workspace) == mine


@pytest.mark.parametrize("step", JOURNAL_STEPS)
def test_confirm_killed_at_each_step(workspace: Path, llm: FakeLLM, step: str) -> None:
    """`confirm` killed at `step`: run again, it confirms once or says it is done already."""
    base = _start(workspace)
    mine = _user_work(workspace)
    _kill(workspace, step, "confirm", "ING-1", "--note", "yes, batches")

    again = cli(workspace, "confirm", "ING-1", "--note", "yes, batches")
    if again.code != 0:
        assert "not inferred" in again.err, again.err
    messages = _since(workspace, base)
    assert len(messages) == 1 and messages[0].startswith("spec: confirm ING-1\n"), messages
    confirms = [r for r in ledger_records(workspace) if r.get("kind") == "confirm"]
    assert len(confirms) == 1, "the confirm is recorded once"
    committed = git(workspace, "show", f"HEAD:{SPEC}")
    assert f'> confirmed ({confirms[0]["id"]}): "yes, batches"' in committed
    _spec_synced(workspace)
    assert _snapshot(workspace) == mine
    _next_proposal_gets_a_fresh_id(workspace, llm, "ING-3")
    assert "> confirmed (" in git(workspace, "show", f"HEAD:{SPEC}"), "the confirm is not lost"


@pytest.mark.parametrize("step", JOURNAL_STEPS)
def test_say_committing_hand_edits_killed_at_each_step(
    workspace: Path, llm: FakeLLM, step: str
) -> None:
    """`say --commit-hand-edits` killed at `step`: the hand edit is committed once, or is still
    there uncommitted to commit again; the turn runs afterwards."""
    base = _start(workspace)
    edited = TELEMETRY.replace("\n## Reports", f"{HAND}\n## Reports")
    (workspace / SPEC).write_text(edited, encoding="utf-8")
    mine = _user_work(workspace)
    _kill(workspace, step, "say", "log rejects", "--commit-hand-edits", env=llm.env())
    assert llm.chat_requests == [], "killed before the turn"

    if head(workspace) == base:
        assert (workspace / SPEC).read_text(encoding="utf-8") == edited, "the hand edit is kept"
    llm.tool_call("propose_change", proposal("more", add("The service MUST do more.")))
    said = cli(workspace, "say", "log rejects", "--commit-hand-edits", env=llm.env())
    assert said.code == 0, said.err
    assert "+ ING-10" in said.out, "ING-9 (the hand edit's) is never reused"
    said_records = [r for r in ledger_records(workspace) if r.get("text") == "log rejects"]
    assert len(said_records) == 1, "the message kept before the kill is answered, not doubled"
    messages = _since(workspace, base)
    assert len(messages) == 1 and "Charter-Hand-Edit: yes" in messages[0], "one hand-edit commit"
    assert "**ING-9**" in git(workspace, "show", f"HEAD:{SPEC}")
    _spec_synced(workspace)
    assert _snapshot(workspace) == mine
    assert cli(workspace, "accept").code == 0
    spec = git(workspace, "show", f"HEAD:{SPEC}")
    assert "**ING-9**" in spec and "**ING-10**" in spec
    _spec_synced(workspace)
    assert _snapshot(workspace) == mine


@pytest.mark.parametrize("all_files", [False, True], ids=["git-commit", "git-commit-am"])
@pytest.mark.parametrize("step", JOURNAL_STEPS)
def test_plain_git_commit_after_a_killed_accept_reverts_nothing(
    workspace: Path, llm: FakeLLM, step: str, all_files: bool
) -> None:
    """`accept` killed at `step`, then the user's own `git commit` (or `git commit -am`) before
    any Charter command: the accepted requirement is never reverted, committed once with the
    user's words, and the next proposal gets a fresh ID."""
    base = _start(workspace)
    llm.tool_call(
        "propose_change",
        proposal("more", add("The service MUST do more.", "do more")),
    )
    assert cli(workspace, "say", "please do more", env=llm.env()).code == 0
    _user_work(workspace)
    _kill(workspace, step, "accept")

    git(workspace, "commit", "-q", *(["-a"] if all_files else []), "-m", "my own commit")
    spec_after_mine = git(workspace, "show", f"HEAD:{SPEC}")
    pending = cli(workspace, "pending")  # the first Charter command after the user's commit
    _spec_synced(workspace)
    if pending.code == 0:  # not committed: still there to accept, nothing was reverted
        assert "p-0001" in pending.out
        assert "**ING-3**" not in spec_after_mine or "**ING-3**" in git(
            workspace, "show", f"HEAD:{SPEC}"
        )
        accepted = cli(workspace, "accept")
        assert accepted.code == 0, accepted.err
    else:
        assert cli(workspace, "accept").code == 1, "a landed accept is not pending any more"
    spec = git(workspace, "show", f"HEAD:{SPEC}")
    assert "**ING-3** The service MUST do more." in spec, "the accepted change was reverted"
    messages = _since(workspace, base)
    ours = [m for m in messages if "Charter-Proposal: p-0001" in m]
    assert len(ours) == 1, messages
    assert "> please do more" in ours[0], "the commit carries the user's words"
    accepts = [r for r in ledger_records(workspace) if r.get("kind") == "accept"]
    assert len(accepts) == 1
    _spec_synced(workspace)
    _next_proposal_gets_a_fresh_id(workspace, llm, "ING-4")
    assert "**ING-3**" in git(workspace, "show", f"HEAD:{SPEC}"), "ING-3 is not lost"


@pytest.mark.parametrize("step", ["objects", "index"])
def test_own_commit_of_another_spec_edit_after_a_kill_keeps_both(
    workspace: Path, llm: FakeLLM, step: str
) -> None:
    """`accept` killed at `step`, then the user edits another line of the same spec file and
    runs `git commit -am`: the next command commits the accepted change on top, merged with the
    user's edit; both are in HEAD, the words in one commit, and nothing is left unsynced."""
    base = _start(workspace)
    llm.tool_call("propose_change", proposal("more", add("The service MUST do more.", "do more")))
    assert cli(workspace, "say", "please do more", env=llm.env()).code == 0
    _kill(workspace, step, "accept")
    spec = workspace / SPEC
    text = spec.read_text(encoding="utf-8")
    mine = "Devices send batches of events; the service reports daily totals, in UTC."
    spec.write_text(text.replace(mine.split(",")[0] + ".", mine), encoding="utf-8")
    git(workspace, "commit", "-q", "-am", "my own edit of the intro")

    pending = cli(workspace, "pending")
    assert pending.code == 1, pending.out
    assert "on top of your own commit" in pending.err
    committed = git(workspace, "show", f"HEAD:{SPEC}")
    assert mine in committed and "**ING-3** The service MUST do more." in committed
    messages = _since(workspace, base)
    assert len(messages) == 2 and messages[0].startswith("my own edit of the intro")
    assert "Charter-Proposal: p-0001" in messages[1] and "> please do more" in messages[1]
    _spec_synced(workspace)
    _next_proposal_gets_a_fresh_id(workspace, llm, "ING-4")
