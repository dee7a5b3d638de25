"""A kernel cap on how many processes a jailed command may run: a `pids` control group.

Inside the jail, `prlimit --nproc` caps the command's processes, but the kernel exempts root
from that limit, and CI (and many containers) run as root. Where a `pids` cgroup can be made
(cgroup v1's `pids` hierarchy, or cgroup v2 with the controller available to this process),
the command is started inside a fresh one with `pids.max` set: a fork bomb stops at the cap,
and `pids.current` counts the jail's processes for the watchdog at no cost. Where none can be
made, the watchdog counts processes itself.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from collections.abc import Sequence
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
# Joins the cgroup, then execs the command (see the script for why not a preexec hook).
JOIN_SCRIPT = Path(__file__).with_name("cgroup_join.sh")


class PidsCgroup:
    """One fresh pids cgroup for one command; remove it with `close()`."""

    def __init__(self, path: Path) -> None:
        """Wrap an existing cgroup directory."""
        self.path = path

    @classmethod
    def create(cls, limit: int) -> PidsCgroup | None:
        """A new cgroup capped at `limit` processes, or None where none can be made here.

        Only for root: for anyone else `prlimit --nproc` already holds, and moving a process
        into a cgroup costs milliseconds per command.
        """
        if os.geteuid() != 0:
            return None
        name = f"charter-jail-{secrets.token_hex(6)}"
        for parent in _parents():
            path = parent / name
            try:
                path.mkdir()
            except OSError:
                continue
            try:
                (path / "pids.max").write_text(str(limit))
            except OSError:
                with contextlib.suppress(OSError):
                    path.rmdir()
                continue
            return cls(path)
        return None

    def current(self) -> int:
        """How many processes are in the cgroup now."""
        try:
            return int((self.path / "pids.current").read_text())
        except (OSError, ValueError):
            return 0

    def refused_forks(self) -> bool:
        """Whether the kernel has refused a fork at the cap (`pids.events`' `max` count).

        A fork bomb's processes die as fast as they fail to fork, so `pids.current` may never
        be seen at the cap by a poll; a refused fork is counted here for good.
        """
        try:
            for line in (self.path / "pids.events").read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "max":
                    return int(value) > 0
        except (OSError, ValueError):
            pass
        return False

    def wrap(self, argv: Sequence[str]) -> list[str]:
        """`argv` run so that its process joins the cgroup before it execs the command."""
        return ["/bin/sh", str(JOIN_SCRIPT), str(self.path / "cgroup.procs"), *argv]

    def close(self) -> None:
        """Remove the (by now empty) cgroup."""
        # The kernel may take a moment to reap a PID namespace's last processes: usually well
        # under a millisecond, so poll finely (a build waits here once per command).
        for _ in range(5000):
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.0002)


def _parents() -> list[Path]:
    """Where a child pids cgroup may be made: v1's pids hierarchy, then v2 beside this process."""
    found = []
    v1 = CGROUP_ROOT / "pids"
    if (v1 / "cgroup.procs").exists():
        found.append(v1 / _own("pids").lstrip("/"))
    controllers = CGROUP_ROOT / "cgroup.controllers"
    with contextlib.suppress(OSError):
        if "pids" in controllers.read_text().split():
            found.append(CGROUP_ROOT / _own("").lstrip("/"))
    return found


def _own(controller: str) -> str:
    """This process's cgroup path for `controller` ("" for cgroup v2)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, names, path = line.split(":", 2)
            if (controller and controller in names.split(",")) or (not controller and not names):
                return path
    return "/"
