"""Builds run model-written commands in a bubblewrap jail: a hostile plan escapes nowhere.

These tests need a working `bwrap`. Locally they skip without one; under CI (`CI=true`, where
`.ci/run` installs bubblewrap) they fail instead, so the jail is tested on every run.
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

from charter.graphs.build import detect_sandbox
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

TRANSCRIPT_SENTINEL = "TRANSCRIPT-SENTINEL-5e1d"
# Unusual sleep lengths mark the processes a build starts, so the test can look for survivors.
DAEMON_MARK = "1000.37"
RESUME_MARK = "1000.53"


@pytest.fixture
def bwrap() -> None:
    """Skip without a usable bwrap, except under CI, where a missing jail is a failure."""
    info = detect_sandbox()
    if not info.usable:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"CI must test the jail: {info.problem}")
        pytest.skip(info.problem)


def files_under(root: Path) -> dict[str, bytes]:
    """Every regular file below `root` (symlinks not followed) and its bytes."""
    out = {}
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            out[str(path.relative_to(root))] = path.read_bytes()
    return out


def hostile_plan(ws: Path, outside: Path, home: Path, url: str) -> dict:
    """One task per escape, each trying it in its verify command."""
    tmp_mark = outside.name + "-tmp-pwned"
    escapes = {
        "H1": "cat /proc/$PPID/environ; for p in /proc/[0-9]*; do cat $p/environ; done; env",
        "H2": f"ls -a {ws}; cat {ws}/transcripts/*/* {ws}/transcripts/*",
        "H3": f"echo pwned > {home}/pwned; echo pwned > /tmp/{tmp_mark}; "
        f"echo pwned > {outside}/pwned; echo pwned > {ws}/pwned",
        "H4": f"setsid sleep {DAEMON_MARK} > /dev/null 2>&1 & sleep 0.3; exit 3",
        "H5": "bomb() { bomb | bomb & }; bomb; sleep 30",
        "H10": "head -c 3000000 /dev/zero > big; true",
        "H6": "head -c 200000000 /dev/zero | tr '\\0' x",
        # The model server listens on the host's loopback: the jail has its own, empty one.
        "H7": f"python3 -c 'import urllib.request as u; u.urlopen(\"{url}/models\", timeout=3)'",
    }
    tasks = [task(tid, ["APP-1"], [f"{tid.lower()}.txt"], cmd) for tid, cmd in escapes.items()]
    # T8 leaves a symlink to outside; T9 (after it) then proposes every bad path.
    tasks.append(task("H8", ["APP-1"], ["h8.txt"], f"ln -s {outside} link; test -L link"))
    tasks.append(task("H9", ["APP-1"], ["h9.txt"], "test -f h9.txt", ["H8"]))
    return {"tasks": tasks, "not_built": []}


BAD_PATHS = [
    "../escape.txt",
    "ABSOLUTE",
    "link/evil.txt",
    ".GIT/config",
    ".git/hooks/x",
    ".Git\u200c/hooks/post-commit",
    "nul\x00byte.txt",
    "long/" + "a" * 300 + ".txt",
]


def test_a_hostile_plan_escapes_nowhere(
    workspace: Path, llm: FakeLLM, tmp_path: Path, bwrap: None
) -> None:
    """Every escape a verify command or a file path tries fails: no secret leaks to any file
    or log, nothing outside workspace/ changes, no process survives, each refusal is reported.
    """
    outside = tmp_path / "outside"
    outside.mkdir()
    home = Path.home()
    ledger = Ledger(workspace / "transcripts", workspace / ".charter" / "state.db")
    ledger.append(ledger.current_session(), "user", f"keep this private {TRANSCRIPT_SENTINEL}")
    ledger.close()
    commit_spec(workspace, {"app.md": spec_text("App", {"P": [("APP-1", "It MUST run.")]})})
    set_build(
        workspace,
        max_fix_attempts=0,
        verify_timeout=20.0,
        max_processes=64,
        max_output_mb=1.0,
        max_file_mb=2.0,
    )
    before = files_under(workspace / "transcripts")
    bad = [str(outside / "abs.txt") if p == "ABSOLUTE" else p for p in BAD_PATHS]

    def coder(tid: str, prompt: str) -> dict:
        """H9 proposes every bad path and one good file; the others write their file."""
        files = [{"path": f"{tid.lower()}.txt", "content": f"{tid}\n"}]
        if tid == "H9":
            files += [{"path": p, "content": "escape"} for p in bad]
        return result(files)

    llm.handler(Script(hostile_plan(workspace, outside, home, llm.base_url), coder))
    out = run_charter("build", "--json", cwd=workspace, env=llm.env(), timeout=240)
    assert out.code in (0, 1), out.err + out.out
    assert "Traceback" not in out.err
    (bdir,) = builds(workspace)
    rec = record(bdir)
    tasks = rec["tasks"]
    # No secret anywhere: not in the workspace (builds, logs, records, cache), nor the output.
    for name, data in files_under(workspace).items():
        assert FAKE_KEY.encode() not in data, name
    for name, data in files_under(bdir).items():
        assert TRANSCRIPT_SENTINEL.encode() not in data, name
    assert FAKE_KEY not in out.out + out.err
    # The transcripts are not even visible; the writes outside landed nowhere.
    assert tasks["H2"]["verify"][0]["code"] != 0
    assert files_under(workspace / "transcripts") == before
    assert list(outside.iterdir()) == []
    assert not (home / "pwned").exists()
    assert not Path("/tmp", outside.name + "-tmp-pwned").exists()
    assert not (workspace / "pwned").exists()
    # The daemon died with its command, the fork bomb and the flood were stopped by limits.
    assert survivors(DAEMON_MARK) == []
    assert tasks["H5"]["verify"][0]["limit"] == "processes"
    assert (bdir / "workspace" / "big").stat().st_size <= 2_000_000
    assert tasks["H6"]["verify"][0]["limit"] == "output"
    assert (bdir / tasks["H6"]["verify"][0]["log"]).stat().st_size < 1_100_000
    assert tasks["H7"]["state"] == "failed"  # no network
    # Each bad path was refused with a reason, and the good file was written.
    h9 = tasks["H9"]
    assert h9["state"] == "done" and h9["files"] == ["h9.txt"]
    assert sorted(r["path"] for r in h9["refused"]) == sorted(bad)
    assert not (bdir / "workspace" / ".git" / "hooks" / "x").exists()
    report = (bdir / "report.md").read_text(encoding="utf-8")
    for path in bad:
        assert f"Refused write** `{path}`" in report or "nul" in path
    assert "- Sandbox: bubblewrap jail (no network" in report
    assert "stopped by the output limit" in report


def test_kill_mid_verify_leaves_no_process_and_resume_verifies_afresh(
    workspace: Path, llm: FakeLLM, bwrap: None
) -> None:
    """SIGKILL of `charter build` while a verify runs kills that verify (and its daemon);
    `--resume` runs the verify again from the start, and the build finishes."""
    commit_spec(workspace, {"app.md": spec_text("App", {"P": [("APP-1", "It MUST run.")]})})
    set_build(workspace, max_fix_attempts=0)
    verify = (
        f"test -f again || {{ touch again; setsid sleep {RESUME_MARK} & sleep {RESUME_MARK}; }}"
    )
    plan = {"tasks": [task("T1", ["APP-1"], ["t1.txt"], verify)], "not_built": []}
    llm.handler(Script(plan, lambda tid, p: result([{"path": "t1.txt", "content": "x\n"}])))
    proc = subprocess.Popen(
        [sys.executable, "-m", "charter.app.cli", "build"],
        cwd=workspace,
        env={**os.environ, **llm.env()},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        # Both sleeps (they start after `touch again`): the jail's and the shell's own command
        # lines carry the mark too, before the verify has done anything.
        while len([c for c in survivors(RESUME_MARK) if c.startswith("sleep ")]) < 2:
            assert time.monotonic() < deadline, "the verify never started"
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    deadline = time.monotonic() + 10
    while survivors(RESUME_MARK) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert survivors(RESUME_MARK) == []
    (bdir,) = builds(workspace)
    out = run_charter("build", "--resume", bdir.name, "--json", cwd=workspace, env=llm.env())
    assert out.code == 0, out.err + out.out
    t1 = record(bdir)["tasks"]["T1"]
    assert t1["state"] == "done"
    assert [v["code"] for v in t1["verify"]] == [0]


def test_verify_sees_no_bytecode_cache_and_replay_reproduces_a_same_second_fix(
    workspace: Path, llm: FakeLLM, bwrap: None
) -> None:
    """A fixer rewrites a module within the same second (same size): verify imports the new
    version; `--replay` reproduces the build byte for byte and its verify passes again. Verify's
    Python is the system's, not Charter's virtualenv, and sees no inherited interpreter paths."""
    commit_spec(workspace, {"app.md": spec_text("App", {"P": [("APP-1", "It MUST run.")]})})
    set_build(workspace, max_fix_attempts=1)
    check = "import mod, sys; print(sys.prefix, sys.path); assert mod.VALUE == 2"
    verify = f'python3 -c "{check}" && env > env.txt'
    plan = {"tasks": [task("T1", ["APP-1"], ["mod.py"], verify)], "not_built": []}
    llm.handler(
        Script(
            plan,
            lambda tid, p: result([{"path": "mod.py", "content": "VALUE = 1\n"}]),
            fixer=lambda tid, p: result([{"path": "mod.py", "content": "VALUE = 2\n"}]),
        )
    )
    env = {**llm.env(), "PYTHONPATH": str(Path(sys.prefix)), "VIRTUAL_ENV": sys.prefix}
    out = run_charter("build", "--json", cwd=workspace, env=env)
    assert out.code == 0, out.err + out.out
    (first,) = builds(workspace)
    t1 = record(first)["tasks"]["T1"]
    assert [v["code"] for v in t1["verify"]][-1] == 0 and t1["attempts"] == 1
    jail_env = (first / "workspace" / "env.txt").read_text(encoding="utf-8")
    assert "PYTHONDONTWRITEBYTECODE=1" in jail_env
    assert "PYTHONPATH" not in jail_env and "VIRTUAL_ENV" not in jail_env
    assert sys.prefix not in jail_env
    assert not list((first / "workspace").rglob("*.pyc"))
    replay = run_charter("build", "--replay", first.name, "--json", cwd=workspace, env=env)
    assert replay.code == 0, replay.err + replay.out
    second = next(b for b in builds(workspace) if b != first)
    assert record(second)["replay_identical"] is True
    assert record(second)["tasks"]["T1"]["verify"][-1]["code"] == 0


def test_without_bwrap_builds_refuse_to_verify_unless_sandbox_is_none(
    workspace: Path, llm: FakeLLM, tmp_path: Path
) -> None:
    """A missing bwrap, or one that cannot create namespaces, is said once, clearly, and no
    build starts; `sandbox = "none"` runs verify unconfined with a warning in the report;
    `charter status` shows which sandbox builds use."""
    commit_spec(workspace, {"app.md": spec_text("App", {"P": [("APP-1", "It MUST run.")]})})
    plan = {"tasks": [task("T1", ["APP-1"], ["t1.txt"], "test -f t1.txt")], "not_built": []}
    llm.handler(Script(plan, lambda tid, p: result([{"path": "t1.txt", "content": "x\n"}])))
    broken = tmp_path / "bwrap-broken"
    broken.write_text(
        "#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2; exit 1\n"
    )
    broken.chmod(0o755)
    for exe, why in ((str(tmp_path / "no-bwrap"), "not installed"), (str(broken), "namespaces")):
        set_build(workspace, bwrap=exe)
        out = run_charter("build", cwd=workspace, env=llm.env())
        assert out.code == 2, out.err + out.out
        assert why in out.err and 'sandbox = "none"' in out.err
        assert out.err.count('sandbox = "none"') == 1
        assert builds(workspace) == []
        status = run_charter("status", "--json", cwd=workspace)
        assert json.loads(status.out)["sandbox"]["usable"] is False
    set_build(workspace, sandbox="none")
    status = run_charter("status", cwd=workspace)
    assert "sandbox    none: verify commands run unconfined" in status.out
    out = run_charter("build", cwd=workspace, env=llm.env())
    assert out.code == 0, out.err + out.out
    assert "warning: no sandbox" in out.err
    (bdir,) = builds(workspace)
    assert "**Warning: no sandbox.**" in (bdir / "report.md").read_text(encoding="utf-8")


def test_status_names_the_jail(workspace: Path, bwrap: None) -> None:
    """With bwrap working, `charter status` says builds run in the jail, network off."""
    status = run_charter("status", cwd=workspace)
    assert "sandbox    bubblewrap jail (no network" in status.out
    set_build(workspace, network=True)
    doc = json.loads(run_charter("status", "--json", cwd=workspace).out)["sandbox"]
    assert (
        doc
        == {
            "kind": "bwrap",
            "network": True,
            "usable": True,
            "text": doc["text"],
        }
        and "network on" in doc["text"]
    )
