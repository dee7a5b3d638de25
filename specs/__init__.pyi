"""Types of `charter.specs`' lazily loaded names (PEP 562 in `__init__.py`).

Type checkers read this file instead of `__init__.py`; `tests/test_lazy_exports.py` checks that
it imports every name of `_EXPORTS` from the same module, so the two cannot drift.
"""

from charter.specs.diff import (
    requirement_changes,
)
from charter.specs.edit_vocabulary import (
    EDITABLE_OPS,
    OP_FIELDS,
    OP_MARK,
    Applied,
    EditError,
    EditOp,
    Forbidden,
    SpecEdit,
)
from charter.specs.edits import (
    SpecWork,
)
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
    SpecTree,
    repo_head,
    requirement_history,
    show_commit,
    spec_files_at,
    spec_log,
    spec_tree_at,
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
from charter.specs.ids import (
    IdRegister,
    IdRegisterError,
    names_requirement,
    section_prefix,
    split_id,
)
from charter.specs.loader import (
    REGISTER_NAME,
    SPEC_SUFFIX,
    SpecCommit,
    is_spec_file,
    load_spec_dir,
    load_spec_files,
    read_spec_commit,
    read_spec_dir,
    spec_paths,
)
from charter.specs.model import (
    EXAMPLE_INFO,
    KEYWORD_RE,
    KEYWORDS,
    MSG_ID_RE,
    REQ_ID_PATTERN,
    REQ_ID_RE,
    XREF_RE,
    Example,
    Finding,
    Prose,
    Provenance,
    ProvenanceKind,
    Requirement,
    Section,
    Severity,
    Spec,
    SpecFile,
)
from charter.specs.parser import (
    MAX_FILE_BYTES,
    parse_bytes,
    parse_file,
)
from charter.specs.render import (
    render_example,
    render_file,
    render_provenance,
    render_requirement,
)
from charter.specs.session import (
    SessionError,
    Step,
    line_matches,
    parse_session,
)
from charter.specs.validate import (
    MessageText,
    blocking_errors,
    merge_findings,
    sort_findings,
    validate,
    validate_dir,
)

__all__ = [
    "EDITABLE_OPS",
    "EXAMPLE_INFO",
    "JOURNAL_STEPS",
    "KEYWORDS",
    "KEYWORD_RE",
    "MAX_FILE_BYTES",
    "MSG_ID_RE",
    "OP_FIELDS",
    "OP_MARK",
    "REGISTER_NAME",
    "REQ_ID_PATTERN",
    "REQ_ID_RE",
    "SPEC_SUFFIX",
    "XREF_RE",
    "Applied",
    "BranchExistsError",
    "Change",
    "ChangeKind",
    "CommitDetail",
    "CommitInfo",
    "CommitMessage",
    "EditError",
    "EditOp",
    "Example",
    "Finding",
    "Forbidden",
    "GitIdentityError",
    "HeadInfo",
    "HeadMovedError",
    "HistoryError",
    "HookRefusedError",
    "IdRegister",
    "IdRegisterError",
    "IndexStats",
    "Intent",
    "MessageText",
    "NothingToCommitError",
    "Prose",
    "Provenance",
    "ProvenanceKind",
    "RepoProbe",
    "Requirement",
    "RequirementIndex",
    "Section",
    "SessionError",
    "Severity",
    "Spec",
    "SpecCommit",
    "SpecEdit",
    "SpecFile",
    "SpecTree",
    "SpecWork",
    "Step",
    "ancestor_of",
    "blocking_errors",
    "commit_spec_change",
    "commit_to_new_branch",
    "current_branch",
    "ensure_identity",
    "head_commit",
    "init_repo",
    "is_spec_file",
    "journal_file",
    "kill_point",
    "line_matches",
    "load_spec_dir",
    "load_spec_files",
    "merge_findings",
    "merge_text",
    "names_requirement",
    "parse_bytes",
    "parse_file",
    "parse_intents",
    "parse_session",
    "parse_trailers",
    "probe_repo",
    "read_spec_commit",
    "read_spec_dir",
    "render_commit_message",
    "render_example",
    "render_file",
    "render_provenance",
    "render_requirement",
    "replay_journal",
    "repo_head",
    "requirement_changes",
    "requirement_history",
    "section_prefix",
    "show_commit",
    "sort_findings",
    "spec_files_at",
    "spec_log",
    "spec_paths",
    "spec_tree_at",
    "split_id",
    "unstage_paths",
    "validate",
    "validate_dir",
]
