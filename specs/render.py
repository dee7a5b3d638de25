"""Spec model → canonical Markdown (DESIGN §4).

Canonical layout: the `# Title` line first; every block (intro prose, heading, prose, a run of
requirements) is separated from the next by exactly one blank line; the requirements of a run are
adjacent lines; a requirement's continuation lines and its provenance line are indented two
spaces; the file ends with exactly one newline. `parse_file(render_file(m))` gives back `m` (line
numbers aside) for every model the validator accepts, and canonical text round-trips byte for byte.
"""

from __future__ import annotations

from charter.specs.model import Prose, Provenance, ProvenanceKind, Requirement, SpecFile

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
