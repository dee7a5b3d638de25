"""Bad workspace states give one clear line, never a traceback, and lose nothing.

Through the real CLI: `.charter` that is a regular file, and a damaged `state.db` (the JSONL files
are the truth: `charter reindex` moves the bad file aside and rebuilds from them).
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_charter
from tests.fakellm import FakeLLM
from tests.scribe_support import TELEMETRY, add, git, proposal, seed


def test_state_dir_that_is_a_file_is_a_clear_error(workspace: Path) -> None:
    """Every command exits 2 naming `.charter` and what to do; the file is left alone."""
    seed(workspace)
    state = workspace / ".charter"
    for child in sorted(state.iterdir()):
        child.unlink()
    state.rmdir()
    state.write_bytes(b"not a directory\n")
    for args in (["validate"], ["pending"], ["say", "hello"], ["transcript", "show"]):
        done = run_charter(*args, cwd=workspace)
        assert done.code == 2, (args, done.err)
        assert "Traceback" not in done.err
        assert f"{state} is a file" in done.err and ".charter.bak" in done.err
    assert state.read_bytes() == b"not a directory\n"


def test_damaged_index_is_reported_and_reindex_moves_it_aside(
    workspace: Path, llm: FakeLLM
) -> None:
    """Commands warn and name `charter reindex`; reindex keeps the bad file and rebuilds."""
    seed(workspace)
    llm.reply("hello back")
    assert run_charter("say", "find this later", cwd=workspace, env=llm.env()).code == 0
    state_db = workspace / ".charter" / "state.db"
    garbage = b"this is not a database " * 64
    state_db.write_bytes(garbage)
    for extra in (".charter/state.db-wal", ".charter/state.db-shm"):
        (workspace / extra).unlink(missing_ok=True)

    searched = run_charter("transcript", "search", "later", cwd=workspace)
    assert searched.code == 2
    assert "damaged" in searched.err and "charter reindex" in searched.err
    assert "Traceback" not in searched.err

    rebuilt = run_charter("reindex", cwd=workspace)
    assert rebuilt.code == 0, rebuilt.err
    assert "reindexed 1 sessions, 2 records" in rebuilt.out
    (aside,) = state_db.parent.glob("state.db.corrupt-*")
    assert aside.read_bytes() == garbage
    assert str(aside) in rebuilt.err

    found = run_charter("transcript", "search", "later", cwd=workspace)
    assert found.code == 0 and "find this later" in found.out
    assert "damaged" not in found.err


OTHER = "# Other\n\n## Misc\n\n- **MIS-1** The tool SHOULD be café friendly.\n  > inferred: x\n"


def test_invalid_utf8_spec_file_is_located_and_never_rewritten(
    workspace: Path, llm: FakeLLM
) -> None:
    """One Latin-1 byte in a committed spec file: validate, the scribe's repair round and the
    review name it at file:line:column; a proposal aimed at it is refused; accept commits the
    rest and leaves the file's bytes alone."""
    seed(workspace, {"telemetry.md": TELEMETRY, "other.md": OTHER})
    broken = workspace / "specs" / "other.md"
    data = broken.read_bytes().replace("é".encode(), b"\xe9")
    broken.write_bytes(data)
    git(workspace, "commit", "-qam", "user: a Latin-1 byte")
    where = "other.md:5:35"

    validated = run_charter("validate", cwd=workspace)
    assert validated.code == 1 and f"specs/{where}: ERROR invalid-utf8" in validated.out

    llm.tool_call(
        "propose_change",
        proposal(
            "misc", add("The tool MUST accept batches.", "batches", section="Misc", file="other.md")
        ),
    )
    llm.tool_call(
        "propose_change", proposal("batches", add("The service MUST accept batches.", "batches"))
    )
    said = run_charter("say", "batches please", cwd=workspace, env=llm.env())
    assert said.code == 0, said.err
    repair = llm.messages(1)[-1]
    assert repair["role"] == "tool" and "invalid UTF-8" in repair["content"]
    assert f"({where})" in repair["content"]
    assert f"WARNING {where} invalid UTF-8" in said.out
    assert "other.md" not in said.out.split("--- a/", 1)[1]

    pending = run_charter("pending", cwd=workspace)
    assert f"WARNING {where} invalid UTF-8" in pending.out
    accepted = run_charter("accept", cwd=workspace)
    assert accepted.code == 0, accepted.err
    changed = git(workspace, "show", "--name-only", "--format=", "HEAD").split()
    assert "specs/other.md" not in changed and "specs/telemetry.md" in changed
    assert broken.read_bytes() == data
    assert git(workspace, "status", "--porcelain", "specs") == ""
