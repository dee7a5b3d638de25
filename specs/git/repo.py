"""Running git for the spec history: the repository handle and the cheap reads a commit needs.

`specs.history` builds commits and reads the log through this module. Git is run as plain
processes (one per call, English messages so errors can be recognised); the few facts every
commit needs are read without a process where that is exact:

- HEAD's commit and tree: the ref is read by GitPython from the ref files and the commit from
  its loose object (what Charter's own last commit left); anything else (a packed commit, a ref
  store GitPython cannot read, an unborn branch) is asked of git itself.
- the author and committer: read from git config once and kept per process, keyed by the
  environment and re-read when any config file that could change the answer changes (the repo's,
  the worktree's, the global ones, every file a value came from, and HEAD for `onbranch:`
  includes). Only a found identity is kept, so a missing one is reported afresh every time.
  Not watched: an included file that has supplied no identity yet (adding one there is seen
  once a watched file changes, or by the next process).
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import zlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

IN_PROGRESS = {
    "MERGE_HEAD": "a merge",
    "rebase-merge": "a rebase",
    "rebase-apply": "a rebase or git am",
    "CHERRY_PICK_HEAD": "a cherry-pick",
    "REVERT_HEAD": "a revert",
    "BISECT_LOG": "a bisect",
}
_IDENTITY_KEYS = ("user.name", "user.email", "author.name", "author.email")
_IDENTITY_KEYS += ("committer.name", "committer.email")
_IDENTITY_REGEXP = r"^(user|author|committer)\.(name|email)$"
# Environment that decides which config files git reads, or overrides what they say.
_IDENTITY_ENV = frozenset(
    {
        "GIT_AUTHOR_NAME",
        "GIT_AUTHOR_EMAIL",
        "GIT_COMMITTER_NAME",
        "GIT_COMMITTER_EMAIL",
        "EMAIL",
        "HOME",
        "XDG_CONFIG_HOME",
        "GIT_DIR",
        "GIT_COMMON_DIR",
    }
)
# Found identities: (git dir, environment) -> (files watched, their stat stamps, identity env).
_IDENTITY_CACHE: dict[tuple[Any, ...], tuple[tuple[Path, ...], tuple[Any, ...], dict[str, str]]]
_IDENTITY_CACHE = {}
# git's `gc --auto` estimates the loose objects from this one fan-out directory (1/256 of them).
GC_SAMPLE_DIR = "17"
# gc.auto's default (6700) as a count in the sample directory, rounded up as git does.
GC_SAMPLE_THRESHOLD = (6700 + 255) // 256


class HistoryError(Exception):
    """A spec-history operation was refused or failed; the message says what to do."""


class GitIdentityError(HistoryError):
    """git has no user name or email to author a commit with."""

    def __init__(self) -> None:
        super().__init__(
            "git needs your name and email to commit: run "
            'git config --global user.name "Your Name" and '
            "git config --global user.email you@example.com"
        )


def probe_git(
    args: Sequence[str],
    data: bytes | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> tuple[int, bytes, str]:
    """Run `git <args>` and return its exit code, stdout and stderr; never raises for a failure.

    Messages are forced to English (as GitPython does) so callers can recognise them.
    """
    full_env = {**os.environ, "LANGUAGE": "C", "LC_ALL": "C", **(env or {})}
    stdin: dict[str, Any] = {"input": data} if data is not None else {"stdin": subprocess.DEVNULL}
    proc = subprocess.run(
        ["git", *args], capture_output=True, env=full_env, cwd=cwd, check=False, **stdin
    )
    return proc.returncode, proc.stdout, proc.stderr.decode("utf-8", "replace")


def first_error_line(stderr: str) -> str:
    """The first non-empty line of git's stderr, without its `fatal: ` or `error: ` prefix."""
    for line in stderr.splitlines():
        if line.strip():
            return line.strip().removeprefix("fatal: ").removeprefix("error: ")
    return "git failed"


def run_git(
    args: Sequence[str],
    data: bytes | None = None,
    env: Mapping[str, str] | None = None,
    ok: Sequence[int] = (0,),
    cwd: Path | None = None,
) -> bytes:
    """Run `git <args>` with optional stdin bytes and extra environment; HistoryError on failure.

    Messages are forced to English (as GitPython does) so callers can recognise e.g. a busy
    index from the text.
    """
    code, out, err = probe_git(args, data, env, cwd)
    if code not in ok:
        first = next((ln for ln in err.splitlines() if ln.strip()), "failed")
        command = next((a for a in args if not a.startswith("-") and "=" not in a), args[0])
        raise HistoryError(f"git {command}: {first.removeprefix('fatal: ').strip()}")
    return out


@contextlib.contextmanager
def open_repo(root: Path) -> Iterator[GitRepo]:
    """Open the repository around `root` (closing GitPython's helper processes afterwards).

    Where the repository lies is asked of git itself (one `git rev-parse`); GitPython is
    imported only when a caller needs it, so reading HEAD or a commit's tree stays cheap.
    """
    top, git_dir, common_dir = _locate(Path(root))
    repo = GitRepo(top, git_dir, common_dir, Path(root))
    try:
        yield repo
    finally:
        repo.close()


def _locate(root: Path) -> tuple[Path, Path, Path]:
    """The work tree's top level, the git dir and the common git dir of the repository around
    `root`; HistoryError when there is none or it has no work tree."""
    try:
        code, out, _err = probe_git(
            ["rev-parse", "--absolute-git-dir", "--git-common-dir", "--show-toplevel"], cwd=root
        )
    except (FileNotFoundError, NotADirectoryError):
        code, out = 128, b""
    lines = out.decode("utf-8", "surrogateescape").splitlines()
    if code != 0 or len(lines) != 3:
        if lines:  # git found a repository but no work tree: it failed at --show-toplevel
            raise HistoryError(f"{root} is a bare repository; Charter needs a working tree")
        raise HistoryError(f"{root} is not inside a git repository; run charter init")
    git_dir, common_dir, top = lines
    return Path(top), Path(git_dir), (root / common_dir).absolute()


class GitRepo:
    """A repository plus the workspace root's place in it."""

    def __init__(self, top: Path, git_dir: Path, common_dir: Path, root: Path) -> None:
        self.top = top.resolve()
        self.git_dir = git_dir.absolute()
        self.common_dir = common_dir
        self._repo: Any = None
        rel = root.resolve().relative_to(self.top).as_posix()
        self.prefix = "" if rel == "." else rel + "/"

    @property
    def repo(self) -> Any:
        """GitPython's handle on the repository, opened on first use."""
        if self._repo is None:
            import git

            self._repo = git.Repo(self.top)
        return self._repo

    def close(self) -> None:
        """Stop GitPython's helper processes, if it was opened."""
        if self._repo is not None:
            self._repo.close()
            self._repo = None

    def run(
        self,
        *args: str,
        data: bytes | None = None,
        env: Mapping[str, str] | None = None,
        ok: Sequence[int] = (0,),
        cwd: Path | None = None,
    ) -> bytes:
        """Run git in the top level of the work tree (or in `cwd`)."""
        return run_git(args, data, env, ok, cwd or self.top)

    def text(self, *args: str, **kwargs: Any) -> str:
        """Run git and return its stdout decoded, without the final newline."""
        return self.run(*args, **kwargs).decode("utf-8", "replace").rstrip("\n")

    def path(self, rel: str) -> str:
        """A root-relative path as a top-relative one, refusing anything outside the tree."""
        pure = PurePosixPath(rel)
        parts = [p for p in pure.parts if p != "."]
        if not rel or pure.is_absolute() or ".." in parts or not parts or parts[0] == ".git":
            raise HistoryError(f"refusing path {rel!r}: give a path inside the workspace")
        return self.prefix + "/".join(parts)

    def dir_spec(self, directory: Path | str) -> str:
        """A directory (absolute, or relative to the root) as a top-relative pathspec."""
        d = Path(directory)
        if d.is_absolute():
            rel = d.resolve().relative_to(self.top).as_posix()
            return "." if rel == "." else rel
        return self.path(d.as_posix()) if d.as_posix() not in ("", ".") else self.prefix or "."

    def rel(self, top_path: str) -> str:
        """A top-relative path as the caller sees it (relative to the root when inside it)."""
        return top_path.removeprefix(self.prefix) if top_path.startswith(self.prefix) else top_path

    def head(self) -> str | None:
        """HEAD's commit, or None on an unborn branch."""
        out = self.run("rev-parse", "-q", "--verify", "HEAD^{commit}", ok=(0, 1))
        return out.decode().strip() or None

    def head_and_tree(self) -> tuple[str | None, str | None]:
        """HEAD's commit and that commit's tree; (None, None) on an unborn branch."""
        found = self._loose_head()
        if found is not None:
            return found
        out = self.run("cat-file", "--batch", data=b"HEAD^{commit}\n")
        header, _, body = out.partition(b"\n")
        fields = header.split()
        if len(fields) != 3 or fields[1] != b"commit":
            return None, None  # "HEAD^{commit} missing": nothing committed yet
        return fields[0].decode(), _tree_of(body)

    def _loose_head(self) -> tuple[str, str] | None:
        """HEAD and its tree from the ref files and a loose commit object; None if not there.

        Read with the standard library: importing GitPython for this costs more than the git
        process it saves. Anything unusual (packed refs, a packed object) answers None, and the
        caller asks git."""
        sha = _loose_ref(self.git_dir, self.common_dir)
        if sha is None:
            return None
        try:
            raw = zlib.decompress((self.common_dir / "objects" / sha[:2] / sha[2:]).read_bytes())
        except (OSError, zlib.error):
            return None
        header, _, body = raw.partition(b"\0")
        if not header.startswith(b"commit "):
            return None
        tree = _tree_of(body)
        return (sha, tree) if tree else None

    def check_writable_state(self) -> None:
        """Refuse a detached HEAD or an operation in progress."""
        for name, what in IN_PROGRESS.items():
            if (self.git_dir / name).exists():
                raise HistoryError(
                    f"{what} is in progress in {self.top}; finish or abort it before Charter "
                    "commits a spec change"
                )
        if self.repo.head.is_detached:
            raise HistoryError(
                f"HEAD is detached in {self.top}; check out a branch (git switch <branch>) "
                "before Charter commits a spec change"
            )

    def identity(self) -> dict[str, str]:
        """Author and committer from git config (env overrides honoured) or GitIdentityError."""
        key = (str(self.git_dir), _identity_env())
        cached = _IDENTITY_CACHE.get(key)
        if cached is not None and _stamp(cached[0]) == cached[1]:
            return dict(cached[2])
        out = self.run("config", "-z", "--show-origin", "--get-regexp", _IDENTITY_REGEXP, ok=(0, 1))
        config: dict[str, str] = {}
        origins: list[Path] = []
        items = out.decode("utf-8", "replace").split("\0")
        for origin, item in zip(items[0::2], items[1::2], strict=False):
            name, _, value = item.partition("\n")
            if name in _IDENTITY_KEYS:
                config[name] = value
            if origin.startswith("file:"):
                origins.append(self.top / origin.removeprefix("file:"))
        env: dict[str, str] = {}
        for role in ("author", "committer"):
            for field in ("name", "email"):
                var = f"GIT_{role.upper()}_{field.upper()}"
                value = (
                    os.environ.get(var)
                    or config.get(f"{role}.{field}")
                    or config.get(f"user.{field}")
                    or (os.environ.get("EMAIL") if field == "email" else None)
                )
                if not value or not value.strip():
                    raise GitIdentityError()
                env[var] = value
        files = (*self._config_files(), *dict.fromkeys(origins))
        _IDENTITY_CACHE[key] = (files, _stamp(files), dict(env))
        return env

    def _config_files(self) -> list[Path]:
        """Files whose change could change the identity git reports (besides its sources)."""
        files = [
            self.common_dir / "config",
            self.git_dir / "config.worktree",
            self.git_dir / "HEAD",
        ]
        if os.environ.get("GIT_CONFIG_GLOBAL"):
            files.append(Path(os.environ["GIT_CONFIG_GLOBAL"]))
        elif os.environ.get("HOME"):
            home = Path(os.environ["HOME"])
            xdg = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
            files += [home / ".gitconfig", xdg / "git" / "config"]
        if not os.environ.get("GIT_CONFIG_NOSYSTEM"):
            files.append(Path(os.environ.get("GIT_CONFIG_SYSTEM") or "/etc/gitconfig"))
        return files

    def loose_sample(self) -> int:
        """How many entries git's `gc --auto` would count in its loose-object sample directory."""
        try:
            return len(os.listdir(self.common_dir / "objects" / GC_SAMPLE_DIR))
        except OSError:
            return 0


_OBJECT_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def _loose_ref(git_dir: Path, common_dir: Path, name: str = "HEAD") -> str | None:
    """The object ID `name` resolves to through loose ref files (symbolic refs followed), or
    None when a ref is packed, missing or malformed."""
    for _ in range(5):  # git itself gives up on deeper symbolic-ref chains
        text = None
        for base in (git_dir, common_dir):  # per-worktree refs first, then shared ones
            with contextlib.suppress(OSError, UnicodeDecodeError):
                text = (base / name).read_text(encoding="utf-8").strip()
                break
        if text is None:
            return None
        if not text.startswith("ref: "):
            return text if _OBJECT_ID.fullmatch(text) else None
        name = text.removeprefix("ref: ").strip()
    return None


def _tree_of(commit: bytes) -> str | None:
    """The tree ID on a raw commit object's first line, or None if it does not start so."""
    first = commit.split(b"\n", 1)[0].split(b" ")
    return first[1].decode() if len(first) == 2 and first[0] == b"tree" else None


def _identity_env() -> tuple[tuple[str, str], ...]:
    """The environment that decides the identity (overrides and where config is read from)."""
    return tuple(
        sorted(
            (k, v)
            for k, v in os.environ.items()
            if k in _IDENTITY_ENV or k.startswith("GIT_CONFIG")
        )
    )


def _stamp(files: Sequence[Path]) -> tuple[Any, ...]:
    """Each file's (inode, size, mtime), or None where it is missing: changes when it is edited."""
    out: list[Any] = []
    for f in files:
        try:
            st = f.stat()
        except OSError:
            out.append(None)
            continue
        out.append((st.st_ino, st.st_size, st.st_mtime_ns))
    return tuple(out)
