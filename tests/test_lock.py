"""The single-writer lock: a second process is told who holds it, stale locks are taken over,
read-only commands never wait for it, and exactly one of several contenders wins."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from charter.app.lock import LockedError, LockInfo, WorkspaceLock, lock_holder
from tests.conftest import ROOT, run_charter

HELD_RE = (
    r"workspace is locked by pid {pid} \(charter say, started "
    r"\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d UTC\); wait for it or stop it"
)


def contender(workspace: Path, purpose: str) -> subprocess.Popen[str]:
    """Start another process that tries to take the lock (see tests/lockholder.py)."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.lockholder", str(workspace), purpose],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def holder(workspace: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the workspace lock for `charter say`."""
    proc = contender(workspace, "charter say")
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "won"
    yield proc
    proc.kill()
    proc.wait()


def test_second_writer_learns_the_holder_then_takes_over_a_killed_holders_lock(
    workspace: Path, holder: subprocess.Popen[str]
) -> None:
    """The message names pid and start; after SIGKILL the stale lock is detected and taken."""
    with pytest.raises(LockedError) as info:
        WorkspaceLock(workspace).acquire("charter test")
    assert re.fullmatch(HELD_RE.format(pid=holder.pid), str(info.value))
    holding = lock_holder(workspace)
    assert holding is not None and holding.pid == holder.pid

    # A write command through the CLI: exit 3 with the same message.
    shutil.rmtree(workspace / "specs")  # so that `init` has something to write
    locked = run_charter("init", cwd=workspace)
    assert locked.code == 3
    assert re.fullmatch("charter: " + HELD_RE.format(pid=holder.pid), locked.err.strip())
    assert not (workspace / "specs").exists()

    holder.kill()  # SIGKILL: no chance to clean up
    holder.wait()
    assert (workspace / ".charter" / "lock").exists()  # the stale file is still there
    assert lock_holder(workspace) is None
    with WorkspaceLock(workspace).acquire("charter test"):
        record = json.loads((workspace / ".charter" / "lock").read_text())
        assert record["pid"] == os.getpid()
        assert record["purpose"] == "charter test"
    assert not (workspace / ".charter" / "lock").exists()
    assert run_charter("init", cwd=workspace).code == 0
    assert (workspace / "specs").is_dir()


def test_read_only_commands_never_take_the_lock(
    workspace: Path, holder: subprocess.Popen[str]
) -> None:
    """`status` and `log` run while another process writes; status shows the holder."""
    status = run_charter("status", cwd=workspace)
    assert status.code == 0, status.err
    assert f"locked by pid {holder.pid} (charter say, started " in status.out
    doc = json.loads(run_charter("status", "--json", cwd=workspace).out)
    assert doc["lock"]["pid"] == holder.pid
    assert run_charter("log", cwd=workspace).code == 0


def test_a_reused_pid_or_a_torn_record_is_stale(workspace: Path) -> None:
    """A live pid whose start time differs (pid reuse), or an empty file, does not block."""
    lock_file = workspace / ".charter" / "lock"
    reused = LockInfo(
        pid=os.getpid(),  # alive, but not the process that wrote the record
        create_time=1.0,
        hostname=socket.gethostname(),
        purpose="charter say",
        started=datetime(2026, 1, 1, tzinfo=UTC),
    )
    lock_file.write_text(reused.model_dump_json())
    assert lock_holder(workspace) is None
    with WorkspaceLock(workspace).acquire("charter test"):
        assert json.loads(lock_file.read_text())["purpose"] == "charter test"
    lock_file.write_bytes(b"")  # a writer killed between creating the file and filling it
    with WorkspaceLock(workspace).acquire("charter test"):
        assert json.loads(lock_file.read_text())["pid"] == os.getpid()


def test_released_when_the_block_raises(workspace: Path) -> None:
    """Leaving the `with` block by an exception releases the lock."""
    with pytest.raises(RuntimeError), WorkspaceLock(workspace).acquire("charter test"):
        raise RuntimeError("boom")
    assert lock_holder(workspace) is None
    WorkspaceLock(workspace).acquire("charter test").release()


def test_exactly_one_of_several_contenders_wins(workspace: Path) -> None:
    """Processes started together: one holds the lock, the others are told it is that one."""
    procs = [contender(workspace, "charter say") for _ in range(4)]
    try:
        first = {p.pid: p.stdout.readline().strip() for p in procs if p.stdout}
        winners = [pid for pid, line in first.items() if line == "won"]
        assert len(winners) == 1
        for pid, line in first.items():
            if pid != winners[0]:
                assert re.fullmatch("lost: " + HELD_RE.format(pid=winners[0]), line)
    finally:
        for p in procs:
            p.kill()
            p.wait()
