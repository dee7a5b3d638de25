"""The build's only input: the spec files as blobs of one commit's tree.

Nothing here reads the working directory, the ledger or `state.db`: a revision is resolved to a
commit and the `*.md` blobs under the spec dir are read from that commit's tree (`specs.loader`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from charter.specs import HistoryError, read_spec_commit


class SourceError(ValueError):
    """The revision or the spec dir could not be resolved; the message says what to fix."""


@dataclass(frozen=True)
class SpecSource:
    """The spec at one commit: its files (path relative to the spec dir → bytes)."""

    rev: str
    commit: str
    files: dict[str, bytes]
    skipped: tuple[str, ...] = ()


def read_spec(root: Path, spec_dir: Path, rev: str) -> SpecSource:
    """Read `<spec_dir>/**/*.md` from the tree of `rev`'s commit (never from the disk)."""
    try:
        spec = read_spec_commit(root, rev, spec_dir)
    except HistoryError as exc:
        raise SourceError(str(exc)) from exc
    if not spec.found:
        raise SourceError(
            f"commit {spec.commit[:10]} has no `{spec.path}/` directory: commit the spec first"
        )
    return SpecSource(rev, spec.commit, spec.files, spec.skipped)
