"""The spec format's public surface: models, parse, render, load, validate and ID allocation,
the spec's history on git (`specs.git`), requirement-level differences (`diff`), examples'
shell sessions (`session`) and the edit vocabulary (`edit_vocabulary`, `edits`).

Other packages use only these names (DESIGN §2, §4). Names resolve lazily (PEP 562), so a
command loads only the part of the format it uses (`charter validate` never loads git or the
edit machinery); `__init__.pyi` gives each name its type.
"""

from __future__ import annotations

import importlib
from typing import Any

from charter.specs import git as _git  # lazy too: reading its names imports no git module

# `validate` names both a submodule and its main function: bound here, before any lazy import
# of the submodule could bind the module object under that name instead.
from charter.specs.validate import validate as validate

# Public name -> module that defines it; `specs.git`'s names resolve through its own surface.
_EXPORTS: dict[str, str] = {
    "requirement_changes": "charter.specs.diff",
    **dict.fromkeys(
        (
            "Applied",
            "EDITABLE_OPS",
            "EditError",
            "EditOp",
            "Forbidden",
            "OP_FIELDS",
            "OP_MARK",
            "SpecEdit",
        ),
        "charter.specs.edit_vocabulary",
    ),
    "SpecWork": "charter.specs.edits",
    **dict.fromkeys(
        ("IdRegister", "IdRegisterError", "names_requirement", "section_prefix", "split_id"),
        "charter.specs.ids",
    ),
    **dict.fromkeys(
        (
            "REGISTER_NAME",
            "SPEC_SUFFIX",
            "SpecCommit",
            "is_spec_file",
            "load_spec_dir",
            "load_spec_files",
            "read_spec_commit",
            "read_spec_dir",
            "spec_paths",
        ),
        "charter.specs.loader",
    ),
    **dict.fromkeys(
        (
            "EXAMPLE_INFO",
            "Example",
            "Finding",
            "KEYWORDS",
            "KEYWORD_RE",
            "MSG_ID_RE",
            "Prose",
            "Provenance",
            "ProvenanceKind",
            "REQ_ID_PATTERN",
            "REQ_ID_RE",
            "Requirement",
            "Section",
            "Severity",
            "Spec",
            "SpecFile",
            "XREF_RE",
        ),
        "charter.specs.model",
    ),
    **dict.fromkeys(
        ("MAX_FILE_BYTES", "parse_bytes", "parse_file"),
        "charter.specs.parser",
    ),
    **dict.fromkeys(
        ("render_example", "render_file", "render_provenance", "render_requirement"),
        "charter.specs.render",
    ),
    **dict.fromkeys(
        ("SessionError", "Step", "line_matches", "parse_session"),
        "charter.specs.session",
    ),
    **dict.fromkeys(
        ("MessageText", "blocking_errors", "merge_findings", "sort_findings", "validate_dir"),
        "charter.specs.validate",
    ),
    **dict.fromkeys(_git.__all__, "charter.specs.git"),
}

__all__ = sorted([*_EXPORTS, "validate"])


def __getattr__(name: str) -> Any:
    """Import the module defining `name` on first use and return the attribute."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'charter.specs' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """Public names, for tab completion and introspection."""
    return __all__
