"""The spec validator: findings on a spec model, located at file:line:column (DESIGN §4).

`validate` checks what a model holds, whether it was parsed or built in code: requirement IDs
(malformed, duplicated across files), exactly one RFC 2119 keyword, a well-formed provenance
(explicit cites messages and quotes them, inferred gives a reason), quotes found verbatim in the
cited user messages (when a `message_text` lookup is given; these two in
`specs.validate_provenance`), cross-references `[ID]` to known requirements, and each example's
session body and provenance (`specs.example_check`). What the parser could not place is reported
by the parser; `validate_dir` runs both. Locations of text inside a requirement assume the
canonical layout (`specs.render`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from charter.specs.example_check import check_example
from charter.specs.loader import load_spec_dir
from charter.specs.model import (
    KEYWORD_RE,
    REQ_ID_RE,
    XREF_RE,
    Finding,
    Prose,
    Provenance,
    Requirement,
    Severity,
    Spec,
    SpecFile,
)
from charter.specs.parse_prose import prose_break
from charter.specs.render import requirement_head
from charter.specs.validate_provenance import MessageText, check_provenance, check_quote

_LOCKED_WORD_RE = re.compile(r"\bLOCKED\b")
_FENCE_RE = re.compile(r" {0,3}(`{3,}|~{3,})(.*)$")
_CODE_SPAN_RE = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)")
_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
# Findings of a requirement's own fields (`_Validator.check_local`), memoised by those fields:
# a large spec is validated again on every turn and almost all of it is unchanged. An entry is
# (severity, code, message, line, column, requirement ID) per finding.
_LOCAL_CACHE: dict[tuple[object, ...], tuple[tuple[Any, ...], ...]] = {}
_LOCAL_CACHE_MAX = 1 << 15


def _local_key(r: Requirement) -> tuple[object, ...]:
    """Everything `check_local` reads from a requirement (and so what its findings depend on)."""
    p = r.provenance
    examples = tuple(
        (e.body, e.info, e.line, e.column, _prov_key(e.provenance)) for e in r.examples
    )
    return (r.id, r.text, r.locked, r.line, r.column, _prov_key(p), examples)


def _prov_key(p: Provenance | None) -> tuple[object, ...] | None:
    """A provenance's fields as a hashable key."""
    return None if p is None else (p.kind, tuple(p.messages), p.quote, p.reason, p.line)


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Order findings by file, line, column, then severity and code (a stable report order)."""
    return sorted(
        findings,
        key=lambda f: (f.file, f.line, f.column, _SEVERITY_ORDER[f.severity], f.code),
    )


def merge_findings(parse: list[Finding], model: list[Finding]) -> list[Finding]:
    """Combine parser and validator findings; a line with a parse ERROR keeps only that cause."""
    broken = {(f.file, f.line) for f in parse if f.severity is Severity.ERROR}
    return sort_findings([*parse, *(f for f in model if (f.file, f.line) not in broken)])


def blocking_errors(findings: Iterable[Finding]) -> list[Finding]:
    """The one rule for what stops work on a spec: every ERROR among its parse and validation
    findings (quotes checked against the ledger when the caller can read it).

    `charter validate` exits 1 on them, `charter build` refuses them without `--force`, and the
    audit (CLI and TUI) refuses to run on them.
    """
    return [f for f in findings if f.severity is Severity.ERROR]


def validate_dir(spec_dir: Path, *, message_text: MessageText | None = None) -> list[Finding]:
    """Load every spec file under `spec_dir` and validate the whole spec; all findings, sorted."""
    spec, parse_findings = load_spec_dir(spec_dir)
    return merge_findings(parse_findings, validate(spec, message_text=message_text))


def validate(spec: Spec, *, message_text: MessageText | None = None) -> list[Finding]:
    """Check a spec model; `message_text(id)` returns a user message's text, None if unknown."""
    return _Validator(spec, message_text).run()


class _Validator:
    """One validation pass over a spec; collects findings."""

    def __init__(self, spec: Spec, message_text: MessageText | None) -> None:
        """Prepare the lookups shared by every check."""
        self.spec = spec
        self.message_text = message_text
        self.messages: dict[str, str | None] = {}
        self.findings: list[Finding] = []
        self.known_ids = {r.id for r in spec.requirements()}
        self.first_seen: dict[str, tuple[str, int]] = {}
        self.file = ""

    def report(
        self,
        severity: Severity,
        code: str,
        message: str,
        line: int,
        column: int,
        req_id: str | None = None,
    ) -> None:
        """Record one finding in the current file."""
        self.findings.append(
            Finding(
                severity=severity,
                code=code,
                message=message,
                file=self.file,
                line=line,
                column=column,
                req_id=req_id,
            )
        )

    def run(self) -> list[Finding]:
        """Validate every file, then return the findings sorted by location."""
        for f in self.spec.files:
            self.file = f.path
            self.check_file(f)
        return sort_findings(self.findings)

    def check_file(self, f: SpecFile) -> None:
        """Check the title, the headings and every block of one file."""
        if not f.title.strip():
            self.report(
                Severity.ERROR,
                "missing-title",
                "the file has no title; its first line must be `# Title`",
                max(f.line, 1),
                1,
            )
        elif f.title != f.title.strip() or "\n" in f.title:
            self.report(
                Severity.ERROR,
                "malformed-heading",
                "a title is one line without surrounding spaces",
                f.line,
                1,
            )
        for p in f.intro:
            self.check_prose(p)
        titles: dict[str, int] = {}
        for s in f.sections:
            if not s.title.strip():
                self.report(
                    Severity.ERROR, "empty-heading", "a section heading needs a title", s.line, 1
                )
            elif s.title != s.title.strip() or "\n" in s.title:
                self.report(
                    Severity.ERROR,
                    "malformed-heading",
                    "a section title is one line without surrounding spaces",
                    s.line,
                    1,
                )
            elif s.title in titles:
                self.report(
                    Severity.WARNING,
                    "duplicate-section",
                    f"section {s.title!r} already appears at line {titles[s.title]}; "
                    "give sections distinct titles",
                    s.line,
                    s.level + 2,
                )
            else:
                titles[s.title] = s.line
            for block in s.blocks:
                if isinstance(block, Prose):
                    self.check_prose(block)
                else:
                    self.check_requirement(block)

    def text_position(self, r: Requirement, offset: int) -> tuple[int, int]:
        """File line and column of a character of a requirement's text (canonical layout)."""
        line_index = r.text.count("\n", 0, offset)
        col = offset - (r.text.rfind("\n", 0, offset) + 1)
        if line_index == 0:
            return r.line, r.column + len(requirement_head(r)) + col
        return r.line + line_index if r.line else 0, r.column + 2 + col

    def check_requirement(self, r: Requirement) -> None:
        """Check one requirement: its own fields (memoised), then against the rest of the spec."""
        key = _local_key(r)
        cached = _LOCAL_CACHE.get(key)
        if cached is None:
            start = len(self.findings)
            self.check_local(r)
            cached = tuple(
                (f.severity, f.code, f.message, f.line, f.column, f.req_id)
                for f in self.findings[start:]
            )
            if len(_LOCAL_CACHE) >= _LOCAL_CACHE_MAX:
                _LOCAL_CACHE.clear()
            _LOCAL_CACHE[key] = cached
        else:
            for severity, code, message, line, column, req_id in cached:
                self.report(severity, code, message, line, column, req_id)
        if r.id in self.first_seen:
            where, line = self.first_seen[r.id]
            self.report(
                Severity.ERROR,
                "duplicate-id",
                f"duplicate requirement ID {r.id} (first defined at {where}:{line})",
                r.line,
                r.column + 4,
                r.id,
            )
        else:
            self.first_seen[r.id] = (self.file, r.line)
        self.check_references(r)
        p = r.provenance
        if p is not None and p.messages and self.message_text is not None:
            check_quote(r, p, self.lookup, self.report)
        for e in r.examples:
            if e.provenance is not None and e.provenance.messages and self.message_text:
                check_quote(r, e.provenance, self.lookup, self.report)

    def check_local(self, r: Requirement) -> None:
        """The checks that depend on nothing but the requirement: ID, text and provenance."""
        if not REQ_ID_RE.match(r.id):
            self.report(
                Severity.ERROR,
                "malformed-id",
                f"malformed requirement ID {r.id!r}: expected an uppercase prefix, a dash and a "
                "number without leading zeros, like ING-1",
                r.line,
                r.column + 4,
                r.id,
            )
        self.check_text(r)
        if r.provenance is None:
            self.report(
                Severity.ERROR,
                "missing-provenance",
                f"requirement {r.id} has no provenance line under it "
                '(`  > explicit (m-0001): "…"` or `  > inferred: reason`)',
                r.line,
                r.column,
                r.id,
            )
        else:
            check_provenance(r, r.provenance, self.report)
        for e in r.examples:
            for f in check_example(r, e):
                self.report(f.severity, f.code, f.message, f.line, f.column, r.id)
            if e.provenance is not None:
                check_provenance(r, e.provenance, self.report)

    def check_text(self, r: Requirement) -> None:
        """Check a requirement's text: renderable, one keyword, LOCKED placement."""
        tail = r.text.split("\n")[1:] if "\n" in r.text else []
        if any(not x.strip() or x.lstrip().startswith(">") for x in tail) or (r.text[:1].isspace()):
            self.report(
                Severity.ERROR,
                "unrenderable-text",
                f"the text of {r.id} has a blank line, leading space or a line starting with `>`, "
                "which Markdown would not keep in the item",
                r.line,
                r.column + len(requirement_head(r)),
                r.id,
            )
        found = list(KEYWORD_RE.finditer(r.text))
        if not found:
            hint = ""
            lower = KEYWORD_RE.search(r.text.upper())
            if lower:
                hint = f" (keywords are uppercase: write {lower.group(1)})"
            line, col = self.text_position(r, 0)
            self.report(
                Severity.ERROR,
                "missing-keyword",
                f"requirement {r.id} has no RFC 2119 keyword (MUST, MUST NOT, SHOULD, SHOULD NOT, "
                f"MAY){hint}",
                line,
                col,
                r.id,
            )
        elif len(found) > 1:
            line, col = self.text_position(r, found[1].start())
            words = ", ".join(m.group(1) for m in found)
            self.report(
                Severity.ERROR,
                "multiple-keywords",
                f"requirement {r.id} has {len(found)} RFC 2119 keywords ({words}); "
                "a requirement states exactly one, split it",
                line,
                col,
                r.id,
            )
        # The substring tests skip the regex scans (most of a large spec's validation time) for
        # the usual text that cannot match them.
        for m in _LOCKED_WORD_RE.finditer(r.text) if "LOCKED" in r.text else ():
            line, col = self.text_position(r, m.start())
            self.report(
                Severity.WARNING,
                "misplaced-locked",
                f"LOCKED inside the text of {r.id} has no effect; the flag goes right after the "
                f"ID (`- **{r.id}** LOCKED …`)",
                line,
                col,
                r.id,
            )

    def check_references(self, r: Requirement) -> None:
        """Every `[ID]` in a requirement's text must name a requirement of the spec."""
        for m in XREF_RE.finditer(r.text) if "[" in r.text else ():
            if m.group(1) not in self.known_ids:
                line, col = self.text_position(r, m.start())
                self.report(
                    Severity.ERROR,
                    "unknown-reference",
                    f"{r.id} references [{m.group(1)}], which is not a requirement of the spec",
                    line,
                    col,
                    r.id,
                )

    def lookup(self, msg_id: str) -> str | None:
        """A user message's text through the caller's lookup, cached for this pass."""
        if msg_id not in self.messages:
            assert self.message_text is not None
            self.messages[msg_id] = self.message_text(msg_id)
        return self.messages[msg_id]

    def check_prose(self, p: Prose) -> None:
        """Report cross-references in prose to unknown IDs (code spans and fences excepted)."""
        if not p.line:  # built in code: make sure it renders as the one block it claims to be
            bad_line = prose_break(p.text)
            if bad_line is not None:
                self.report(
                    Severity.ERROR,
                    "unrenderable-prose",
                    f"line {bad_line + 1} of a prose block is blank or reads as a heading, "
                    "requirement or provenance line, so it would not stay prose",
                    0,
                    1,
                )
        if "[" not in p.text:
            return
        fence: str | None = None
        for index, text_line in enumerate(p.text.split("\n")):
            fm = _FENCE_RE.match(text_line)
            if fence is not None:
                closes = fm and fm.group(1)[0] == fence[0] and not fm.group(2).strip()
                if closes and len(fm.group(1)) >= len(fence):
                    fence = None
                continue
            if fm:
                fence = fm.group(1)
                continue
            if "[" not in text_line:
                continue
            if "`" in text_line:
                text_line = _CODE_SPAN_RE.sub(lambda m: " " * len(m.group(0)), text_line)
            for m in XREF_RE.finditer(text_line):
                if m.group(1) not in self.known_ids:
                    self.report(
                        Severity.ERROR,
                        "unknown-reference",
                        f"[{m.group(1)}] is not a requirement of the spec",
                        p.line + index if p.line else 0,
                        m.start() + 1,
                    )
