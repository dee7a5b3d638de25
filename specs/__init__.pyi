"""Types of `charter.specs`' lazily loaded names (PEP 562 in `__init__.py`).

Type checkers read this file instead of `__init__.py`; `tests/test_lazy_exports.py` checks that
it imports every name of `_EXPORTS` from the same module, so the two cannot drift.
"""

from charter.specs import git as _git
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
from charter.specs.git import *  # noqa: F403  (typed in specs/git/__init__.pyi)
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
    "EditError",
    "EditOp",
    "Example",
    "Finding",
    "Forbidden",
    "IdRegister",
    "IdRegisterError",
    "MessageText",
    "Prose",
    "Provenance",
    "ProvenanceKind",
    "Requirement",
    "Section",
    "SessionError",
    "Severity",
    "Spec",
    "SpecCommit",
    "SpecEdit",
    "SpecFile",
    "SpecWork",
    "Step",
    "blocking_errors",
    "is_spec_file",
    "line_matches",
    "load_spec_dir",
    "load_spec_files",
    "merge_findings",
    "names_requirement",
    "parse_bytes",
    "parse_file",
    "parse_session",
    "read_spec_commit",
    "read_spec_dir",
    "render_example",
    "render_file",
    "render_provenance",
    "render_requirement",
    "requirement_changes",
    "section_prefix",
    "sort_findings",
    "spec_paths",
    "split_id",
    "validate",
    "validate_dir",
]
__all__ += _git.__all__
