"""Prose in the parser: paragraphs, lists, tables and code fences between requirements.

A prose block is kept verbatim; what looks like a requirement but is not one (a list item with a
keyword or LOCKED and no ID, a nested requirement), an underlined heading and an unclosed fence
are reported. `prose_break` says whether a text built in code would stay one prose block.
"""

from __future__ import annotations

import re

from charter.specs.model import KEYWORD_RE, Prose, Severity
from charter.specs.parse_lines import (
    FENCE_RE,
    LIST_RE,
    LOCKED_RE,
    NESTED_REQ_RE,
    ParseState,
    fence_end,
    starts_block,
)

_SETEXT_RE = re.compile(r" {0,3}(?:=+|-+)[ \t]*$")


def read_prose(st: ParseState, i: int) -> int:
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
        if j > i and starts_block(s):
            break
        fm = FENCE_RE.match(s)
        if fm:
            end = fence_end(lines, j, fm.group(1))
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
        prev_para = not (LIST_RE.match(s) or s.lstrip().startswith(("|", ">")))
        out.append(s)
        j += 1
    st.add_block(Prose(text="\n".join(out), line=i + 1))
    return j


def prose_break(text: str) -> int | None:
    """Index of the first line of a prose text that would not stay in one prose block, or None.

    A blank line, a heading, a requirement or a provenance line (outside code fences) would split
    the block or change the structure when the text is rendered and parsed again.
    """
    lines = text.split("\n")
    k = 0
    while k < len(lines):
        s = lines[k].rstrip()
        if not s or starts_block(s):
            return k
        fm = FENCE_RE.match(s)
        if fm:
            end = fence_end(lines, k, fm.group(1))
            k = (end if end is not None else k) + 1
            continue
        k += 1
    return None


def _check_list_item(st: ParseState, s: str, line: int) -> None:
    """Report a prose list item that looks like a requirement but has no ID (or a nested one)."""
    if NESTED_REQ_RE.match(s):
        st.report(
            Severity.ERROR,
            "nested-requirement",
            "cannot place a requirement nested in a list; requirements are top-level list items",
            line,
            len(s) - len(s.lstrip()) + 1,
        )
        return
    m = LIST_RE.match(s)
    if not m:
        return
    content = s[m.end() :]
    if LOCKED_RE.match(content):
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
