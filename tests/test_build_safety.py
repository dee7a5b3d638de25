"""The builder's boundaries: it sees only the committed spec, writes only inside workspace/, and
runs verify commands with a scrubbed environment and a timeout that kills all they started.
(tests/test_build_jail.py covers the jail itself.)
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
import time
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from charter.graphs.build import PathRefused, check_path, write_files
from charter.transcripts import Ledger
from tests.buildkit import (
    Script,
    builds,
    commit_spec,
    record,
    result,
    set_build,
    spec_text,
    survivors,
    task,
)
from tests.conftest import run_charter
from tests.fakellm import FAKE_KEY, FakeLLM

SPEC = {
    "app.md": spec_text(
        "App",
        {"Parts": [("APP-1", "The app MUST have part 1."), ("APP-2", "The app MUST have part 2.")]},
    )
}


def two_tasks(verify1: str = "test -f t1.txt", verify2: str = "test -f t2.txt") -> dict:
    """T1, then T2 on top of it."""
    return {
        "tasks": [
            task("T1", ["APP-1"], ["t1.txt"], verify1),
            task("T2", ["APP-2"], ["t2.txt"], verify2, ["T1"]),
        ],
        "not_built": [],
    }


def plain_coder(tid: str, prompt: str) -> dict:
    """Write the task's one file."""
    return result([{"path": f"{tid.lower()}.txt", "content": f"{tid}\n"}])


def test_builder_sees_only_the_committed_spec(workspace: Path, llm: FakeLLM) -> None:
    """Sentinels in the ledger (committed, and in state.db) and in uncommitted spec edits are
    never sent to the model, and never reach the snapshot."""
    ledger = Ledger(workspace / "transcripts", workspace / ".charter" / "state.db")
    session = ledger.current_session()
    ledger.append(session, "user", "please build it LEDGER-SENTINEL-7f3a with care")
    ledger.close()
    commit_spec(workspace, SPEC)
    (workspace / "specs" / "app.md").write_text(
        SPEC["app.md"] + "\n## Later\n\n- **APP-3** The app MUST say EDIT-SENTINEL-91bc.\n"
        "  > inferred: uncommitted\n",
        encoding="utf-8",
    )
    (workspace / "specs" / "extra.md").write_text(
        "# Extra\n\n## X\n\n- **EX-1** It MUST be NEW-FILE-SENTINEL-22d0.\n  > inferred: x\n",
        encoding="utf-8",
    )
    llm.handler(Script(two_tasks(), plain_coder))
    out = run_charter("build", cwd=workspace, env=llm.env())
    assert out.code == 0, out.err + out.out
    sent = llm.requests_text()
    assert "The app MUST have part 1." in sent  # the committed spec was sent
    for sentinel in ("LEDGER-SENTINEL-7f3a", "EDIT-SENTINEL-91bc", "NEW-FILE-SENTINEL-22d0"):
        assert sentinel not in sent
    (bdir,) = builds(workspace)
    assert sorted(p.name for p in (bdir / "spec").iterdir()) == ["app.md"]
    assert "EDIT-SENTINEL" not in (bdir / "spec" / "app.md").read_text()


def test_paths_outside_the_workspace_are_refused(
    workspace: Path, llm: FakeLLM, tmp_path: Path
) -> None:
    """`../x`, an absolute path and a write through a symlink to outside are refused and
    reported; nothing is written outside workspace/."""
    outside = tmp_path / "outside"
    outside.mkdir()
    commit_spec(workspace, SPEC)
    # T1's verify leaves a symlink to a directory outside the workspace.
    plan = two_tasks(verify1=f"ln -s {outside} link && test -f t1.txt")

    def coder(tid: str, prompt: str) -> dict:
        """T2 tries to escape three ways, and writes one good file."""
        if tid == "T1":
            return plain_coder(tid, prompt)
        return result(
            [
                {"path": "../x", "content": "escape 1"},
                {"path": str(outside / "abs.txt"), "content": "escape 2"},
                {"path": "link/evil.txt", "content": "escape 3"},
                {"path": "t2.txt", "content": "fine\n"},
            ]
        )

    llm.handler(Script(plan, coder))
    out = run_charter("build", "--json", cwd=workspace, env=llm.env())
    assert out.code == 0, out.err + out.out
    (bdir,) = builds(workspace)
    assert list(outside.iterdir()) == []
    assert not (bdir / "x").exists() and not (bdir.parent / "x").exists()
    t2 = record(bdir)["tasks"]["T2"]
    assert t2["files"] == ["t2.txt"]
    assert sorted(r["path"] for r in t2["refused"]) == sorted(
        ["../x", str(outside / "abs.txt"), "link/evil.txt"]
    )
    reasons = " ".join(r["reason"] for r in t2["refused"])
    assert "`..`" in reasons and "absolute" in reasons and "symlink" in reasons
    report = (bdir / "report.md").read_text()
    assert "Refused write** `../x`" in report and "Refused write** `link/evil.txt`" in report
    assert "refused to write `link/evil.txt`" in out.err


def test_verify_timeout_kills_the_process_group_and_env_has_no_secrets(
    workspace: Path, llm: FakeLLM
) -> None:
    """A verify that outlives the timeout is killed with its children (even one ignoring
    SIGTERM); the verify environment holds no API key and a HOME inside the build dir."""
    commit_spec(workspace, {"app.md": spec_text("App", {"P": [("APP-1", "It MUST run.")]})})
    set_build(workspace, verify_timeout=1.0, max_fix_attempts=0)
    verify = "env > env.txt; trap '' TERM; sleep 60.29 & wait"
    plan = {"tasks": [task("T1", ["APP-1"], ["t1.txt"], verify)], "not_built": []}
    llm.handler(Script(plan, plain_coder))
    started = time.monotonic()
    out = run_charter("build", "--json", cwd=workspace, env=llm.env())
    assert time.monotonic() - started < 60  # a hang check (the machine may be busy), no timing
    assert out.code == 1, out.err + out.out
    (bdir,) = builds(workspace)
    ws = bdir / "workspace"
    assert survivors("60.29") == []
    env = dict(
        line.split("=", 1) for line in (ws / "env.txt").read_text().splitlines() if "=" in line
    )
    assert "OPENAI_API_KEY" not in env and "OPENAI_BASE_URL" not in env
    assert FAKE_KEY not in (ws / "env.txt").read_text()
    assert env["HOME"].startswith(str(bdir))
    summary = json.loads(out.out)
    assert summary["tasks"]["T1"]["state"] == "failed"
    t1 = record(bdir)["tasks"]["T1"]
    assert t1["verify"][0]["timed_out"] is True
    assert "timed out" in (bdir / t1["verify"][0]["log"]).read_text()
    assert "Verify run 0: timed out" in (bdir / "report.md").read_text()


PATH_PARTS = [
    *("a", "b", "/", ".", "..", "~", "\\", ":", " ", "\x00", ".git", "link", "inside"),
    *(".GIT", ".gIt", "GIT~1", "\u200c", "\uff0egit", "\n"),
]


@settings(max_examples=300, deadline=None)
@given(rel=st.lists(st.sampled_from(PATH_PARTS), max_size=8).map("".join))
def test_check_path_never_leaves_the_workspace(
    rel: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Whatever path a model proposes, check_path refuses it or names a file inside the
    workspace reached through no symlink (here `link` points outside)."""
    root = tmp_path_factory.getbasetemp() / "check-path-ws"
    if not root.exists():
        (root / "inside").mkdir(parents=True)
        (root / "link").symlink_to(root.parent)
    try:
        target = check_path(root, rel)
    except PathRefused:
        return
    real = root.resolve()
    assert real in target.parents
    for part in target.relative_to(real).parts:
        folded = unicodedata.normalize("NFKC", part).casefold().replace("\u200c", "").rstrip(". ")
        assert folded not in (".git", "git~1") and "\x00" not in part and "\n" not in part
    assert target.parent.resolve() == target.parent
    assert not target.is_symlink()


def test_a_hard_link_left_by_verify_is_replaced_not_written_through(
    workspace: Path, llm: FakeLLM, tmp_path: Path
) -> None:
    """T1's verify hard-links a file outside the workspace to the name T2 then writes: T2's
    write replaces the link inside workspace/, and the outside file keeps its content. (Only
    an unjailed verify can see a file outside to link to.)"""
    outside = tmp_path / "outside.txt"
    outside.write_text("precious\n", encoding="utf-8")
    commit_spec(workspace, SPEC)
    set_build(workspace, sandbox="none")
    plan = two_tasks(verify1=f"ln {outside} t2.txt && test -f t1.txt")
    llm.handler(Script(plan, plain_coder))
    out = run_charter("build", "--json", cwd=workspace, env=llm.env())
    assert out.code == 0, out.err + out.out
    (bdir,) = builds(workspace)
    assert outside.read_text(encoding="utf-8") == "precious\n"
    assert (bdir / "workspace" / "t2.txt").read_text(encoding="utf-8") == "T2\n"
    assert record(bdir)["tasks"]["T2"]["files"] == ["t2.txt"]


def test_a_symlink_swapped_in_while_writing_never_redirects_the_write(tmp_path: Path) -> None:
    """A verify command running beside a task may turn a checked directory into a symlink to
    outside between the check and the write; no write ever lands outside the workspace."""
    ws, outside = tmp_path / "ws", tmp_path / "outside"
    ws.mkdir()
    outside.mkdir()
    stop = threading.Event()

    def flip() -> None:
        """Swap `d` between a directory and a symlink to outside, as fast as possible."""
        n = 0
        while not stop.is_set():
            n += 1
            with contextlib.suppress(OSError):
                os.rename(ws / "d", ws / f"old{n}")
            with contextlib.suppress(OSError):
                os.symlink(outside, ws / "d")
            with contextlib.suppress(OSError):
                os.unlink(ws / "d")
            with contextlib.suppress(OSError):
                os.mkdir(ws / "d")

    flipper = threading.Thread(target=flip)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # interleave the two threads finely, so the race shows up
    flipper.start()
    try:
        for i in range(3000):
            write_files(ws, [(f"d/f{i}.txt", "x")])
            if any(outside.iterdir()):
                break
    finally:
        stop.set()
        flipper.join()
        sys.setswitchinterval(interval)
    assert list(outside.iterdir()) == []
