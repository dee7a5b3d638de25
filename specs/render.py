"""Spec model → canonical Markdown (DESIGN §4).

Canonical layout: the `# Title` line first; every block (intro prose, heading, prose, a run of
requirements) is separated from the next by exactly one blank line; the requirements of a run are
adjacent lines; a requirement's continuation lines and its provenance line are indented two
spaces; a requirement's examples follow its provenance line, each a fenced block indented two
spaces with its own provenance line under the closing fence; the file ends with exactly one
newline. `parse_file(render_file(m))` gives back `m` (line
numbers aside) for every model the validator accepts, and canonical text round-trips byte for byte.
"""

from __future__ import annotations

import re

from charter.specs.model import Example, Prose, Provenance, ProvenanceKind, Requirement, SpecFile

INDENT = "  "
PROVENANCE_PREFIX = INDENT + "> "


def render_file(f: SpecFile) -> str:
    """Render one spec file as canonical Markdown."""
    out: list[str] = [_heading(1, f.title)]
    for p in f.intro:
        out.append("")
        out.append(p.text)
    for s in f.sections:
        out.append("")
        out.append(_heading(s.level, s.title))
        previous_was_requirement = False
        for block in s.blocks:
            if isinstance(block, Prose):
                out.append("")
                out.append(block.text)
                previous_was_requirement = False
            else:
                if not previous_was_requirement:
                    out.append("")
                out.append(render_requirement(block))
                previous_was_requirement = True
    return "\n".join(out) + "\n"


def _heading(level: int, title: str) -> str:
    """An ATX heading line; an empty title renders as the bare hashes (no trailing space)."""
    return "#" * level + (" " + title if title else "")


def requirement_head(r: Requirement) -> str:
    """The part of a requirement's first line before its text: `- **ID** ` plus `LOCKED `."""
    return f"- **{r.id}** " + ("LOCKED " if r.locked else "")


def render_requirement(r: Requirement) -> str:
    """Render one requirement: its item line(s) and provenance line, without a final newline."""
    first, *more = r.text.split("\n")
    head = requirement_head(r) + first
    lines = [head.rstrip(" ") if not first else head]
    lines.extend(INDENT + line for line in more)
    if r.provenance is not None:
        lines.append(PROVENANCE_PREFIX + render_provenance(r.provenance))
    lines.extend(render_example(e) for e in r.examples)
    return "\n".join(lines)


# Any indent: the closing fence of an example may be indented as deep as the body's lines.
_BACKTICKS_RE = re.compile(r" *(`{3,})")


def example_fence(body: str) -> str:
    """The shortest backtick fence (at least three) that no line of `body` could close."""
    runs = (m.group(1) for m in map(_BACKTICKS_RE.match, body.split("\n")) if m)
    longest = max(map(len, runs), default=2)
    return "`" * max(3, longest + 1)


def render_example(e: Example) -> str:
    """Render one example: its fence, its body indented under the item, then its provenance."""
    fence = example_fence(e.body)
    lines = [INDENT + fence + e.info]
    lines.extend((INDENT + x) if x else "" for x in e.body.split("\n"))
    lines.append(INDENT + fence)
    if e.provenance is not None:
        lines.append(PROVENANCE_PREFIX + render_provenance(e.provenance))
    return "\n".join(lines)


def render_provenance(p: Provenance) -> str:
    """The provenance line's body (after `> `): kind, cited messages, then quote or reason."""
    out = p.kind.value
    if p.messages:
        out += " (" + ", ".join(p.messages) + ")"
    if p.kind is ProvenanceKind.INFERRED:
        if p.reason:
            out += ": " + p.reason
    elif p.quote is not None:
        out += ': "' + p.quote + '"'
    return out
