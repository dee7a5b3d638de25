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
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from charter.specs.model import (
    KEYWORD_RE,
    Example,
    Finding,
    Prose,
    Provenance,
    ProvenanceKind,
    Requirement,
    Section,
    Severity,
    SpecFile,
)

MAX_FILE_BYTES = 1024 * 1024

# An ATX heading `# x` … `###### x` (CommonMark needs a space, or nothing, after the hashes).
_ATX_RE = re.compile(r"#{1,6}(?:[ \t]+(.*))?$")
# A list item whose content starts with a bold token: a requirement if the token looks like an ID.
_REQ_RE = re.compile(r"[-*+][ \t]+\*\*([^*\s]+)\*\*(.*)$")
# What a writer meant as an ID, valid or not (`ING-1`, `ing-1`, `ING-01`); `**Note**` is prose.
_ID_LIKE_RE = re.compile(r"[A-Za-z0-9_]+-[0-9]+$")
_NESTED_REQ_RE = re.compile(r"[ \t]+[-*+][ \t]+\*\*[A-Za-z0-9_]+-[0-9]+\*\*")
_LIST_RE = re.compile(r"(?:[-*+]|[0-9]{1,9}[.)])(?:[ \t]+|$)")
_FENCE_RE = re.compile(r" {0,3}(`{3,}|~{3,})(.*)$")
# An example's opening fence: indented under the list item, after the provenance line.
_EXAMPLE_FENCE_RE = re.compile(r"( +)(`{3,}|~{3,})([^`]*)$")
_SETEXT_RE = re.compile(r" {0,3}(?:=+|-+)[ \t]*$")
_LOCKED_RE = re.compile(r"LOCKED(?=[ \t]|$)")
# A line that is meant as provenance: indented `>` (canonical), or a flush-left `> explicit …`.
_PROV_INDENTED_RE = re.compile(r"[ \t]+>[ \t]?(.*)$")
_PROV_LIKE_RE = re.compile(r"[ \t]*>[ \t]?((?:explicit|inferred|confirmed)\b.*)$", re.IGNORECASE)
_PROV_BODY_RE = re.compile(r"([A-Za-z]+)[ \t]*(?:\(([^)]*)\))?[ \t]*(.*)$")

_KINDS = {k.value: k for k in ProvenanceKind}


@dataclass
class _State:
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


def parse_file(text: str, path: str) -> tuple[SpecFile, list[Finding]]:
    """Parse one spec file's text into a SpecFile plus the findings about its structure."""
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.split("\n")
    for idx, line in enumerate(lines):
        if line.endswith("\r"):
            lines[idx] = line[:-1]
    st = _State(path=path, lines=lines)
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
        if before_title and not (s.startswith("#") and _ATX_RE.match(s)):
            st.reported_pre_title = True
            st.report(
                Severity.ERROR,
                "text-before-title",
                "cannot place text before the `# Title` line; the title must come first",
                i + 1,
                1,
            )
        if s.startswith("#") and _ATX_RE.match(s):
            i = _heading(st, i, s)
            continue
        m = _REQ_RE.match(s)
        if m and _ID_LIKE_RE.match(m.group(1)):
            i = _requirement(st, i, m)
            continue
        if _PROV_LIKE_RE.match(s):
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
        i = _prose(st, i)
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


def _heading(st: _State, i: int, s: str) -> int:
    """Handle an ATX heading at line i; return the next line index."""
    level = _heading_level(s)
    m = _ATX_RE.match(s)
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
    if s[0] == "#" and _ATX_RE.match(s):
        return True
    if s[0] == ">":
        return True
    return bool(_LIST_RE.match(s) or _FENCE_RE.match(s))


def _requirement(st: _State, i: int, m: re.Match[str]) -> int:
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
    if _LOCKED_RE.match(rest):
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
        pm = _PROV_INDENTED_RE.match(s) or _PROV_LIKE_RE.match(s)
        if pm:
            if has_provenance:
                break
            has_provenance = True
            provenance = _provenance(st, j, s, pm)
            j += 1
            continue
        if has_provenance:
            break
        if s[0] in " \t":
            if _NESTED_REQ_RE.match(s):
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
        k, reported = _examples(st, req, k)
        while k < n:
            s = lines[k].rstrip()
            dup = bool(_PROV_INDENTED_RE.match(s) or _PROV_LIKE_RE.match(s)) if s else False
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


def _examples(st: _State, req: Requirement, k: int) -> tuple[int, bool]:
    """Read the fenced examples (each with its provenance line) after a requirement's provenance.

    Return the index of the first line after them, and whether an unclosed fence was reported
    (its lines then follow as text).
    """
    lines = st.lines
    while k < len(lines):
        fm = _EXAMPLE_FENCE_RE.match(lines[k])
        if not fm:
            return k, False
        indent, opener, info = fm.group(1), fm.group(2), fm.group(3).strip()
        column = len(indent) + 1
        end = _fence_end(lines, k, opener, indented=True)
        if end is None:
            st.report(
                Severity.ERROR,
                "unclosed-example",
                f"the example's fence {opener} under {req.id} is never closed",
                k + 1,
                column,
            )
            return k, True
        width = len(indent)
        body = "\n".join(_strip_indent(x, width) for x in lines[k + 1 : end])
        example = Example(body=body, info=info, line=k + 1, column=column)
        k = end + 1
        if k < len(lines):
            s = lines[k].rstrip()
            pm = _PROV_INDENTED_RE.match(s) or _PROV_LIKE_RE.match(s)
            if pm:
                example.provenance = _provenance(st, k, s, pm)
                k += 1
        req.examples.append(example)
    return k, False


def _strip_indent(line: str, width: int) -> str:
    """Remove up to `width` leading spaces (the list item's indent) from an example body line."""
    spaces = len(line) - len(line.lstrip(" "))
    return line[min(spaces, width) :]


def _dedent(s: str) -> str:
    """Remove the continuation indent (two spaces, or one tab) from a requirement text line."""
    if s.startswith("\t"):
        return s[1:]
    if s.startswith("  "):
        return s[2:]
    return s[1:]


def _provenance(st: _State, j: int, s: str, pm: re.Match[str]) -> Provenance | None:
    """Parse a provenance line body, reporting what is malformed; keep what can be kept."""
    body = pm.group(1).strip()
    body_col = pm.start(1) + 1
    line = j + 1
    bm = _PROV_BODY_RE.match(body)
    kind = _KINDS.get(bm.group(1).lower()) if bm else None
    if bm is None or kind is None:
        st.report(
            Severity.ERROR,
            "malformed-provenance",
            "provenance must start with explicit, inferred or confirmed",
            line,
            body_col,
        )
        return None
    messages: list[str] = []
    if bm.group(2) is not None:
        messages = [x.strip() for x in bm.group(2).split(",") if x.strip()]
    rest = bm.group(3)
    rest_col = body_col + bm.start(3)
    payload: str | None = None
    if rest.startswith(":"):
        payload = rest[1:].strip()
    elif rest:
        st.report(
            Severity.ERROR,
            "malformed-provenance",
            f"expected `{kind.value} (m-0001): …` here, found {rest[:20]!r}",
            line,
            rest_col,
        )
    reason = quote = None
    if payload and kind is ProvenanceKind.INFERRED:
        reason = payload
    elif payload and len(payload) >= 2 and payload[0] == '"' and payload[-1] == '"':
        quote = payload[1:-1]
    elif payload:
        st.report(
            Severity.ERROR,
            "malformed-provenance",
            'the quote must be the user\'s words in straight double quotes: "…"',
            line,
            rest_col + rest.index(payload[0]),
        )
    return Provenance(kind=kind, messages=messages, quote=quote, reason=reason, line=line)


def _prose(st: _State, i: int) -> int:
    """Collect one prose block (a paragraph, list, table or code fence) starting at line i."""
    lines = st.lines
    n = len(lines)
    out: list[str] = []
    prev_para = False  # previous line of this block is a paragraph line (for setext detection)
    j = i
    while j < n:
        raw = lines[j]
        s = raw.rstrip()
        if not s:
            break
        if j > i and _starts_block(s):
            break
        fm = _FENCE_RE.match(s)
        if fm:
            end = _fence_end(lines, j, fm.group(1))
            if end is None:
                st.report(
                    Severity.ERROR,
                    "unclosed-fence",
                    f"code fence {fm.group(1)} is never closed; it is read as plain text",
                    j + 1,
                    s.index(fm.group(1)[0]) + 1,
                )
            else:
                out.append(s)
                out.extend(lines[j + 1 : end])
                out.append(lines[end].rstrip())
                j = end + 1
                prev_para = False
                continue
        if prev_para and _SETEXT_RE.match(s):
            st.report(
                Severity.ERROR,
                "setext-heading",
                "cannot place an underlined (setext) heading; use `##` or `###`",
                j,
                1,
            )
        _check_list_item(st, s, j + 1)
        prev_para = not (_LIST_RE.match(s) or s.lstrip().startswith(("|", ">")))
        out.append(s)
        j += 1
    st.add_block(Prose(text="\n".join(out), line=i + 1))
    return j


def _starts_block(s: str) -> bool:
    """Whether a line ends the current prose block: a heading, requirement or provenance line."""
    if s[0] == "#" and _ATX_RE.match(s):
        return True
    m = _REQ_RE.match(s)
    if m and _ID_LIKE_RE.match(m.group(1)):
        return True
    return bool(_PROV_LIKE_RE.match(s))


def prose_break(text: str) -> int | None:
    """Index of the first line of a prose text that would not stay in one prose block, or None.

    A blank line, a heading, a requirement or a provenance line (outside code fences) would split
    the block or change the structure when the text is rendered and parsed again.
    """
    lines = text.split("\n")
    k = 0
    while k < len(lines):
        s = lines[k].rstrip()
        if not s or _starts_block(s):
            return k
        fm = _FENCE_RE.match(s)
        if fm:
            end = _fence_end(lines, k, fm.group(1))
            k = (end if end is not None else k) + 1
            continue
        k += 1
    return None


def _fence_end(lines: list[str], start: int, opener: str, indented: bool = False) -> int | None:
    """Index of the line closing the fence opened at `start`, or None when it is never closed."""
    char = opener[0]
    lead = " *" if indented else " {0,3}"
    closer = re.compile(rf"{lead}{re.escape(char)}{{{len(opener)},}}[ \t]*$")
    for k in range(start + 1, len(lines)):
        if closer.match(lines[k]):
            return k
    return None


def _check_list_item(st: _State, s: str, line: int) -> None:
    """Report a prose list item that looks like a requirement but has no ID (or a nested one)."""
    if _NESTED_REQ_RE.match(s):
        st.report(
            Severity.ERROR,
            "nested-requirement",
            "cannot place a requirement nested in a list; requirements are top-level list items",
            line,
            len(s) - len(s.lstrip()) + 1,
        )
        return
    m = _LIST_RE.match(s)
    if not m:
        return
    content = s[m.end() :]
    if _LOCKED_RE.match(content):
        st.report(
            Severity.ERROR,
            "locked-without-id",
            "a LOCKED item needs a requirement ID (`- **PREFIX-N** LOCKED …`); it is kept as prose",
            line,
            m.end() + 1,
        )
    elif KEYWORD_RE.search(content):
        st.report(
            Severity.WARNING,
            "list-item-without-id",
            "list item with an RFC 2119 keyword but no ID (`- **PREFIX-N** …`) is kept as prose",
            line,
            1,
        )


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
