"""Which paths a model may write: only files inside the build's `workspace/`.

Refused: empty, absolute, `..`, NUL or control characters, over-long names, any component that
is `.git` once case, Unicode normalisation, ignorable characters and trailing dots or spaces are
set aside (`.GIT`, `.git.`, `.Git` with a zero-width joiner, `GIT~1`: the real `.git` on
case-insensitive or Windows file systems), symlinks on the way, and anything whose existing
parents resolve outside the workspace. Writes re-check every step while writing.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

# Linux limits (NAME_MAX, PATH_MAX); a longer path is refused with a reason, not an OSError.
MAX_NAME_BYTES = 255
MAX_PATH_BYTES = 4096


class PathRefused(ValueError):
    """A path the model proposed was refused; the message says why."""


@dataclass(frozen=True)
class Refusal:
    """One refused write: the path as proposed and the reason."""

    path: str
    reason: str


def check_path(workspace: Path, rel: str) -> Path:
    """Return the absolute target for `rel` inside `workspace`, or raise PathRefused.

    Refuses malformed and over-long paths, absolute paths, `..` and `.git` components (in any
    spelling a file system may fold to `.git`), existing symlinks on the way (the target itself
    or any parent) and anything whose existing parents resolve outside.
    """
    if not rel or rel.strip() != rel:
        raise PathRefused("empty path, or one starting or ending with white space")
    if "\x00" in rel:
        raise PathRefused("the path contains a NUL byte")
    if any(unicodedata.category(c) == "Cc" for c in rel):
        raise PathRefused("the path contains a control character")
    if "\\" in rel:
        raise PathRefused("backslashes are not allowed in paths")
    if len(rel.encode("utf-8", "surrogateescape")) > MAX_PATH_BYTES:
        raise PathRefused(f"the path is longer than {MAX_PATH_BYTES} bytes")
    pure = PurePosixPath(rel)
    if pure.is_absolute() or rel.startswith("~") or (len(rel) > 1 and rel[1] == ":"):
        raise PathRefused("absolute paths are not allowed")
    parts = [p for p in pure.parts if p != "."]
    if not parts:
        raise PathRefused("path names no file")
    if any(_folded(p) == ".." for p in parts):
        raise PathRefused("`..` components are not allowed")
    if any(_is_dotgit(p) for p in parts):
        raise PathRefused("the workspace's .git directory is off limits (in any spelling)")
    if any(len(p.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES for p in parts):
        raise PathRefused(f"a path component is longer than {MAX_NAME_BYTES} bytes")
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


def _folded(part: str) -> str:
    """`part` as a case-insensitive, normalising file system may see it.

    NFKC plus case folding, with format characters (zero-width joiners and the like, which
    HFS+ ignores) removed and trailing dots and spaces (which Windows drops) stripped.
    """
    text = unicodedata.normalize("NFKC", part).casefold()
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    return text.rstrip(". ") or text


def _is_dotgit(part: str) -> bool:
    """Whether a path component may name the repository's `.git` on some file system."""
    folded = _folded(part)
    # `git~1` is the 8.3 short name Windows gives `.git`.
    return folded in (".git", "git~1")


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
