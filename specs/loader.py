"""The one reader of a spec dir: which files are the spec, read from the work tree or a commit.

A spec is every `*.md` file under the spec dir, recursively; the ID register `.ids.toml` sits
beside them. Paths are relative to the spec dir, with POSIX separators, and sorted, so a spec read
from the working tree and the same spec read from a git tree give equal mappings and models.
Parsing (`load_spec_files`, `load_spec_dir`) ignores anything that is not Markdown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from charter.specs.ids import REGISTER_NAME
from charter.specs.model import Finding, Severity, Spec, SpecFile
from charter.specs.parser import parse_bytes

SPEC_SUFFIX = ".md"
"""Every file with this suffix under the spec dir is part of the spec."""
__all__ = [
    "REGISTER_NAME",
    "SPEC_SUFFIX",
    "SpecCommit",
    "is_spec_file",
    "load_spec_dir",
    "load_spec_files",
    "read_spec_commit",
    "read_spec_dir",
    "spec_paths",
]


def is_spec_file(path: str) -> bool:
    """Whether a spec-dir relative path names a spec (Markdown) file."""
    return path.endswith(SPEC_SUFFIX)


def spec_paths(spec_dir: Path, *, register: bool = False) -> list[Path]:
    """The spec files under `spec_dir` (and the ID register with `register`), sorted by path."""
    if not spec_dir.is_dir():
        return []
    return sorted(
        path
        for path in spec_dir.rglob("*")
        if (is_spec_file(path.name) or (register and path.name == REGISTER_NAME)) and path.is_file()
    )


def read_spec_dir(spec_dir: Path, *, register: bool = False) -> dict[str, bytes]:
    """The working tree's spec: each file's bytes by spec-dir relative path (empty if no dir).

    With `register`, the ID register is included too. For a commit, see `read_spec_commit`.
    """
    return {
        p.relative_to(spec_dir).as_posix(): p.read_bytes()
        for p in spec_paths(spec_dir, register=register)
    }


@dataclass(frozen=True)
class SpecCommit:
    """The spec as committed in one commit: its Markdown files, and symlinks it skipped."""

    commit: str
    path: str
    """The spec dir relative to the repository's top level."""
    found: bool
    """Whether the commit has the spec dir at all."""
    files: dict[str, bytes]
    skipped: tuple[str, ...] = ()


def read_spec_commit(repo_root: Path, rev: str, spec_dir: Path | str) -> SpecCommit:
    """The spec files in the tree of `rev`'s commit (never the disk); a symlink is not a spec file.

    Raises `HistoryError` for an unknown revision or a spec dir outside the repository.
    """
    from charter.specs.git import spec_tree_at  # git only when a commit is read, not the disk

    tree = spec_tree_at(repo_root, rev, spec_dir)
    files = {p: data for p, data in tree.files.items() if is_spec_file(p)}
    skipped = tuple(p for p in tree.links if is_spec_file(p))
    return SpecCommit(tree.commit, tree.path, tree.found, dict(sorted(files.items())), skipped)


def load_spec_files(files: Mapping[str, bytes]) -> tuple[Spec, list[Finding]]:
    """Parse in-memory spec files (path relative to the spec dir → bytes); touches no disk."""
    parsed: list[SpecFile] = []
    findings: list[Finding] = []
    markdown = {_posix(p): data for p, data in files.items() if is_spec_file(p)}
    for path in sorted(markdown):
        spec_file, found = parse_bytes(markdown[path], path)
        findings.extend(found)
        if spec_file is not None:
            parsed.append(spec_file)
    return Spec(files=parsed), findings


def load_spec_dir(spec_dir: Path) -> tuple[Spec, list[Finding]]:
    """Parse every `*.md` file under `spec_dir`, recursively, in path order."""
    if not spec_dir.is_dir():
        return Spec(), [
            Finding(
                severity=Severity.ERROR,
                code="missing-spec-dir",
                message=f"the spec directory {spec_dir} does not exist",
                file=".",
            )
        ]
    data: dict[str, bytes] = {}
    findings: list[Finding] = []
    for file_path in spec_paths(spec_dir):
        rel = file_path.relative_to(spec_dir).as_posix()
        try:
            data[rel] = file_path.read_bytes()
        except OSError as exc:
            findings.append(
                Finding(
                    severity=Severity.ERROR,
                    code="unreadable-file",
                    message=f"cannot read the file: {exc.strerror or exc}",
                    file=rel,
                    line=1,
                    column=1,
                )
            )
    spec, parse_findings = load_spec_files(data)
    return spec, [*findings, *parse_findings]


def _posix(path: str) -> str:
    """A relative path with POSIX separators and no `./` prefix."""
    return PurePosixPath(path.replace("\\", "/")).as_posix()
