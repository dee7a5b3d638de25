"""Git for the spec: the one place Charter runs git on the user's repository (`repo`), sets one up
and asks where it stands (`probe`), writes spec commits (`message`, `commit`) and reads the spec
history back (`log`). Other packages use `charter.specs`' surface."""

from charter.specs.git.commit import HeadMovedError, NothingToCommitError, commit_spec_change
from charter.specs.git.export import BranchExistsError, ancestor_of, commit_to_new_branch
from charter.specs.git.log import (
    CommitDetail,
    CommitInfo,
    HeadInfo,
    SpecTree,
    repo_head,
    requirement_history,
    show_commit,
    spec_files_at,
    spec_log,
    spec_tree_at,
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
from charter.specs.git.repo import GitIdentityError, HistoryError

__all__ = [
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
    "Intent",
    "NothingToCommitError",
    "RepoProbe",
    "SpecTree",
    "ancestor_of",
    "commit_spec_change",
    "commit_to_new_branch",
    "current_branch",
    "ensure_identity",
    "head_commit",
    "init_repo",
    "parse_intents",
    "parse_trailers",
    "probe_repo",
    "render_commit_message",
    "repo_head",
    "requirement_history",
    "show_commit",
    "spec_files_at",
    "spec_log",
    "spec_tree_at",
]
