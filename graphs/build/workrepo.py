"""The generated codebase's own git repository: one commit per finished task, serialised.

GitPython is not thread-safe, so every operation on the repository goes through one lock and one
`Repo` object, closed at the end of the build. Commits carry trailers (`Charter-Task`,
`Charter-Input`, `Charter-Build`) so a resumed build can see which tasks are already done.
Commits are made with hooks skipped, under the builder's own identity.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

AUTHOR_NAME = "Charter Builder"
AUTHOR_EMAIL = "builder@charter.invalid"
_TRAILER_RE = re.compile(r"^(Charter-[A-Za-z-]+):[ \t]*(.*)$", re.MULTILINE)
# GitPython's `IndexFile.add` changes the process's working directory while it runs, so builds
# that share a process (the build server runs many) must take turns there.
_CWD_LOCK = threading.Lock()


@dataclass(frozen=True)
class TaskCommit:
    """A task's commit in the generated workspace."""

    sha: str
    task: str
    input_hash: str
    files: tuple[str, ...]


class WorkRepo:
    """The build's `workspace/` repository."""

    def __init__(self, path: Path) -> None:
        """Open (or create, on first use) the repository at `path`."""
        self.path = path
        self.lock = threading.Lock()
        self._repo: Any = None
        self._index: Any = None
        self._branch: Any = None  # the branch HEAD names (unborn until the first commit)
        self._head: str | None = None  # its commit: this object is the repository's one writer

    def _open(self) -> Any:
        """The Repo object, creating the repository if needed (call with the lock held).

        The index is kept in memory between commits and written to disk on close; on open it
        is reset to HEAD, so a process killed before writing it leaves nothing stale behind.
        The branch and its commit are read once and then kept here: every commit of the build
        goes through this object, so re-reading refs for each one would only cost time.
        """
        import git

        # GitDB writes objects in-process; the default spawns `git hash-object` per object.
        if self._repo is None:
            if (self.path / ".git").exists():
                self._repo = git.Repo(self.path, odbt=git.GitDB)
                if self._repo.head.is_valid():
                    self._repo.git.read_tree("HEAD")
            else:
                self.path.mkdir(parents=True, exist_ok=True)
                # An empty template: no sample hooks or description files (hooks never run
                # here), a dozen fewer files to create per build.
                self._repo = git.Repo.init(
                    self.path,
                    initial_branch="main",
                    odbt=git.GitDB,
                    template="",
                    allow_unsafe_options=True,
                )
            self._index = self._repo.index
            self._branch = self._repo.head.reference
            self._head = self._repo.head.commit.hexsha if self._repo.head.is_valid() else None
        return self._repo

    def close(self) -> None:
        """Write the index, close the Repo (and its git helper processes)."""
        with self.lock:
            if self._repo is not None:
                if self._index is not None:
                    self._index.write()
                self._repo.close()
                self._repo = None
                self._index = None
                self._branch = None
                self._head = None

    def init(self) -> None:
        """Make sure the repository exists."""
        with self.lock:
            self._open()

    def commit_task(
        self, task_id: str, subject: str, body: str, files: list[str], trailers: dict[str, str]
    ) -> str:
        """Stage exactly `files` and commit them; return the new commit's SHA."""
        import git
        from git.objects.commit import Commit
        from gitdb.util import hex_to_bin

        actor = git.Actor(AUTHOR_NAME, AUTHOR_EMAIL)
        lines = [subject, ""]
        if body.strip():
            lines += [body.strip(), ""]
        lines += [f"{key}: {value}" for key, value in trailers.items()]
        message = "\n".join(lines) + "\n"
        with self.lock:
            repo = self._open()
            if files:
                with _CWD_LOCK:
                    self._index.add(sorted(files), write=False)
            tree = self._index.write_tree()
            parents = [Commit(repo, hex_to_bin(self._head))] if self._head else []
            # No hooks, no reflog: the builder's repository is its own bookkeeping.
            commit = Commit.create_from_tree(
                repo, tree, message, parents, head=False, author=actor, committer=actor
            )
            # The branch file is replaced atomically (lock file, rename), as git does.
            self._branch.set_reference(commit)
            self._head = str(commit.hexsha)
            return self._head

    def task_commits(self) -> dict[str, TaskCommit]:
        """The latest commit of each task, by task ID (empty for a new repository)."""
        out: dict[str, TaskCommit] = {}
        with self.lock:
            repo = self._open()
            if not repo.head.is_valid():
                return out
            for commit in repo.iter_commits():
                trailers = dict(_TRAILER_RE.findall(str(commit.message)))
                task = trailers.get("Charter-Task")
                if task and task not in out:
                    files = tuple(str(p) for p in commit.stats.files)
                    out[task] = TaskCommit(
                        commit.hexsha, task, trailers.get("Charter-Input", ""), files
                    )
        return out


def read_blobs(repo_path: Path, sha: str, paths: list[str]) -> dict[str, bytes] | None:
    """The contents of `paths` at commit `sha` of another build's workspace, or None."""
    import git

    try:
        with git.Repo(repo_path) as repo:
            tree = repo.commit(sha).tree
            return {p: tree[p].data_stream.read() for p in paths}
    except (
        git.InvalidGitRepositoryError,
        git.NoSuchPathError,
        git.BadName,
        KeyError,
        ValueError,
        git.GitCommandError,
    ):
        return None


def same_tree(original: Path, replay: Path) -> bool:
    """Whether two builds' workspaces have byte-identical trees at HEAD."""
    import git

    try:
        with git.Repo(original / "workspace") as a, git.Repo(replay / "workspace") as b:
            return bool(a.head.commit.tree.hexsha == b.head.commit.tree.hexsha)
    except (ValueError, git.GitError):
        return False


class NoWorkRepo(Exception):
    """The path holds no build workspace repository."""


def head_files(workspace: Path) -> dict[str, tuple[bytes, bool]]:
    """A build workspace's regular files at HEAD: path -> (bytes, executable); {} when unborn."""
    import git

    try:
        with git.Repo(workspace) as repo:
            if not repo.head.is_valid():
                return {}
            out: dict[str, tuple[bytes, bool]] = {}
            for item in repo.head.commit.tree.traverse():
                if item.type == "blob" and item.mode & 0o170000 == 0o100000:
                    out[item.path] = (item.data_stream.read(), bool(item.mode & 0o111))
            return dict(sorted(out.items()))
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
        raise NoWorkRepo(str(workspace)) from exc
