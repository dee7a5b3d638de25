"""The spec format's line grammar, shared by the parser's readers (DESIGN §4).

It owns the patterns that say what a line is (a heading, a requirement, a list item, a code fence,
a provenance line), where a fence closes, and the per-file parse state the readers report into.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from charter.specs.model import Finding, Prose, Requirement, Section, Severity

# An ATX heading `# x` … `###### x` (CommonMark needs a space, or nothing, after the hashes).
ATX_RE = re.compile(r"#{1,6}(?:[ \t]+(.*))?$")
# A list item whose content starts with a bold token: a requirement if the token looks like an ID.
REQ_RE = re.compile(r"[-*+][ \t]+\*\*([^*\s]+)\*\*(.*)$")
# What a writer meant as an ID, valid or not (`ING-1`, `ing-1`, `ING-01`); `**Note**` is prose.
ID_LIKE_RE = re.compile(r"[A-Za-z0-9_]+-[0-9]+$")
NESTED_REQ_RE = re.compile(r"[ \t]+[-*+][ \t]+\*\*[A-Za-z0-9_]+-[0-9]+\*\*")
LIST_RE = re.compile(r"(?:[-*+]|[0-9]{1,9}[.)])(?:[ \t]+|$)")
FENCE_RE = re.compile(r" {0,3}(`{3,}|~{3,})(.*)$")
LOCKED_RE = re.compile(r"LOCKED(?=[ \t]|$)")
# A line that is meant as provenance: indented `>` (canonical), or a flush-left `> explicit …`.
PROV_INDENTED_RE = re.compile(r"[ \t]+>[ \t]?(.*)$")
PROV_LIKE_RE = re.compile(r"[ \t]*>[ \t]?((?:explicit|inferred|confirmed)\b.*)$", re.IGNORECASE)


@dataclass
class ParseState:
    """Mutable parse state for one file."""

    path: str
    lines: list[str]
    findings: list[Finding] = field(default_factory=list)
    title: str | None = None
    title_line: int = 0
    intro: list[Prose] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    reported_pre_title: bool = False

    def report(self, severity: Severity, code: str, message: str, line: int, column: int) -> None:
        """Record one finding at a 1-based location."""
        self.findings.append(
            Finding(
                severity=severity,
                code=code,
                message=message,
                file=self.path,
                line=line,
                column=column,
            )
        )

    def add_block(self, block: Prose | Requirement) -> None:
        """Append a block to the current section, or to the intro before the first section."""
        if self.sections:
            self.sections[-1].blocks.append(block)
        elif isinstance(block, Prose):
            self.intro.append(block)


def fence_end(lines: list[str], start: int, opener: str, indented: bool = False) -> int | None:
    """Index of the line closing the fence opened at `start`, or None when it is never closed."""
    char = opener[0]
    lead = " *" if indented else " {0,3}"
    closer = re.compile(rf"{lead}{re.escape(char)}{{{len(opener)},}}[ \t]*$")
    for k in range(start + 1, len(lines)):
        if closer.match(lines[k]):
            return k
    return None


def starts_block(s: str) -> bool:
    """Whether a line ends the current prose block: a heading, requirement or provenance line."""
    if s[0] == "#" and ATX_RE.match(s):
        return True
    m = REQ_RE.match(s)
    if m and ID_LIKE_RE.match(m.group(1)):
        return True
    return bool(PROV_LIKE_RE.match(s))
