"""The requirement index: which commits touched which requirement, kept in the workspace's
state.db so `charter why` answers from a table instead of walking the whole history.

Tables (sqlite-utils): `req_commits` (requirement ID, the commit's position, its sha) and
`req_index` (one row per spec directory: the commit indexed up to). The index follows HEAD: when
HEAD has moved on from the indexed commit, only the new commits are read (`git log tip..HEAD`);
when HEAD is not a descendant (a reset, a rebase, another branch) the index is rebuilt. Either
way one `git log -p -G` reads the patches and `log.touched_requirements` decides, per commit,
what the per-requirement walk in `log.requirement_history` would: the two give the same commits,
newest first (a test compares them). `charter reindex` rebuilds it from scratch.
"""

from __future__ import annotations

import threading
from pathlib import Path
from types import TracebackType

from pydantic import BaseModel
from sqlite_utils import Database
from sqlite_utils.db import NotFoundError

from charter.specs.git.log import (
    ANY_BOLD_ID,
    CommitInfo,
    _dir_spec,
    commit_infos,
    touched_log,
)
from charter.specs.git.repo import GitRepo, HistoryError, open_repo

COMMITS = "req_commits"
STATE = "req_index"
# Serialises index writers within one process (the TUI's workers, tests); across processes
# SQLite's own lock does (each update is one transaction).
_WRITE = threading.Lock()


class IndexStats(BaseModel):
    """What an update or rebuild of the requirement index did."""

    rebuilt: bool
    commits_read: int
    tip: str | None


class RequirementIndex:
    """The requirement → commits index of one spec directory, in one SQLite file."""

    def __init__(self, db_path: Path, repo_root: Path, spec_dir: Path | str) -> None:
        """Open (creating as needed) the index in `db_path` for `spec_dir` of `repo_root`."""
        self.repo_root = Path(repo_root)
        self.spec_dir = spec_dir
        Path(db_path).parent.mkdir(parents=True, exist_ok=True)
        self.db = Database(Path(db_path))
        self.db.enable_wal()

    def __enter__(self) -> RequirementIndex:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the database connection."""
        self.db.close()

    def history(self, req_id: str) -> list[CommitInfo]:
        """Every commit up to HEAD that touched `req_id`, newest first (index updated first)."""
        with open_repo(self.repo_root) as repo:
            self._update(repo, rebuild=False)
            rows = self.db[COMMITS].rows_where(
                "spec = ? and req_id = ?",
                [_dir_spec(repo, self.spec_dir), req_id],
                order_by="seq desc",
                select="sha",
            )
            return commit_infos(repo, [row["sha"] for row in rows])

    def update(self) -> IndexStats:
        """Index the commits HEAD gained since the last update (rebuild if HEAD went elsewhere)."""
        with open_repo(self.repo_root) as repo:
            return self._update(repo, rebuild=False)

    def rebuild(self) -> IndexStats:
        """Drop the index of this spec directory and read the whole history again."""
        with open_repo(self.repo_root) as repo:
            return self._update(repo, rebuild=True)

    def _update(self, repo: GitRepo, rebuild: bool) -> IndexStats:
        """Bring the index to HEAD: incrementally when possible, else from scratch."""
        spec = _dir_spec(repo, self.spec_dir)
        head, _tree = repo.head_and_tree()  # the ref files where it can, else one git process
        with _WRITE:
            tip, top = self._state(spec)
            if not rebuild and tip == head:
                return IndexStats(rebuilt=False, commits_read=0, tip=tip)
            incremental = (
                not rebuild
                and tip is not None
                and head is not None
                and self._is_ancestor(repo, tip, head)
            )
            found = []
            if head is not None:
                revs = f"{tip}..{head}" if incremental else head
                found = touched_log(repo, self.spec_dir, ANY_BOLD_ID, revs)
            with self.db.conn:
                table = self.db.table(COMMITS)
                table.create(
                    {"spec": str, "req_id": str, "seq": int, "sha": str},
                    pk=("spec", "req_id", "seq"),
                    if_not_exists=True,
                )
                if not incremental:
                    top = 0
                    table.delete_where("spec = ?", [spec])
                rows = [
                    {"spec": spec, "req_id": req_id, "seq": top + len(found) - i, "sha": sha}
                    for i, (sha, touched) in enumerate(found)
                    for req_id in sorted(touched)
                ]
                table.insert_all(rows)
                self.db[STATE].upsert(
                    {"spec": spec, "tip": head, "top": top + len(found)}, pk="spec"
                )
            return IndexStats(rebuilt=not incremental, commits_read=len(found), tip=head)

    @staticmethod
    def _is_ancestor(repo: GitRepo, tip: str, head: str) -> bool:
        """Whether `tip` is an ancestor of `head` (so `tip..head` is what HEAD gained)."""
        try:
            repo.run("merge-base", "--is-ancestor", tip, head)
        except HistoryError:  # exit 1: not an ancestor; 128: tip no longer exists (gc'd)
            return False
        return True

    def _state(self, spec: str) -> tuple[str | None, int]:
        """The commit indexed up to and the highest position used, for this spec directory."""
        try:
            row = self.db[STATE].get(spec)
        except NotFoundError:
            return None, 0
        return row["tip"], row["top"]
