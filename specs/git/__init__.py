"""Git for the spec: the one place Charter runs git (`repo`), writes spec commits (`message`,
`commit`) and reads the spec history back (`log`). Other packages use `charter.specs`' surface."""

from charter.specs.git.commit import HeadMovedError, NothingToCommitError, commit_spec_change
from charter.specs.git.log import (
    CommitDetail,
    CommitInfo,
    HeadInfo,
    repo_head,
    requirement_history,
    show_commit,
    spec_files_at,
    spec_log,
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
from charter.specs.git.repo import GitIdentityError, HistoryError
from charter.specs.git.reqindex import IndexStats, RequirementIndex

__all__ = [
    "Change",
    "ChangeKind",
    "CommitDetail",
    "CommitInfo",
    "CommitMessage",
    "GitIdentityError",
    "HeadInfo",
    "HeadMovedError",
    "HistoryError",
    "IndexStats",
    "Intent",
    "NothingToCommitError",
    "RequirementIndex",
    "commit_spec_change",
    "parse_intents",
    "parse_trailers",
    "render_commit_message",
    "repo_head",
    "requirement_history",
    "show_commit",
    "spec_files_at",
    "spec_log",
]
