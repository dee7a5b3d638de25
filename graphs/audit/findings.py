"""Audit findings: the record every check produces, its stable ID, its order and its rendering.

A finding's ID is a hash of its kind, the requirement IDs it names and its message, so the same
problem keeps the same ID across runs (cached model answers make the message stable too) and a user
can name it on the command line (`charter audit fix A-3f2c1a`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Iterable
from enum import StrEnum

from pydantic import BaseModel, Field

from charter.specs import REQ_ID_PATTERN, Severity

_ID_IN_TEXT = re.compile(rf"(?<![A-Za-z0-9-])({REQ_ID_PATTERN})(?![0-9])")
"""A requirement ID written anywhere in a finding's text (`ING-1`, `[ING-1]`, `ING-1's`)."""

SEVERITY_ORDER: dict[Severity, int] = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


class FindingKind(StrEnum):
    """What sort of problem a finding reports; the first six come from the auditor model."""

    CONTRADICTION = "contradiction"
    AMBIGUITY = "ambiguity"
    GAP = "gap"
    INFEASIBILITY = "infeasibility"
    COMPLEMENT = "complement"
    EXAMPLE_CONTRADICTION = "example-contradiction"
    NO_EXAMPLE = "no-example"
    UNCONFIRMED = "unconfirmed"
    DRIFT = "drift"
    LOCKED_CHANGED = "locked-changed"


MODEL_KINDS: tuple[FindingKind, ...] = (
    FindingKind.CONTRADICTION,
    FindingKind.AMBIGUITY,
    FindingKind.GAP,
    FindingKind.INFEASIBILITY,
    FindingKind.COMPLEMENT,
    FindingKind.EXAMPLE_CONTRADICTION,
)


class Evidence(BaseModel):
    """A ledger message a finding quotes, verbatim, with where it sits in the intent trail."""

    message: str = Field(description="ledger record ID, e.g. m-0007")
    session: str | None = None
    role: str = "user"
    text: str = Field(description="the record's text, byte for byte as the ledger keeps it")
    note: str = Field(default="", description="why it is quoted, e.g. 'cited by ING-1'")


class AuditFinding(BaseModel):
    """One audit finding, located at file:line (file relative to the spec dir)."""

    id: str = Field(description="stable ID, e.g. A-3f2c1a")
    kind: FindingKind
    severity: Severity
    requirements: list[str] = Field(default_factory=list)
    file: str = ""
    line: int = 0
    message: str
    fix: str = ""
    source: str = Field(default="model", description="'model', 'code' or 'model+code'")
    evidence: list[Evidence] = Field(default_factory=list)
    commit: str | None = Field(default=None, description="the commit a history finding is about")

    def location(self, prefix: str = "") -> str:
        """`file:line`, with the file optionally prefixed by the spec dir (`specs/x.md:12`)."""
        path = f"{prefix.rstrip('/')}/{self.file}" if prefix and self.file else self.file
        return f"{path}:{self.line}"

    def render(self, prefix: str = "") -> str:
        """One line as `charter audit` prints it: location, severity, ID, kind, reqs, text, fix."""
        reqs = f" ({', '.join(self.requirements)})" if self.requirements else ""
        fix = f" — fix: {self.fix}" if self.fix else ""
        head = f"{self.location(prefix)}: {self.severity.value} [{self.id}] {self.kind.value}"
        return f"{head}{reqs}: {self.message}{fix}"


def unknown_requirements(
    listed: Iterable[str], text: str, known: Collection[str]
) -> tuple[list[str], list[str]]:
    """Requirement IDs a finding names that the revision (`known`) lacks: among its `listed`
    IDs, and written in its `text`.

    In the text only words with one of the spec's own ID prefixes count (`ING-9` when there is
    an `ING-1`), so that `UTF-8` or `SHA-256` are never taken for requirement IDs.
    """
    prefixes = {r.rsplit("-", 1)[0] for r in known}
    missing = [r for r in dict.fromkeys(listed) if r not in known]
    in_text = [
        r
        for r in dict.fromkeys(_ID_IN_TEXT.findall(text))
        if r not in known and r.rsplit("-", 1)[0] in prefixes
    ]
    return missing, in_text


def finding_id(kind: FindingKind | str, requirements: list[str], message: str) -> str:
    """The stable ID: `A-` and six hex digits of a hash of kind, sorted req IDs and message."""
    material = "\x1f".join([str(kind), ",".join(sorted(requirements)), " ".join(message.split())])
    return "A-" + hashlib.sha256(material.encode("utf-8")).hexdigest()[:6]


def make_finding(
    kind: FindingKind,
    severity: Severity,
    requirements: list[str],
    message: str,
    *,
    fix: str = "",
    file: str = "",
    line: int = 0,
    source: str = "model",
    evidence: list[Evidence] | None = None,
    commit: str | None = None,
) -> AuditFinding:
    """Build a finding with its stable ID computed from kind, requirements and message."""
    return AuditFinding(
        id=finding_id(kind, requirements, message),
        kind=kind,
        severity=severity,
        requirements=list(requirements),
        file=file,
        line=line,
        message=message,
        fix=fix,
        source=source,
        evidence=evidence or [],
        commit=commit,
    )


def sort_findings(findings: list[AuditFinding]) -> list[AuditFinding]:
    """Deduplicate by ID and order by file, line, severity, then ID (stable for `--json`)."""
    unique: dict[str, AuditFinding] = {}
    for f in findings:
        unique.setdefault(f.id, f)
    return sorted(unique.values(), key=lambda f: (f.file, f.line, SEVERITY_ORDER[f.severity], f.id))
