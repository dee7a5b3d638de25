"""Spec history: the commit a spec change makes (files, message, trailers read back by git itself,
the user's other work left alone), and `charter log`, `show` and `why` reading it back."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from charter.specs import (
    Change,
    ChangeKind,
    CommitMessage,
    GitIdentityError,
    HeadMovedError,
    HistoryError,
    Intent,
    commit_spec_change,
    parse_intents,
    parse_trailers,
    render_commit_message,
)
from charter.transcripts import Ledger
from tests.conftest import run_charter

SESSION = "s-20261121-01"
SPEC = "specs/telemetry.md"
HEADER = "# Telemetry service\n\nDevices send batches of events.\n\n## Ingest\n\n"


def git(root: Path, *args: str) -> str:
    """Run git in `root` and return its stdout."""
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout


def spec(*items: str) -> bytes:
    """A spec file with the given requirement items (each: ID line + provenance line)."""
    return (HEADER + "".join(items)).encode()


def item(req_id: str, text: str, provenance: str) -> str:
    """One requirement item: the ID line and its provenance line."""
    return f"- **{req_id}** The service {text}\n  > {provenance}\n"


def message(intent_id: str = "m-0001", text: str = "it takes batches of events") -> CommitMessage:
    """A typical accepted-proposal message."""
    return CommitMessage(
        subject="accept batches of events as JSON",
        intents=[Intent(id=intent_id, text=text)],
        changes=[
            Change(kind=ChangeKind.ADDED, req_id="ING-1", provenance="explicit", text="MUST x")
        ],
        session=SESSION,
        proposal="p-0001",
        model="qwen2.5-coder:7b",
    )


ING1 = '- **ING-1** The service MUST accept events.\n  > explicit (m-0001): "takes batches"\n'


def test_commit_contains_exactly_the_spec_and_ledger_paths(workspace: Path) -> None:
    """One commit with the spec files and the transcript; the user's other work is untouched."""
    (workspace / "code.py").write_text("print('v1')\n")
    git(workspace, "add", "code.py")
    git(workspace, "commit", "-q", "-m", "code")
    before = git(workspace, "rev-parse", "HEAD").strip()
    (workspace / "staged.txt").write_text("staged by the user\n")
    git(workspace, "add", "staged.txt")
    (workspace / "code.py").write_text("print('v2, not committed')\n")
    ledger = Ledger(workspace / "transcripts")
    record = ledger.append(SESSION, "user", "it takes batches of events")
    transcript = f"transcripts/{SESSION}.jsonl"

    sha = commit_spec_change(
        workspace,
        files={SPEC: spec(ING1), "specs/.ids.toml": b"[next]\nING = 2\n"},
        include_paths=[transcript],
        message=message(record.id),
    )

    assert git(workspace, "rev-parse", "HEAD").strip() == sha
    assert git(workspace, "rev-parse", "HEAD^").strip() == before
    names = git(workspace, "show", "--name-only", "--format=", "HEAD").split()
    assert sorted(names) == sorted([SPEC, "specs/.ids.toml", transcript])
    assert git(workspace, "log", "-1", "--format=%B", "HEAD") == (
        render_commit_message(message(record.id)) + "\n"
    )
    # The user's staged file is still staged, not committed; the unstaged edit is still there.
    assert git(workspace, "diff", "--cached", "--name-only").split() == ["staged.txt"]
    assert git(workspace, "diff", "--name-only").split() == ["code.py"]
    assert (workspace / "code.py").read_text() == "print('v2, not committed')\n"
    # The committed paths are clean: working tree equals the commit.
    for path in (SPEC, "specs/.ids.toml", transcript):
        assert (workspace / path).read_bytes() == subprocess.run(
            ["git", "show", f"HEAD:{path}"], cwd=workspace, check=True, capture_output=True
        ).stdout
    status = git(workspace, "status", "--porcelain").splitlines()
    # (charter.toml and .gitignore are untracked: `charter init` never commits.)
    assert sorted(status) == [" M code.py", "?? .gitignore", "?? charter.toml", "A  staged.txt"]


def test_message_format_and_trailers_read_by_git(workspace: Path) -> None:
    """The DESIGN §6 layout; git parses the trailers; tricky intent lines stay in the body."""
    tricky = "Foo: bar\n---\n\nSigned-off-by: someone\n  indented\ttab  \ncrlf\r\nlast"
    msg = CommitMessage(
        subject="  accept\nbatches   of events  ",
        intents=[Intent(id="m-0007", text=tricky), Intent(id="m-0009", text="and one more")],
        changes=[
            Change(kind=ChangeKind.ADDED, req_id="ING-1", provenance="explicit", text="A MUST."),
            Change(kind=ChangeKind.MODIFIED, req_id="ING-2", provenance="inferred", text="B\nC"),
            Change(kind=ChangeKind.REMOVED, req_id="ING-3", text="C MUST."),
            Change(kind=ChangeKind.CONFIRMED, req_id="ING-4", provenance="confirmed", text="D"),
        ],
        session=SESSION,
        proposal="p-0003",
        model="model: with colon",
        trailers=[("Charter-Finding", "f-0002"), ("Charter-Review", "accept")],
    )
    text = render_commit_message(msg)
    assert text == (
        "spec: accept batches of events\n"
        "\n"
        "Intent (m-0007, verbatim):\n"
        "> Foo: bar\n"
        "> ---\n"
        ">\n"
        "> Signed-off-by: someone\n"
        ">   indented\ttab  \n"
        "> crlf\r\n"
        "> last\n"
        "\n"
        "Intent (m-0009, verbatim):\n"
        "> and one more\n"
        "\n"
        "Changes:\n"
        "+ ING-1 explicit  A MUST.\n"
        "~ ING-2 inferred  B C\n"
        "- ING-3  C MUST.\n"
        "> ING-4 confirmed  D\n"
        "\n"
        "Charter-Intent: m-0007\n"
        "Charter-Intent: m-0009\n"
        f"Charter-Session: {SESSION}\n"
        "Charter-Proposal: p-0003\n"
        "Charter-Model: model: with colon\n"
        "Charter-Finding: f-0002\n"
        "Charter-Review: accept\n"
    )
    expected = [
        ("Charter-Intent", "m-0007"),
        ("Charter-Intent", "m-0009"),
        ("Charter-Session", SESSION),
        ("Charter-Proposal", "p-0003"),
        ("Charter-Model", "model: with colon"),
        ("Charter-Finding", "f-0002"),
        ("Charter-Review", "accept"),
    ]
    assert parse_trailers(text) == expected
    assert [(i.id, i.text) for i in parse_intents(text)] == [
        ("m-0007", tricky),
        ("m-0009", "and one more"),
    ]
    commit_spec_change(workspace, files={SPEC: spec(ING1)}, message=msg)
    committed = subprocess.run(  # bytes: text mode would turn the CRLF into LF
        ["git", "log", "-1", "--format=%B"], cwd=workspace, check=True, capture_output=True
    ).stdout.decode()
    # git itself, on the commit as stored:
    by_git = subprocess.run(
        ["git", "interpret-trailers", "--parse"],
        input=committed,
        cwd=workspace,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert [tuple(line.split(": ", 1)) for line in by_git.splitlines()] == expected
    # ...and the quoted intent reads back verbatim from the stored commit.
    assert [i.text for i in parse_intents(committed)] == [tricky, "and one more"]


def test_long_subject_is_cut_to_72_characters() -> None:
    """The subject line stays within 72 characters, on one line."""
    subject = render_commit_message(CommitMessage(subject="word " * 40)).split("\n")[0]
    assert len(subject) <= 72
    assert subject.startswith("spec: word word")


def test_first_commit_on_an_unborn_branch(workspace: Path) -> None:
    """A fresh workspace has no commits; the first spec commit starts the branch."""
    sha = commit_spec_change(workspace, files={SPEC: spec(ING1)}, message=message())
    assert git(workspace, "rev-list", "HEAD").split() == [sha]
    assert git(workspace, "symbolic-ref", "--short", "HEAD").strip() == "main"
    assert git(workspace, "show", "--name-only", "--format=", "HEAD").split() == [SPEC]
    assert git(workspace, "status", "--porcelain", "--", "specs").strip() == ""


def test_deleting_a_spec_file(workspace: Path) -> None:
    """`delete` removes a path from the commit and from the working tree."""
    commit_spec_change(
        workspace, files={SPEC: spec(ING1), "specs/old.md": b"# Old\n"}, message=message()
    )
    commit_spec_change(workspace, files={}, delete=["specs/old.md"], message=message())
    assert git(workspace, "ls-tree", "-r", "--name-only", "HEAD").split() == [SPEC]
    assert not (workspace / "specs/old.md").exists()
    assert git(workspace, "status", "--porcelain", "--", "specs").strip() == ""


def test_without_a_git_identity_the_error_says_how_to_set_it(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No user.name/user.email anywhere: a clear error, and nothing committed or written."""
    home = tmp_path / "empty-home"
    home.mkdir()
    (home / "gitconfig").write_text("")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / "gitconfig"))
    monkeypatch.delenv("EMAIL", raising=False)
    with pytest.raises(GitIdentityError) as info:
        commit_spec_change(workspace, files={SPEC: spec(ING1)}, message=message())
    assert str(info.value) == (
        "git needs your name and email to commit: run git config --global user.name "
        '"Your Name" and git config --global user.email you@example.com'
    )
    assert not (workspace / SPEC).exists()
    assert subprocess.run(["git", "rev-parse", "-q", "--verify", "HEAD"], cwd=workspace).returncode


def test_expected_head_guards_against_a_moved_branch(workspace: Path) -> None:
    """A change prepared against an older HEAD is refused and nothing is written."""
    first = commit_spec_change(workspace, files={SPEC: spec(ING1)}, message=message())
    commit_spec_change(workspace, files={"specs/b.md": b"# B\n"}, message=message())
    with pytest.raises(HeadMovedError):
        commit_spec_change(
            workspace, files={SPEC: b"# changed\n"}, message=message(), expected_head=first
        )
    assert (workspace / SPEC).read_bytes() == spec(ING1)
    assert int(git(workspace, "rev-list", "--count", "HEAD")) == 2


def test_hand_edit_since_the_change_was_prepared_is_not_overwritten(workspace: Path) -> None:
    """With `base`, a file edited by hand meanwhile makes the commit refuse."""
    commit_spec_change(workspace, files={SPEC: spec(ING1)}, message=message())
    (workspace / SPEC).write_bytes(spec(ING1) + b"\nhand edit\n")
    with pytest.raises(HistoryError, match="changed on disk"):
        commit_spec_change(
            workspace, files={SPEC: b"# new\n"}, message=message(), base={SPEC: spec(ING1)}
        )
    assert (workspace / SPEC).read_bytes().endswith(b"hand edit\n")


def test_refuses_detached_head_and_merge_in_progress(workspace: Path) -> None:
    """No commit on a detached HEAD or in the middle of a merge."""
    commit_spec_change(workspace, files={"notes.md": b"base\n"}, message=message())
    git(workspace, "switch", "-q", "-c", "side")
    (workspace / "notes.md").write_text("side\n")
    git(workspace, "commit", "-q", "-am", "side")
    git(workspace, "switch", "-q", "main")
    (workspace / "notes.md").write_text("main\n")
    git(workspace, "commit", "-q", "-am", "main")
    merge = subprocess.run(["git", "merge", "side"], cwd=workspace, capture_output=True)
    assert merge.returncode != 0  # a conflict leaves the merge in progress
    with pytest.raises(HistoryError, match="a merge is in progress"):
        commit_spec_change(workspace, files={SPEC: spec(ING1)}, message=message())
    git(workspace, "merge", "--abort")
    git(workspace, "switch", "-q", "--detach", "HEAD")
    with pytest.raises(HistoryError, match="HEAD is detached"):
        commit_spec_change(workspace, files={SPEC: spec(ING1)}, message=message())


# --- reading the history back through the CLI -------------------------------------------------


@pytest.fixture
def history(workspace: Path) -> dict[str, str]:
    """A workspace with five spec commits and a real ledger; returns the commit shas by name."""
    ledger = Ledger(workspace / "transcripts")
    said = {
        "m1": "it takes batches of events as JSON\nand rejects anything that isn't",
        "m2": "events can be big, say 5 MiB",
        "m3": "yes, 5 MiB is fine — «ok»\ttab",
        "m4": "also a health check please",
    }
    ids = {k: ledger.append(SESSION, "user", v).id for k, v in said.items()}
    transcript = [f"transcripts/{SESSION}.jsonl"]
    ing1 = item("ING-1", "MUST accept batches of events.", f'explicit ({ids["m1"]}): "it takes"')
    ing2 = item("ING-2", "MUST reply 413 to a body over 1 MiB.", "inferred: small payloads")
    ing2b = item("ING-2", "MUST reply 413 to a body over 5 MiB.", "inferred: small payloads")
    ing2c = item(
        "ING-2", "MUST reply 413 to a body over 5 MiB.", f'confirmed ({ids["m3"]}): "fine"'
    )
    ing3 = item("ING-3", "SHOULD expose a health check, unlike [ING-1].", "inferred: ops")
    ing4 = item("ING-4", "MAY log.", "inferred: ops")

    def step(name: str, body: bytes, intent: str) -> str:
        return commit_spec_change(
            workspace,
            files={SPEC: body},
            include_paths=transcript,
            message=CommitMessage(
                subject=name, intents=[Intent(id=ids[intent], text=said[intent])], session=SESSION
            ),
        )

    shas = {"add": step("add ingest", spec(ing1, ing2, ing4), "m1")}
    shas["limit"] = step("raise the limit", spec(ing1, ing2b, ing4), "m2")
    shas["confirm"] = step("confirm the limit", spec(ing1, ing2c, ing4), "m3")
    shas["health"] = step("add a health check", spec(ing1, ing2c, ing3, ing4), "m4")
    shas["drop"] = step("drop logging", spec(ing1, ing2c, ing3), "m4")
    shas.update({f"id-{k}": v for k, v in ids.items()})
    shas.update({f"said-{k}": v for k, v in said.items()})
    return shas


def test_why_lists_every_commit_that_touched_a_requirement(
    workspace: Path, history: dict[str, str]
) -> None:
    """Text edits and a provenance-only confirm count; a cross-reference elsewhere does not."""
    result = run_charter("why", "ING-2", "--json", cwd=workspace)
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert [c["sha"] for c in report["commits"]] == [
        history["confirm"],
        history["limit"],
        history["add"],
    ]
    assert report["text"] == "The service MUST reply 413 to a body over 5 MiB."
    assert report["provenance"]["kind"] == "confirmed"
    assert report["messages"] == [
        {
            "found": True,
            "id": history["id-m3"],
            "role": "user",
            "session": SESSION,
            "text": history["said-m3"],
            "ts": report["messages"][0]["ts"],
        }
    ]
    ing1 = json.loads(run_charter("why", "ING-1", "--json", cwd=workspace).out)
    assert [c["sha"] for c in ing1["commits"]] == [history["add"]]
    assert ing1["commits"][0]["intents"] == [{"id": history["id-m1"], "text": history["said-m1"]}]


def test_why_text_shows_the_users_words_verbatim(workspace: Path, history: dict[str, str]) -> None:
    """The human view: location, provenance, the cited message quoted line by line, commits."""
    result = run_charter("why", "ing-1", cwd=workspace)
    assert result.code == 0, result.err
    assert f"ING-1  {SPEC}:7  (Ingest)" in result.out
    assert "> it takes batches of events as JSON\n    > and rejects anything that isn't\n" in (
        result.out
    )
    assert f"{history['add'][:7]}" in result.out
    assert "spec: add ingest" in result.out


def test_why_on_a_removed_and_an_unknown_requirement(
    workspace: Path, history: dict[str, str]
) -> None:
    """A removed ID still has its history; an unknown one exits 1 with a suggestion."""
    removed = run_charter("why", "ING-4", "--json", cwd=workspace)
    assert removed.code == 0, removed.err
    doc = json.loads(removed.out)
    assert doc["present"] is False
    assert [c["sha"] for c in doc["commits"]] == [history["drop"], history["add"]]
    unknown = run_charter("why", "IGN-3", cwd=workspace)
    assert unknown.code == 1
    assert unknown.err.strip() == "charter: no requirement IGN-3 in specs/ (did you mean ING-3?)"
    assert run_charter("why", "not an id", cwd=workspace).code == 2


def test_log_and_show(workspace: Path, history: dict[str, str]) -> None:
    """`log` lists spec commits newest first with their intent; `show` prints message and diff."""
    doc = json.loads(run_charter("log", "--json", cwd=workspace).out)
    assert [c["sha"] for c in doc["commits"]] == [
        history[k] for k in ("drop", "health", "confirm", "limit", "add")
    ]
    assert doc["commits"][-1]["files"] == [SPEC, f"transcripts/{SESSION}.jsonl"]
    assert doc["commits"][0]["files"] == [SPEC]  # the ledger file did not change since
    assert doc["commits"][-1]["trailers"] == [
        ["Charter-Intent", history["id-m1"]],
        ["Charter-Session", SESSION],
    ]
    text = run_charter("log", "-n", "2", cwd=workspace)
    assert text.code == 0, text.err
    lines = text.out.splitlines()
    assert lines[0].startswith(f"{history['drop'][:7]} ")
    assert lines[0].endswith("spec: drop logging")
    assert f'{history["id-m4"]} "also a health check please"' in lines[1]
    assert len([ln for ln in lines if ln.endswith("spec: add a health check")]) == 1
    assert not any("raise the limit" in ln for ln in lines)

    shown = run_charter("show", history["limit"], cwd=workspace)
    assert shown.code == 0, shown.err
    assert "    Intent (" in shown.out and "> events can be big, say 5 MiB" in shown.out
    assert "-- **ING-2** The service MUST reply 413 to a body over 1 MiB." in shown.out
    assert "+- **ING-2** The service MUST reply 413 to a body over 5 MiB." in shown.out
    assert "transcripts/" not in shown.out.split("diff --git", 1)[1]
    bad = run_charter("show", "no-such-rev", cwd=workspace)
    assert bad.code == 2 and "unknown revision" in bad.err


def test_log_outside_a_workspace(tmp_path: Path) -> None:
    """Outside a workspace the history commands say so and exit 2."""
    result = run_charter("log", cwd=tmp_path)
    assert result.code == 2
    assert "charter init" in result.err
