"""Git for the spec: the one place Charter runs git on the user's repository (`repo`), sets one up
and asks where it stands (`probe`), writes spec commits (`message`, `commit`, `journal`, `hooks`,
`merge`), writes a build's tree to a new branch (`export`) and reads the spec history back
(`log`, `tree`). Other packages use `charter.specs`' surface.

Names resolve lazily (PEP 562), so reading HEAD (`charter status`) loads neither the commit
machinery nor the requirement index; `__init__.pyi` gives each name its type.
"""

from __future__ import annotations

import importlib
from typing import Any

# Public name -> module that defines it (`charter.specs` takes this table over as it is).
_EXPORTS: dict[str, str] = {
    **dict.fromkeys(
        ("HeadMovedError", "NothingToCommitError", "commit_spec_change", "unstage_paths"),
        "charter.specs.git.commit",
    ),
    **dict.fromkeys(
        ("BranchExistsError", "ancestor_of", "commit_to_new_branch"),
        "charter.specs.git.export",
    ),
    "HookRefusedError": "charter.specs.git.hooks",
    **dict.fromkeys(
        ("journal_file", "kill_point", "replay_journal"),
        "charter.specs.git.journal",
    ),
    **dict.fromkeys(
        (
            "CommitDetail",
            "CommitInfo",
            "HeadInfo",
            "recent_commits",
            "repo_head",
            "requirement_history",
            "show_commit",
            "spec_log",
        ),
        "charter.specs.git.log",
    ),
    **dict.fromkeys(
        ("SpecTree", "spec_files_at", "spec_tree_at"),
        "charter.specs.git.tree",
    ),
    "merge_text": "charter.specs.git.merge",
    **dict.fromkeys(
        (
            "Change",
            "ChangeKind",
            "CommitMessage",
            "Intent",
            "parse_intents",
            "parse_trailers",
            "render_commit_message",
        ),
        "charter.specs.git.message",
    ),
    **dict.fromkeys(
        (
            "RepoProbe",
            "current_branch",
            "ensure_identity",
            "head_commit",
            "init_repo",
            "probe_repo",
        ),
        "charter.specs.git.probe",
    ),
    **dict.fromkeys(
        ("GitIdentityError", "HistoryError"),
        "charter.specs.git.repo",
    ),
    **dict.fromkeys(
        ("IndexStats", "RequirementIndex"),
        "charter.specs.git.reqindex",
    ),
}
# Public names that differ from the defining module's own: name -> (module, attribute).
_RENAMED: dict[str, tuple[str, str]] = {"JOURNAL_STEPS": ("charter.specs.git.journal", "STEPS")}

__all__ = sorted([*_EXPORTS, *_RENAMED])


def __getattr__(name: str) -> Any:
    """Import the module defining `name` on first use and return the attribute."""
    module, attr = _RENAMED.get(name) or (_EXPORTS.get(name), name)
    if module is None:
        raise AttributeError(f"module 'charter.specs.git' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """Public names, for tab completion and introspection."""
    return __all__
