"""The build's safety boundary: which paths a model may write, and how verify commands run.

Writes go only inside the build's `workspace/`: absolute paths, `..` components, `.git`, paths
whose existing parents resolve outside the workspace and writes through a symlink are refused.
Verify commands run in `workspace/` in their own session (process group) with an allow-listed
environment (no API keys or other secrets), a timeout, and a group kill (SIGTERM, then SIGKILL)
when the timeout passes or the command leaves children behind.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import signal
import stat
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

# Variables a verify command may inherit; everything else (API keys above all) is dropped.
ENV_ALLOW = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TERM", "TZ", "SOURCE_DATE_EPOCH")
KILL_GRACE = 2.0
OUTPUT_TAIL = 12_000


class PathRefused(ValueError):
    """A path the model proposed was refused; the message says why."""


@dataclass(frozen=True)
class Refusal:
    """One refused write: the path as proposed and the reason."""

    path: str
    reason: str


def check_path(workspace: Path, rel: str) -> Path:
    """Return the absolute target for `rel` inside `workspace`, or raise PathRefused.

    Refuses empty paths, absolute paths, `..` and `.git` components, existing symlinks on the
    way (the target itself or any parent) and anything whose existing parents resolve outside.
    """
    if not rel or "\x00" in rel or rel.strip() != rel:
        raise PathRefused("empty or malformed path")
    if "\\" in rel:
        raise PathRefused("backslashes are not allowed in paths")
    pure = PurePosixPath(rel)
    if pure.is_absolute() or rel.startswith("~") or (len(rel) > 1 and rel[1] == ":"):
        raise PathRefused("absolute paths are not allowed")
    parts = [p for p in pure.parts if p != "."]
    if not parts:
        raise PathRefused("path names no file")
    if ".." in parts:
        raise PathRefused("`..` components are not allowed")
    if ".git" in parts:
        raise PathRefused("the workspace's .git directory is off limits")
    root = workspace.resolve()
    current = root
    for part in parts:
        current = current / part
        if current.is_symlink():
            where = current.relative_to(root)
            raise PathRefused(f"`{where}` is a symlink; writes through symlinks are refused")
        if not current.exists():
            break
    parent = (root / Path(*parts)).parent
    existing = parent
    while not existing.exists():
        existing = existing.parent
    resolved = existing.resolve()
    if resolved != root and root not in resolved.parents:
        raise PathRefused("path resolves outside the workspace")
    target = root / Path(*parts)
    if target.exists() and target.is_dir():
        raise PathRefused("path names a directory")
    return target


def write_files(
    workspace: Path, files: list[tuple[str, str | bytes]]
) -> tuple[list[str], list[Refusal]]:
    """Write `(path, content)` pairs safely; return the relative paths written and the refusals."""
    written: list[str] = []
    refused: list[Refusal] = []
    for rel, content in files:
        try:
            target = check_path(workspace, rel)
            data = content.encode("utf-8") if isinstance(content, str) else content
            # check_path gave a clear reason up front; the write itself re-checks every step,
            # because a verify command running in parallel may change the tree in between.
            _write_confined(workspace.resolve(), target.relative_to(workspace.resolve()), data)
        except PathRefused as exc:
            refused.append(Refusal(rel, str(exc)))
            continue
        except OSError as exc:
            reason = (
                "writes through a symlink are refused"
                if exc.errno in (errno.ELOOP, errno.ENOTDIR)
                else (exc.strerror or str(exc))
            )
            refused.append(Refusal(rel, reason))
            continue
        written.append(target.relative_to(workspace.resolve()).as_posix())
    return written, refused


def _write_confined(root: Path, rel: Path, data: bytes) -> None:
    """Write `data` to `root/rel`, never leaving `root` whatever changes on disk meanwhile.

    Each directory is opened relative to the previous one with O_NOFOLLOW, so a symlink swapped
    in after check_path cannot redirect the write. The file is written under a temporary name
    and renamed over the target, so a hard link to a file outside (which a verify command can
    make) is replaced, not written through. An existing file keeps its permission bits.
    """
    dir_flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
    fd = os.open(root, dir_flags)
    try:
        for part in rel.parts[:-1]:
            with contextlib.suppress(FileExistsError):
                os.mkdir(part, 0o755, dir_fd=fd)
            child = os.open(part, dir_flags, dir_fd=fd)
            os.close(fd)
            fd = child
        name = rel.parts[-1]
        mode = 0o644
        with contextlib.suppress(FileNotFoundError):
            st = os.stat(name, dir_fd=fd, follow_symlinks=False)
            if stat.S_ISREG(st.st_mode):
                mode = stat.S_IMODE(st.st_mode)
        tmp = f".{name}.{secrets.token_hex(8)}.charter-tmp"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        out = os.open(tmp, flags, 0o600, dir_fd=fd)
        try:
            with os.fdopen(out, "wb") as fh:
                os.fchmod(fh.fileno(), mode)
                fh.write(data)
            os.replace(tmp, name, src_dir_fd=fd, dst_dir_fd=fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=fd)
            raise
    finally:
        os.close(fd)


@dataclass(frozen=True)
class VerifyResult:
    """What a verify command did: exit code, whether it timed out, its output and duration."""

    code: int
    timed_out: bool
    output: str
    duration: float
    log: str

    @property
    def ok(self) -> bool:
        """Whether the command passed."""
        return self.code == 0 and not self.timed_out


def verify_env(home: Path, tmpdir: Path) -> dict[str, str]:
    """The minimal environment of a verify command: allow-listed variables and private dirs."""
    env = {k: os.environ[k] for k in ENV_ALLOW if k in os.environ}
    env.setdefault("PATH", os.defpath)
    env.setdefault("LANG", "C.UTF-8")
    env["HOME"] = str(home)
    env["TMPDIR"] = str(tmpdir)
    return env


def run_verify(
    command: str,
    *,
    cwd: Path,
    home: Path,
    tmpdir: Path,
    timeout: float,
    log_path: Path,
    grace: float = KILL_GRACE,
) -> VerifyResult:
    """Run `command` with `sh -c` in `cwd`; stdout and stderr go to `log_path` (kept)."""
    home.mkdir(parents=True, exist_ok=True)
    tmpdir.mkdir(parents=True, exist_ok=True)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    timed_out = False
    with open(log_path, "wb") as log:
        # A file, not a pipe: children that outlive the shell cannot block us on a full pipe.
        proc = subprocess.Popen(
            ["/bin/sh", "-c", command],
            cwd=cwd,
            env=verify_env(home, tmpdir),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_group(proc, grace)
            code = proc.returncode if proc.returncode is not None else -signal.SIGKILL
        finally:
            # Whatever the shell left running in its group dies with it.
            _signal_group(proc.pid, signal.SIGKILL)
    duration = time.monotonic() - start
    if timed_out:
        note = f"\n[charter: verify command timed out after {timeout:g} s and was killed]\n"
        with open(log_path, "ab") as log:
            log.write(note.encode("utf-8"))
    raw = log_path.read_bytes()
    output = raw[-OUTPUT_TAIL:].decode("utf-8", errors="replace")
    return VerifyResult(code, timed_out, output, duration, str(log_path))


def _kill_group(proc: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM the command's process group, wait `grace` seconds, then SIGKILL it."""
    _signal_group(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace)
    _signal_group(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    """Send `sig` to a process group, ignoring a group that is already gone."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)
