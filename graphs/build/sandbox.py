"""Running a command a model wrote: in the bubblewrap jail, within limits, logged, then gone.

`run_jailed(command, workspace, policy, home=..., tmpdir=..., log_path=...)` runs a shell
string (or an argv) in the build's `workspace/` and returns an `Outcome`; `detect_sandbox()`
says whether the jail can be made here. The policy comes from `[build]` in charter.toml.

Limits: wall time, output size (the log keeps at most `output_bytes`; more stops the command),
file size and process count (enforced by the kernel: `prlimit` inside the jail, and a pids
cgroup where one can be made, since the kernel exempts root from the former; a watchdog here
stops a command that reaches the cap). Whatever stops the command,
every process it started dies with it: the jail's PID namespace ends with its first process.
With `sandbox = "none"` the command runs unconfined in its own process group with the scrubbed
environment only; the build report warns about it.
"""

from __future__ import annotations

import contextlib
import os
import resource
import select
import signal
import subprocess
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from charter.graphs.build.cgroup import PidsCgroup
from charter.graphs.build.jail import (
    JailPolicy,
    Limits,
    SandboxInfo,
    SandboxUnavailable,
    bwrap_argv,
    detect_sandbox,
    jail_env,
)

__all__ = [
    "JailPolicy",
    "Limits",
    "Outcome",
    "SandboxInfo",
    "SandboxUnavailable",
    "detect_sandbox",
    "run_jailed",
]

OUTPUT_TAIL = 12_000
POLL = 0.02
CHUNK = 1 << 16


@dataclass(frozen=True)
class Outcome:
    """What a command did: exit code, which limit stopped it (if any), output tail, timing."""

    code: int
    limit: str | None
    output: str
    duration: float
    log: str
    sandbox: str
    note: str = ""
    """Why a limit stopped the command, as a clause ("timed out after 5 s and was killed")."""

    @property
    def timed_out(self) -> bool:
        """Whether the wall-time limit stopped the command."""
        return self.limit == "time"

    @property
    def ok(self) -> bool:
        """Whether the command passed."""
        return self.code == 0 and self.limit is None


LIMIT_NOTES = {
    "time": "timed out after {l.wall_time:g} s and was killed",
    "output": "wrote more than {l.output_bytes} bytes of output and was killed",
    "processes": "reached the limit of {l.processes} processes and was killed",
}


def run_jailed(
    command: str | Sequence[str],
    workspace: Path,
    policy: JailPolicy,
    *,
    home: Path,
    tmpdir: Path,
    log_path: Path,
    env: Mapping[str, str] | None = None,
) -> Outcome:
    """Run `command` (a shell string, or an argv) in `workspace` under `policy`.

    Output (stdout and stderr together) goes to `log_path`; `env` adds variables to the
    allow-listed environment. Raises SandboxUnavailable when the policy asks for a jail that
    cannot be made here.
    """
    argv = ["/bin/sh", "-c", command] if isinstance(command, str) else list(command)
    jailed = policy.sandbox != "none"
    for d in (home, tmpdir, log_path.parent):
        d.mkdir(parents=True, exist_ok=True)
    full_env = jail_env(home, tmpdir, env, jailed=jailed)
    if jailed:
        info = detect_sandbox(policy.bwrap)
        if not info.usable or info.bwrap is None:
            raise SandboxUnavailable(info.message())
        argv = bwrap_argv(
            policy, argv, bwrap=info.bwrap, workspace=workspace, home=home, env=full_env
        )
    limits = policy.limits
    # Outer bwrap and the jail's init come on top of the command's own processes.
    cgroup = PidsCgroup.create(limits.processes + 2)
    if cgroup is not None:
        argv = cgroup.wrap(argv)
    hooks = [] if jailed else [_unjailed_limits(limits)]
    start = time.monotonic()
    try:
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                argv,
                cwd=workspace,
                env=full_env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                close_fds=True,
                preexec_fn=_chain(hooks) if hooks else None,
            )
            assert proc.stdout is not None
            over = threading.Event()
            pump = threading.Thread(
                target=_pump, args=(proc.stdout, log, limits.output_bytes, over), daemon=True
            )
            pump.start()
            count = (
                (lambda: _cgroup_count(cgroup, limits))
                if cgroup is not None
                else lambda: _count(proc.pid)
            )
            limit = _watch(proc, limits, over, start, count)
            # Unjailed, a daemon may hold the pipe open for ever; jailed, every writer is dead.
            pump.join(timeout=None if jailed else 2.0)
            if not pump.is_alive():
                proc.stdout.close()
    finally:
        if cgroup is not None:
            cgroup.close()
    code = proc.returncode if proc.returncode is not None else -signal.SIGKILL
    duration = time.monotonic() - start
    note = LIMIT_NOTES[limit].format(l=limits) if limit is not None else ""
    if note:
        with open(log_path, "ab") as out:
            out.write(f"\n[charter: the command {note}]\n".encode())
    with open(log_path, "rb") as fh:
        fh.seek(max(0, log_path.stat().st_size - OUTPUT_TAIL))
        output = fh.read().decode("utf-8", errors="replace")
    return Outcome(code, limit, output, duration, str(log_path), policy.describe(), note)


def _watch(
    proc: subprocess.Popen[bytes],
    limits: Limits,
    over: threading.Event,
    start: float,
    count: Callable[[], int],
) -> str | None:
    """Wait for the command; stop it (and all it started) when a limit is reached.

    `count()` is how many processes the command runs, counting the jail's init; reaching the
    cap means the kernel is refusing its forks (or, for root without a cgroup, soon would).
    """
    limit: str | None = None
    exited = _exit_waiter(proc)
    try:
        while True:
            if exited(POLL):
                proc.wait()
                return limit
            if over.is_set():
                limit = "output"
            elif time.monotonic() - start > limits.wall_time:
                limit = "time"
            elif count() - 1 >= limits.processes:
                limit = "processes"
            if limit is not None:
                _kill(proc)
                proc.wait()
                return limit
    finally:
        # A command that exited normally may have left children in its group (unjailed mode).
        _kill(proc)


def _cgroup_count(cgroup: PidsCgroup, limits: Limits) -> int:
    """The command's processes, all but the outer bwrap (or shell); at the cap (as `_watch`
    counts it) once the kernel has refused a fork."""
    if cgroup.refused_forks():
        return limits.processes + 1
    return cgroup.current() - 1


def _exit_waiter(proc: subprocess.Popen[bytes]) -> Callable[[float], bool]:
    """A `wait(seconds) -> exited?` that wakes the moment the process ends (a pidfd where the
    system has one; Popen's sleeping poll, which adds up to milliseconds per command, if not)."""
    try:
        fd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):

        def sleepy(seconds: float) -> bool:
            """Popen's own polling wait."""
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=seconds)
                return True
            return False

        return sleepy
    poller = select.poll()
    poller.register(fd, select.POLLIN)

    def pidfd(seconds: float) -> bool:
        """Whether the process exited within `seconds`."""
        return bool(poller.poll(seconds * 1000))

    # The pidfd is closed when the waiter is collected (after _watch returns).
    weakref.finalize(pidfd, os.close, fd)
    return pidfd


def _count(pid: int) -> int:
    """How many processes descend from `pid` (the jail's processes, all of them).

    Scans all of /proc: only used where no cgroup counts for us.
    """
    import psutil  # here, not at the top: reading a build's verdicts never needs it

    try:
        return len(psutil.Process(pid).children(recursive=True))
    except psutil.Error:
        return 0


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the command's process group; in a jail, the whole PID namespace follows."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def _pump(pipe: IO[bytes], log: IO[bytes], cap: int, over: threading.Event) -> None:
    """Copy the command's output to the log, at most `cap` bytes; drain the rest unread."""
    fd, kept = pipe.fileno(), 0
    while chunk := os.read(fd, CHUNK):
        if kept < cap:
            log.write(chunk[: cap - kept])
            kept += len(chunk)
        if kept > cap:
            over.set()
    log.flush()


def _chain(hooks: list[Callable[[], None]]) -> Callable[[], None]:
    """One preexec hook running `hooks` in order."""

    def run() -> None:
        """Runs in the child between fork and exec."""
        for hook in hooks:
            hook()

    return run


def _unjailed_limits(limits: Limits) -> Callable[[], None]:
    """A preexec hook that caps file size and core dumps for an unjailed command."""

    def apply() -> None:
        """Runs in the child between fork and exec."""
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply
