"""Three-way merge of one file's text, as git merges it (`git merge-file`)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from charter.specs.git.repo import HistoryError, run_git


def merge_text(current: bytes, base: bytes, other: bytes) -> bytes | None:
    """`other`'s changes since `base` applied to `current`, or None when they conflict."""
    with tempfile.TemporaryDirectory(prefix="charter-merge-") as tmp:
        paths = []
        for name, data in (("current", current), ("base", base), ("other", other)):
            path = Path(tmp) / name
            path.write_bytes(data)
            paths.append(str(path))
        try:
            return run_git(["merge-file", "-p", *paths])
        except HistoryError:
            return None  # a positive exit is the number of conflicts
