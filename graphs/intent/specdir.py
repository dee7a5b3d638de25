"""The spec dir as the intent check reads it: its files, parsed with a cache, and their hashes.

A long-lived session re-reads the same files every turn, so parsing is cached by content; the
hashes (`fingerprint`) let an accept notice that the files changed since the proposal was checked.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from charter.specs import SPEC_SUFFIX, Finding, Severity, Spec, SpecFile, parse_bytes
from charter.specs import read_spec_dir as specs_read_spec_dir


def read_spec_dir(spec_dir: Path) -> dict[str, bytes]:
    """Every spec file and the register, by spec-dir relative path (read by `specs.loader`)."""
    return specs_read_spec_dir(spec_dir, register=True)


@lru_cache(maxsize=256)
def _parse(path: str, data: bytes) -> tuple[SpecFile | None, tuple[Finding, ...]]:
    """Parse one spec file; cached by content, since a long-lived session re-reads the same
    files every turn. Callers never mutate the result (the checker copies files it changes)."""
    parsed, findings = parse_bytes(data, path)
    return parsed, tuple(findings)


def parse_spec_text(path: str, text: str) -> tuple[SpecFile | None, list[Finding]]:
    """Parse one file's text (cached), as `specs.parse_bytes` would."""
    parsed, findings = _parse(path, text.encode("utf-8"))
    return parsed, list(findings)


def load_spec(files: Mapping[str, bytes]) -> Spec:
    """The spec of `read_spec_dir`'s files (Markdown only, sorted by path), parsed with a cache."""
    parsed = [_parse(p, files[p])[0] for p in sorted(files) if p.endswith(SPEC_SUFFIX)]
    return Spec(files=[f for f in parsed if f is not None])


def unreadable_files(files: Mapping[str, bytes]) -> dict[str, Finding]:
    """Spec files that could not be parsed at all, each with its located parse ERROR."""
    out: dict[str, Finding] = {}
    for path in sorted(files):
        if path.endswith(SPEC_SUFFIX):
            parsed, found = _parse(path, files[path])
            errors = [f for f in found if f.severity is Severity.ERROR]
            if parsed is None and errors:
                out[path] = errors[0]
    return out


def fingerprint(files: Mapping[str, bytes]) -> dict[str, str]:
    """sha256 per file, to notice any change on disk between proposal and accept."""
    return {path: hashlib.sha256(data).hexdigest() for path, data in sorted(files.items())}


def changed_since(spec_dir: Path, base: Mapping[str, str]) -> list[str]:
    """The spec-dir relative paths that differ from `base` (added, removed or edited)."""
    now = fingerprint(read_spec_dir(spec_dir))
    return sorted(p for p in set(now) | set(base) if now.get(p) != base.get(p))
