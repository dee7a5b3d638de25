"""Loading a whole spec: every `*.md` file of the spec dir (on disk or as in-memory bytes).

Paths in the model and in findings are relative to the spec dir, with POSIX separators, and the
files are sorted by that path, so a spec read from the working tree and the same spec read from a
git tree give equal models. Anything that is not Markdown (such as the ID register `.ids.toml`)
is ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from charter.specs.model import Finding, Severity, Spec, SpecFile
from charter.specs.parser import parse_bytes

SPEC_SUFFIX = ".md"


def load_spec_files(files: Mapping[str, bytes]) -> tuple[Spec, list[Finding]]:
    """Parse in-memory spec files (path relative to the spec dir → bytes); touches no disk."""
    parsed: list[SpecFile] = []
    findings: list[Finding] = []
    markdown = {_posix(p): data for p, data in files.items() if p.endswith(SPEC_SUFFIX)}
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
    for file_path in spec_dir.rglob(f"*{SPEC_SUFFIX}"):
        if not file_path.is_file():
            continue
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
