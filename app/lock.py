"""The single-writer workspace lock (`.charter/lock`, DESIGN §3 and §11).

One Charter process at a time may change a workspace (commit a spec change, write the ledger,
start a build). Read-only commands never take the lock; the TUI shows `lock_holder()` instead.

How it works: the lock file is created with `O_CREAT | O_EXCL` and then held with an exclusive
`fcntl.flock` for as long as the holder runs, and it carries a small JSON record (pid, the
process's start time, host, purpose, when). The kernel drops the flock when the holder dies, so
a left-over file whose flock is free and whose pid is dead — or alive but with another start
time, i.e. a reused pid — is stale and is taken over in place while holding its flock, which
makes the takeover atomic between contenders. Release unlinks the file before closing it;
anyone who flocked the old inode meanwhile notices it is no longer the file at the path and
starts again.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import socket
import time
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from pydantic import BaseModel, ValidationError

from charter.app.workspace import STATE_DIR

LOCK_NAME = "lock"
# How long a contender waits for a holder caught between creating the file and writing its
# record, or for another contender in the middle of a takeover.
_SETTLE_SECONDS = 1.0
_POLL_SECONDS = 0.02
# psutil's create_time is derived from clock ticks since boot: equal for the same process.
_START_TIME_TOLERANCE = 0.05


class LockInfo(BaseModel):
    """Who holds (or held) the lock: the record stored in the lock file."""

    pid: int
    create_time: float
    hostname: str
    purpose: str
    started: datetime

    def describe(self) -> str:
        """`pid 1234 (charter say, started 2026-11-21 10:00:03 UTC)`, plus the host if remote."""
        when = self.started.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        host = "" if self.hostname == socket.gethostname() else f" on {self.hostname}"
        return f"pid {self.pid}{host} ({self.purpose}, started {when})"

    def is_alive(self) -> bool:
        """Whether the recorded process still runs (a different host is assumed alive)."""
        if self.hostname != socket.gethostname():
            return True
        import psutil  # only when a lock file exists: `charter status` starts without it

        try:
            proc = psutil.Process(self.pid)
            started = proc.create_time()
            # A zombie has exited (its flock is gone) but is not reaped yet: it holds nothing.
            if proc.status() == psutil.STATUS_ZOMBIE:
                return False
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            return False
        except psutil.AccessDenied:
            return True
        return abs(started - self.create_time) < _START_TIME_TOLERANCE


class LockedError(Exception):
    """Another live process holds the workspace lock; the message names it."""

    def __init__(self, holder: LockInfo | None, path: Path) -> None:
        self.holder = holder
        self.path = path
        who = holder.describe() if holder else "another process (no record yet)"
        hint = "wait for it or stop it"
        if holder is not None and holder.hostname != socket.gethostname():
            hint += f"; if it is gone, delete {path}"
        super().__init__(f"workspace is locked by {who}; {hint}")


def lock_file(path: Path) -> Path:
    """The lock file for `path`: a workspace root, its `.charter/` dir, or the lock file itself."""
    if path.is_dir():
        return path / LOCK_NAME if path.name == STATE_DIR else path / STATE_DIR / LOCK_NAME
    return path


def _own_record(purpose: str) -> bytes:
    """Serialise this process's LockInfo."""
    import psutil

    info = LockInfo(
        pid=os.getpid(),
        create_time=psutil.Process().create_time(),
        hostname=socket.gethostname(),
        purpose=purpose,
        started=datetime.now(UTC).replace(microsecond=0),
    )
    return json.dumps(info.model_dump(mode="json"), sort_keys=True).encode() + b"\n"


def _read_record(fd: int) -> LockInfo | None:
    """Parse the record behind an open lock file; None when empty or unreadable."""
    try:
        raw = os.pread(fd, 4096, 0)
        return LockInfo.model_validate_json(raw)
    except (OSError, ValidationError, ValueError):
        return None


def _same_file(fd: int, path: Path) -> bool:
    """Whether `path` still names the inode open as `fd` (it may have been released meanwhile)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return False
    own = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (own.st_dev, own.st_ino)


def lock_holder(path: Path) -> LockInfo | None:
    """The live holder of the lock at `path` (see `lock_file`), or None; never takes the lock."""
    target = lock_file(path)
    try:
        fd = os.open(target, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        info = _read_record(fd)
    finally:
        os.close(fd)
    return info if info is not None and info.is_alive() else None


class WorkspaceLock:
    """The single-writer lock: `with WorkspaceLock(ws.lock_path).acquire("charter say"):`."""

    def __init__(self, path: Path) -> None:
        """Prepare (not take) the lock for a workspace root, its `.charter/` or the lock file."""
        self.path = lock_file(path)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        """Whether this object currently holds the lock."""
        return self._fd is not None

    def acquire(self, purpose: str, timeout: float = 0.0) -> WorkspaceLock:
        """Take the lock for `purpose` or raise LockedError; retry for up to `timeout` seconds."""
        if self._fd is not None:
            raise RuntimeError("this WorkspaceLock is already held")
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._fd = self._try_acquire(purpose)
                return self
            except LockedError:
                if time.monotonic() >= deadline:
                    raise
            time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))

    def _try_acquire(self, purpose: str) -> int:
        """One attempt, allowing a short settle time for holders and contenders mid-step."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        settle_until = time.monotonic() + _SETTLE_SECONDS
        while True:
            fd = self._create_or_take_over(purpose)
            if isinstance(fd, int):
                return fd
            holder = fd
            if holder is not None and holder.is_alive():
                raise LockedError(holder, self.path)
            # No record yet, or a dead holder's record under a held flock: someone is between
            # two steps (creating, or taking over). Give them a moment before judging.
            if time.monotonic() >= settle_until:
                raise LockedError(holder, self.path)
            time.sleep(_POLL_SECONDS)

    def _create_or_take_over(self, purpose: str) -> int | LockInfo | None:
        """Return our locked fd, or the record of whoever holds the flock (None if unreadable)."""
        flags = os.O_RDWR | os.O_CLOEXEC
        try:
            fd = os.open(self.path, flags | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            try:
                fd = os.open(self.path, flags)
            except FileNotFoundError:
                return self._create_or_take_over(purpose)  # released in between: try again
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                os.close(fd)
                raise
            holder = _read_record(fd)
            os.close(fd)
            return holder
        if not _same_file(fd, self.path):
            os.close(fd)
            return self._create_or_take_over(purpose)
        previous = _read_record(fd)
        if previous is not None and previous.is_alive() and previous.pid != os.getpid():
            # A live holder whose flock is free: another host sharing the directory, or a
            # holder between O_EXCL and flock. Never take that over.
            os.close(fd)
            return previous
        # Fresh file, or a stale one (dead pid, reused pid, torn record): write our record.
        record = _own_record(purpose)
        os.ftruncate(fd, 0)
        os.pwrite(fd, record, 0)
        os.fsync(fd)
        return fd

    def release(self) -> None:
        """Give the lock up: unlink the file (if still ours), then drop the flock."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            if _same_file(fd, self.path):
                with contextlib.suppress(FileNotFoundError):
                    self.path.unlink()
        finally:
            os.close(fd)

    def __enter__(self) -> WorkspaceLock:
        """Enter a `with` block; acquire with purpose "charter" when not yet held."""
        if self._fd is None:
            self.acquire("charter")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Release on leaving the block, also when it raised."""
        self.release()
