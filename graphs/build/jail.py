"""The bubblewrap jail: what a jailed command sees, and whether a jail can be made here.

A jailed command sees the system read-only (`/usr`, `/etc` and the top-level links into
`/usr`), a private `/dev`, a `/proc` showing only its own processes, and three writable
directories: the build's `workspace/` (at its real path, so logs name it as the build does),
a private home and a private, size-capped `/tmp`. Nothing else of the host is there: not the user's
workspace, not their home, not Charter's virtualenv. Every namespace is new (PID, mount, IPC,
UTS, cgroup, user and, unless the policy allows it, network); the command dies with the build.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

# Variables a jailed command may inherit; everything else (API keys above all) is dropped.
ENV_ALLOW = ("LANG", "LC_ALL", "LC_CTYPE", "TERM", "TZ", "SOURCE_DATE_EPOCH")
# Directories a jail mounts read-only when they exist as directories (links are recreated).
SYSTEM_DIRS = ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
SYSTEM_PATH = ("/usr/local/bin", "/usr/bin", "/bin", "/usr/local/sbin", "/usr/sbin", "/sbin")
# Python reads no bytecode cache from the workspace and writes none: a file rewritten within
# the same second (same size) must import as rewritten, for the fixer and for --replay.
PYTHON_ENV = {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": "/nonexistent/pycache"}
SANDBOXES = ("bwrap", "none")


class SandboxUnavailable(RuntimeError):
    """The policy asks for a jail that cannot be made on this machine; the message says why."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one jailed command (values come from `[build]` in charter.toml)."""

    wall_time: float
    output_bytes: int
    file_bytes: int
    processes: int


@dataclass(frozen=True)
class JailPolicy:
    """How a build's commands run: which sandbox, its limits, network, extra read-only paths."""

    sandbox: str
    limits: Limits
    network: bool
    bwrap: str
    read_only: tuple[str, ...] = field(default=())

    def describe(self) -> str:
        """One line for reports and `charter status`."""
        if self.sandbox == "none":
            return "none: verify commands run unconfined (scrubbed environment only)"
        net = "network on" if self.network else "no network"
        lim = self.limits
        return (
            f"bubblewrap jail ({net}; {lim.wall_time:g} s, {lim.processes} processes, "
            f"{_mb(lim.output_bytes)} output, {_mb(lim.file_bytes)} per file)"
        )


@dataclass(frozen=True)
class SandboxInfo:
    """Whether a bubblewrap jail can be made here: the binary, or why not."""

    usable: bool
    bwrap: str | None
    problem: str

    def message(self) -> str:
        """What Charter tells the user, once, when the jail is unusable."""
        return (
            f"{self.problem}. Builds run model-written verify commands only inside a bubblewrap "
            "jail: install it (Debian/Ubuntu: `apt-get install bubblewrap`; Fedora: `dnf "
            'install bubblewrap`), or set `[build] sandbox = "none"` in charter.toml to run '
            "them unconfined (not recommended)."
        )


def _mb(n: int) -> str:
    """A byte count in MB for humans."""
    return f"{n / 1_000_000:g} MB"


def detect_sandbox(bwrap: str = "bwrap") -> SandboxInfo:
    """Whether `bwrap` exists and can create every namespace a jail needs (checked once)."""
    return _detect(shutil.which(bwrap) or "", bwrap)


@cache
def _detect(found: str, name: str) -> SandboxInfo:
    """Run a tiny jail with `found`; cached per binary."""
    if not found:
        return SandboxInfo(False, None, f"bubblewrap (`{name}`) is not installed")
    try:
        argv = [found, *_namespace_args(network=False), *_system_mounts(), "--", "/bin/true"]
        probe = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return SandboxInfo(False, found, f"bubblewrap (`{found}`) could not run: {exc}")
    if probe.returncode != 0:
        why = probe.stderr.strip().splitlines()[-1:] or [f"exit {probe.returncode}"]
        return SandboxInfo(False, found, f"bubblewrap cannot create namespaces here ({why[0]})")
    return SandboxInfo(True, found, "")


def policy_problem(policy: JailPolicy) -> str | None:
    """Why builds cannot run commands under `policy` here (said once, up front), or None."""
    if policy.sandbox == "none":
        return None
    info = detect_sandbox(policy.bwrap)
    return None if info.usable else info.message()


def _namespace_args(*, network: bool) -> list[str]:
    """New namespaces, a new session (no terminal injection), death with the build."""
    args = ["--unshare-all", "--die-with-parent", "--new-session"]
    return [*args, "--share-net"] if network else args


def _system_mounts() -> list[str]:
    """The read-only system, fresh /dev and /proc."""
    args: list[str] = []
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    return [*args, "--dev", "/dev", "--proc", "/proc"]


def jail_path(inherited: str | None, *, jailed: bool) -> str:
    """PATH for a build's command: never Charter's virtualenv; in a jail, only system dirs."""
    return _jail_path(inherited, os.environ.get("VIRTUAL_ENV"), jailed)


@cache
def _jail_path(inherited: str | None, virtual_env: str | None, jailed: bool) -> str:
    """`jail_path`, computed once per PATH (resolving every entry costs ~2 ms per command)."""
    venvs = {Path(sys.prefix).resolve()}
    if virtual_env:
        venvs.add(Path(virtual_env).resolve())
    keep: list[str] = []
    for entry in (inherited or os.defpath).split(os.pathsep):
        if not entry or entry in keep:
            continue
        real = Path(entry).resolve()
        if any(real == v or v in real.parents for v in venvs):
            continue
        if jailed and not any(entry == d or entry.startswith(d + "/") for d in SYSTEM_DIRS):
            continue
        keep.append(entry)
    if jailed:
        keep += [d for d in SYSTEM_PATH if d not in keep]
    return os.pathsep.join(keep)


def jail_env(
    home: Path, tmpdir: Path, extra: Mapping[str, str] | None = None, *, jailed: bool
) -> dict[str, str]:
    """The whole environment of a build's command: allow-listed variables, private dirs."""
    env = {k: os.environ[k] for k in ENV_ALLOW if k in os.environ}
    env.setdefault("LANG", "C.UTF-8")
    env["PATH"] = jail_path(os.environ.get("PATH"), jailed=jailed)
    env["HOME"] = str(home)
    env["TMPDIR"] = "/tmp" if jailed else str(tmpdir)
    env.update(PYTHON_ENV)
    env.update(extra or {})
    return env


def bwrap_argv(
    policy: JailPolicy,
    command: Sequence[str],
    *,
    bwrap: str,
    workspace: Path,
    home: Path,
    env: Mapping[str, str],
) -> list[str]:
    """The full bwrap command line running `command` in the jail, in `workspace`."""
    args = [bwrap, *_namespace_args(network=policy.network), *_system_mounts()]
    for extra in policy.read_only:
        args += ["--ro-bind-try", extra, extra]
    ws, hm = str(workspace.resolve()), str(home.resolve())
    # A fresh /tmp per command, in memory and capped, before the binds: their mount points may
    # lie under /tmp and must be made there, not in a host directory.
    args += ["--size", str(policy.limits.file_bytes), "--tmpfs", "/tmp"]
    args += ["--bind", ws, ws, "--bind", hm, hm]
    # The jail's own root (where bwrap made the mount points) becomes read-only too.
    args += ["--remount-ro", "/"]
    args += ["--chdir", ws, "--clearenv"]
    for key, value in env.items():
        args += ["--setenv", key, value]
    # Limits the kernel enforces inside the jail: prlimit runs after the user namespace exists,
    # so the process count covers only the jail's own processes (and its init, hence + 1).
    lim = policy.limits
    limits = [
        "prlimit",
        f"--nproc={lim.processes + 1}",
        f"--fsize={lim.file_bytes}",
        "--core=0",
        "--",
    ]
    return [*args, "--", *limits, *command]
