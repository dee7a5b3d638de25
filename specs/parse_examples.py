"""Examples in the parser: the fenced shell sessions under a requirement (DESIGN §4).

Each example is a fence indented under the list item after the requirement's provenance line,
optionally followed by its own provenance line; an example's fence that is never closed is
reported here, its body's content is checked by `specs.example_check`.
"""

from __future__ import annotations

import re

from charter.specs.model import Example, Requirement, Severity
from charter.specs.parse_lines import PROV_INDENTED_RE, PROV_LIKE_RE, ParseState, fence_end
from charter.specs.parse_provenance import parse_provenance

# An example's opening fence: indented under the list item, after the provenance line.
_EXAMPLE_FENCE_RE = re.compile(r"( +)(`{3,}|~{3,})([^`]*)$")


def read_examples(st: ParseState, req: Requirement, k: int) -> tuple[int, bool]:
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
        end = fence_end(lines, k, opener, indented=True)
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
            pm = PROV_INDENTED_RE.match(s) or PROV_LIKE_RE.match(s)
            if pm:
                example.provenance = parse_provenance(st, k, s, pm)
                k += 1
        req.examples.append(example)
    return k, False


def _strip_indent(line: str, width: int) -> str:
    """Remove up to `width` leading spaces (the list item's indent) from an example body line."""
    spaces = len(line) - len(line.lstrip(" "))
    return line[min(spaces, width) :]
