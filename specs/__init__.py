"""The spec format's public surface: models, parse, render, load, validate and ID allocation.

Other packages use only these names (DESIGN §2, §4).
"""

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
from charter.specs.parser import MAX_FILE_BYTES, parse_bytes, parse_file
from charter.specs.render import (
    render_example,
    render_file,
    render_provenance,
    render_requirement,
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
    "KEYWORDS",
    "KEYWORD_RE",
    "MAX_FILE_BYTES",
    "MSG_ID_RE",
    "REGISTER_NAME",
    "REQ_ID_PATTERN",
    "REQ_ID_RE",
    "SPEC_SUFFIX",
    "XREF_RE",
    "Example",
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
    "SpecCommit",
    "SpecFile",
    "blocking_errors",
    "is_spec_file",
    "load_spec_dir",
    "load_spec_files",
    "merge_findings",
    "names_requirement",
    "parse_bytes",
    "parse_file",
    "read_spec_commit",
    "read_spec_dir",
    "render_example",
    "render_file",
    "render_provenance",
    "render_requirement",
    "section_prefix",
    "sort_findings",
    "spec_paths",
    "split_id",
    "validate",
    "validate_dir",
]

# Spec history on git (specs/git/): commits that carry the user's words, and reading them.
from charter.specs import git as _git
from charter.specs.git import *  # noqa: F403  (its names are listed once, there)

__all__ += _git.__all__

# Requirement-level differences between two versions of the spec (specs/diff.py).
from charter.specs.diff import requirement_changes  # noqa: E402

__all__ += ["requirement_changes"]

# Examples under requirements: reading a shell session (specs/session.py).
from charter.specs.model import EXAMPLE_INFO  # noqa: E402
from charter.specs.session import SessionError, Step, line_matches, parse_session  # noqa: E402

__all__ += ["EXAMPLE_INFO", "SessionError", "Step", "line_matches", "parse_session"]
# Edits of a spec: the operation vocabulary (specs/edit_vocabulary.py) and applying edits
# (specs/edits.py).
from charter.specs.edit_vocabulary import (  # noqa: E402
    EDITABLE_OPS,
    OP_FIELDS,
    OP_MARK,
    Applied,
    EditError,
    EditOp,
    Forbidden,
    SpecEdit,
)
from charter.specs.edits import SpecWork  # noqa: E402

__all__ += [
    "EDITABLE_OPS",
    "OP_FIELDS",
    "OP_MARK",
    "Applied",
    "EditError",
    "EditOp",
    "Forbidden",
    "SpecEdit",
    "SpecWork",
]
