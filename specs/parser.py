"""Markdown → spec model: the one-pass parser of the spec format (DESIGN §4).

The parser never raises on bad input. It builds the best model it can and reports what it could
not place as Findings located at file:line:column (1-based, in the text given). Structure the
model cannot hold (text before the title, `####` headings, a provenance line with no requirement,
unclosed code fences, an example's fence that is never closed...) is reported here; problems
with what the model does hold (IDs, keywords, provenance content, references, example bodies)
are the validator's job (`specs.validate`), so both checks also
apply to models built in code.

Non-canonical but valid input (CRLF, trailing whitespace, extra blank lines, `*`/`+` bullets,
unindented continuation lines, a flush-left provenance line) parses to the same model as its
canonical form; `specs.render` writes that canonical form.

This module walks the file and reads headings and requirements; the line grammar and parse state
are in `specs.parse_lines`, and prose, provenance lines and examples are read by
`specs.parse_prose`, `specs.parse_provenance` and `specs.parse_examples`.
"""

from __future__ import annotations

import re

from charter.specs.model import (
    Finding,
    Prose,
    Provenance,
    Requirement,
    Section,
    Severity,
    SpecFile,
)
from charter.specs.parse_examples import read_examples
from charter.specs.parse_lines import (
    ATX_RE,
    FENCE_RE,
    ID_LIKE_RE,
    LIST_RE,
    LOCKED_RE,
    NESTED_REQ_RE,
    PROV_INDENTED_RE,
    PROV_LIKE_RE,
    REQ_RE,
    ParseState,
)
from charter.specs.parse_prose import read_prose
from charter.specs.parse_provenance import parse_provenance

MAX_FILE_BYTES = 1024 * 1024


def parse_file(text: str, path: str) -> tuple[SpecFile, list[Finding]]:
    """Parse one spec file's text into a SpecFile plus the findings about its structure."""
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.split("\n")
    for idx, line in enumerate(lines):
        if line.endswith("\r"):
            lines[idx] = line[:-1]
    st = ParseState(path=path, lines=lines)
    if not text.strip():
        st.report(
            Severity.ERROR, "empty-file", "the file is empty; a spec file needs a # title", 1, 1
        )
    i = 0
    n = len(lines)
    while i < n:
        s = lines[i].rstrip()
        if not s:
            i += 1
            continue
        before_title = st.title is None and not st.sections and not st.reported_pre_title
        if before_title and not (s.startswith("#") and ATX_RE.match(s)):
            st.reported_pre_title = True
            st.report(
                Severity.ERROR,
                "text-before-title",
                "cannot place text before the `# Title` line; the title must come first",
                i + 1,
                1,
            )
        if s.startswith("#") and ATX_RE.match(s):
            i = _heading(st, i, s)
            continue
        m = REQ_RE.match(s)
        if m and ID_LIKE_RE.match(m.group(1)):
            i = _requirement(st, i, m)
            continue
        if PROV_LIKE_RE.match(s):
            st.report(
                Severity.ERROR,
                "orphan-provenance",
                "cannot place a provenance line that does not directly follow a requirement",
                i + 1,
                s.index(">") + 1,
            )
            st.add_block(Prose(text=s, line=i + 1))
            i += 1
            continue
        i = read_prose(st, i)
    spec_file = SpecFile(
        path=path,
        title=st.title or "",
        intro=st.intro,
        sections=st.sections,
        line=st.title_line,
    )
    return spec_file, st.findings


def _heading_level(s: str) -> int:
    """Number of leading `#` of an ATX heading line."""
    return len(s) - len(s.lstrip("#"))


def _heading(st: ParseState, i: int, s: str) -> int:
    """Handle an ATX heading at line i; return the next line index."""
    level = _heading_level(s)
    m = ATX_RE.match(s)
    content = ((m.group(1) if m else None) or "").strip()
    if level == 1:
        if st.title is None and not st.sections:
            st.title = content
            st.title_line = i + 1
            return i + 1
        code, why = (
            ("duplicate-title", "a file has one `# Title`; use `##` for sections")
            if st.title is not None
            else ("misplaced-title", "the `# Title` must be the first line")
        )
        st.report(Severity.ERROR, code, f"cannot place this `#` heading: {why}", i + 1, 1)
        st.add_block(Prose(text=s, line=i + 1))
        return i + 1
    if level in (2, 3):
        st.sections.append(Section(title=content, level=level, line=i + 1))
        return i + 1
    st.report(
        Severity.ERROR,
        "heading-too-deep",
        f"cannot place a level-{level} heading: sections are `##` and `###` only",
        i + 1,
        1,
    )
    st.add_block(Prose(text=s, line=i + 1))
    return i + 1


def _ends_item(s: str) -> bool:
    """Whether a flush-left line starts a new block and so ends a list item's paragraph."""
    if s[0] == "#" and ATX_RE.match(s):
        return True
    if s[0] == ">":
        return True
    return bool(LIST_RE.match(s) or FENCE_RE.match(s))


def _requirement(st: ParseState, i: int, m: re.Match[str]) -> int:
    """Parse the requirement starting at line i (its text, continuation and provenance)."""
    lines = st.lines
    n = len(lines)
    req_id = m.group(1)
    rest = m.group(2)
    if rest and rest[0] not in " \t":
        st.report(
            Severity.ERROR,
            "malformed-requirement",
            f"expected a space after the bold ID **{req_id}**",
            i + 1,
            m.start(2) + 1,
        )
    rest = rest.strip()
    locked = False
    if LOCKED_RE.match(rest):
        locked = True
        rest = rest[6:].lstrip()
    text_lines = [rest]
    provenance: Provenance | None = None
    has_provenance = False
    j = i + 1
    while j < n:
        s = lines[j].rstrip()
        if not s:
            break
        pm = PROV_INDENTED_RE.match(s) or PROV_LIKE_RE.match(s)
        if pm:
            if has_provenance:
                break
            has_provenance = True
            provenance = parse_provenance(st, j, s, pm)
            j += 1
            continue
        if has_provenance:
            break
        if s[0] in " \t":
            if NESTED_REQ_RE.match(s):
                st.report(
                    Severity.ERROR,
                    "nested-requirement",
                    "cannot place a requirement nested in another; requirements are top-level "
                    "list items (this line is kept as text of the item above)",
                    j + 1,
                    len(s) - len(s.lstrip()) + 1,
                )
            text_lines.append(_dedent(s))
            j += 1
            continue
        if _ends_item(s):
            break
        text_lines.append(s)  # a lazy continuation line (Markdown keeps it in the item)
        j += 1
    req = Requirement(
        id=req_id, text="\n".join(text_lines), locked=locked, provenance=provenance, line=i + 1
    )
    trailing: list[str] = []
    k = j
    reported = False
    if has_provenance:
        k, reported = read_examples(st, req, k)
        while k < n:
            s = lines[k].rstrip()
            dup = bool(PROV_INDENTED_RE.match(s) or PROV_LIKE_RE.match(s)) if s else False
            if not s or (not dup and s[0] not in " \t" and _ends_item(s)):
                break
            if not trailing and not reported:
                st.report(
                    Severity.ERROR,
                    "duplicate-provenance" if dup else "text-after-provenance",
                    f"cannot place this line after the provenance of {req_id}: "
                    + (
                        "a requirement has one provenance line"
                        if dup
                        else "separate prose from requirements with a blank line"
                    ),
                    k + 1,
                    1,
                )
            trailing.append(s)
            k += 1
    if not st.sections:
        st.report(
            Severity.ERROR,
            "requirement-outside-section",
            f"cannot place requirement {req_id} before the first `##` section; it is kept as prose",
            i + 1,
            1,
        )
        st.add_block(Prose(text="\n".join(x.rstrip() for x in lines[i:j]), line=i + 1))
    else:
        st.add_block(req)
    if trailing:
        st.add_block(Prose(text="\n".join(trailing), line=j + 1))
    return k


def _dedent(s: str) -> str:
    """Remove the continuation indent (two spaces, or one tab) from a requirement text line."""
    if s.startswith("\t"):
        return s[1:]
    if s.startswith("  "):
        return s[2:]
    return s[1:]


def _decode_position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and character column of a byte offset in (partly undecodable) UTF-8 data."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    line = data.count(b"\n", 0, offset) + 1
    column = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    return line, column


def parse_bytes(data: bytes, path: str) -> tuple[SpecFile | None, list[Finding]]:
    """Parse a file's raw bytes: reject oversized, empty or non-UTF-8 data with a located ERROR."""

    def fail(code: str, message: str, line: int = 1, column: int = 1) -> list[Finding]:
        """One located ERROR for the whole file."""
        return [
            Finding(
                severity=Severity.ERROR,
                code=code,
                message=message,
                file=path,
                line=line,
                column=column,
            )
        ]

    if len(data) > MAX_FILE_BYTES:
        return None, fail(
            "file-too-large",
            f"the file is {len(data):,} bytes; spec files are limited to {MAX_FILE_BYTES:,} bytes "
            "(split it into several files)",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _decode_position(data, exc.start)
        return None, fail(
            "invalid-utf8",
            f"invalid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save the file as UTF-8",
            line,
            column,
        )
    if not text.strip("\ufeff \t\r\n"):
        return None, fail("empty-file", "the file is empty; a spec file needs a # title")
    return parse_file(text, path)
