"""The spec format's public surface: models, parse, render, load, validate and ID allocation.

Other packages use only these names (DESIGN §2, §4).
"""

from charter.specs.ids import IdRegister, IdRegisterError, section_prefix, split_id
from charter.specs.loader import load_spec_dir, load_spec_files
from charter.specs.model import (
    KEYWORD_RE,
    KEYWORDS,
    MSG_ID_RE,
    REQ_ID_RE,
    XREF_RE,
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
from charter.specs.parser import MAX_FILE_BYTES, parse_bytes, parse_file
from charter.specs.render import render_file, render_provenance, render_requirement
from charter.specs.validate import (
    MessageText,
    merge_findings,
    sort_findings,
    validate,
    validate_dir,
)

__all__ = [
    "KEYWORDS",
    "KEYWORD_RE",
    "MAX_FILE_BYTES",
    "MSG_ID_RE",
    "REQ_ID_RE",
    "XREF_RE",
    "Finding",
    "IdRegister",
    "IdRegisterError",
    "MessageText",
    "Prose",
    "Provenance",
    "ProvenanceKind",
    "Requirement",
    "Section",
    "Severity",
    "Spec",
    "SpecFile",
    "load_spec_dir",
    "load_spec_files",
    "merge_findings",
    "parse_bytes",
    "parse_file",
    "render_file",
    "render_provenance",
    "render_requirement",
    "section_prefix",
    "sort_findings",
    "split_id",
    "validate",
    "validate_dir",
]

# Spec history on git (specs/git/): commits that carry the user's words, and reading them.
from charter.specs.git import (
    Change,
    ChangeKind,
    CommitDetail,
    CommitInfo,
    CommitMessage,
    GitIdentityError,
    HeadInfo,
    HeadMovedError,
    HistoryError,
    IndexStats,
    Intent,
    NothingToCommitError,
    RequirementIndex,
    commit_spec_change,
    parse_intents,
    parse_trailers,
    render_commit_message,
    repo_head,
    requirement_history,
    show_commit,
    spec_files_at,
    spec_log,
)

__all__ += [
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

# Requirement-level differences between two versions of the spec (specs/diff.py).
from charter.specs.diff import requirement_changes  # noqa: E402

__all__ += ["requirement_changes"]
