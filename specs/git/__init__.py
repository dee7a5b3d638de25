"""Git for the spec: the one place Charter runs git (`repo`), writes spec commits (`message`,
`commit`, `journal`, `hooks`, `merge`) and reads the spec history back (`log`). Other packages use
`charter.specs`' surface."""

from charter.specs.git.commit import (
    HeadMovedError,
    NothingToCommitError,
    commit_spec_change,
    unstage_paths,
)
from charter.specs.git.hooks import HookRefusedError
from charter.specs.git.journal import STEPS as JOURNAL_STEPS
from charter.specs.git.journal import kill_point, replay_journal
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
from charter.specs.git.merge import merge_text
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

__all__ = [
    "JOURNAL_STEPS",
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
    "Intent",
    "NothingToCommitError",
    "commit_spec_change",
    "kill_point",
    "merge_text",
    "parse_intents",
    "parse_trailers",
    "render_commit_message",
    "replay_journal",
    "repo_head",
    "requirement_history",
    "show_commit",
    "spec_files_at",
    "spec_log",
    "unstage_paths",
]
