"""Types of `charter.specs.git`' lazily loaded names (PEP 562 in `__init__.py`).

Type checkers read this file instead of `__init__.py`; `tests/test_lazy_exports.py` checks that
it imports every name of `_EXPORTS` from the same module, so the two cannot drift.
"""

from charter.specs.git.commit import (
    HeadMovedError,
    NothingToCommitError,
    commit_spec_change,
    unstage_paths,
)
from charter.specs.git.export import (
    BranchExistsError,
    ancestor_of,
    commit_to_new_branch,
)
from charter.specs.git.hooks import (
    HookRefusedError,
)
from charter.specs.git.journal import (
    STEPS as JOURNAL_STEPS,
)
from charter.specs.git.journal import (
    journal_file,
    kill_point,
    replay_journal,
)
from charter.specs.git.log import (
    CommitDetail,
    CommitInfo,
    HeadInfo,
    recent_commits,
    repo_head,
    requirement_history,
    show_commit,
    spec_log,
)
from charter.specs.git.merge import (
    merge_text,
)
from charter.specs.git.message import (
    Change,
    ChangeKind,
    CommitMessage,
    Intent,
    parse_intents,
    parse_trailers,
    render_commit_message,
)
from charter.specs.git.probe import (
    RepoProbe,
    current_branch,
    ensure_identity,
    head_commit,
    init_repo,
    probe_repo,
)
from charter.specs.git.repo import (
    GitIdentityError,
    HistoryError,
)
from charter.specs.git.reqindex import (
    IndexStats,
    RequirementIndex,
)
from charter.specs.git.tree import (
    SpecTree,
    spec_files_at,
    spec_tree_at,
)

__all__ = [
    "JOURNAL_STEPS",
    "BranchExistsError",
    "Change",
    "ChangeKind",
    "CommitDetail",
    "CommitInfo",
    "CommitMessage",
    "GitIdentityError",
    "HeadInfo",
    "HeadMovedError",
    "HistoryError",
    "HookRefusedError",
    "IndexStats",
    "Intent",
    "NothingToCommitError",
    "RepoProbe",
    "RequirementIndex",
    "SpecTree",
    "ancestor_of",
    "commit_spec_change",
    "commit_to_new_branch",
    "current_branch",
    "ensure_identity",
    "head_commit",
    "init_repo",
    "journal_file",
    "kill_point",
    "merge_text",
    "parse_intents",
    "parse_trailers",
    "probe_repo",
    "recent_commits",
    "render_commit_message",
    "replay_journal",
    "repo_head",
    "requirement_history",
    "show_commit",
    "spec_files_at",
    "spec_log",
    "spec_tree_at",
    "unstage_paths",
]
