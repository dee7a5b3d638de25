"""Build verdicts of a commit: the latest build of a commit and what its examples said about
each requirement (verified / failing / built without examples; a requirement the build does not
name is not built). Shared by `charter coverage` and the TUI's spec tree.

It reads only the builds' records (`build.json`, `examples.json`): no spec, no git history, no
ledger, so the TUI can show verdicts without holding a second copy of a big spec.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from charter.graphs.build import BuildRecord, ExamplesRun


def latest_build(builds_dir: Path, sha: str) -> tuple[BuildRecord | None, ExamplesRun | None]:
    """The newest build of commit `sha` and its examples' results (None when absent)."""
    from charter.graphs.build import list_builds, read_examples

    mine = [r for r in list_builds(builds_dir) if r.commit == sha] if sha else []
    if not mine:
        return None, None
    latest = mine[-1]  # records come oldest first
    return latest, read_examples(builds_dir / latest.id)


def commit_verdicts(builds_dir: Path, sha: str) -> dict[str, str]:
    """Each requirement's verdict in the latest build of `sha`, by ID (only the requirements
    that build names; every other one is not built)."""
    _, run = latest_build(builds_dir, sha)
    if run is None:
        return {}
    return {v.id: v.verdict.value for v in run.requirements}
