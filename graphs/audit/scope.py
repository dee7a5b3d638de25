"""What the auditor model is shown: one unit per section, and a compact outline of the whole spec.

A section unit is the section's own text (prose and requirements, provenance as a single word) plus
the requirements it cross-references (`[ID]`) from elsewhere. Its cache key is a hash of exactly
that text, so after a change only the sections whose text (or whose referenced requirements) changed
are sent again. The outline carries IDs and one-line texts only, never prose or provenance, so the
one cross-spec pass stays small.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from charter.specs import XREF_RE, Requirement, Section, Spec, SpecFile

OUTLINE_WORDS = 9
"""How many words of a requirement's text the outline keeps (its ID and keyword always stay)."""


@dataclass(frozen=True)
class SectionUnit:
    """One section as the auditor sees it, with where it lives."""

    file: str
    title: str
    line: int
    own: tuple[str, ...]
    """IDs of the requirements in this section."""
    referenced: tuple[str, ...]
    """IDs referenced from this section that live elsewhere (shown as context)."""
    text: str = field(repr=False)


def describe_requirement(req: Requirement) -> str:
    """One requirement on one line: ID, LOCKED flag, text and provenance kind."""
    flags = " LOCKED" if req.locked else ""
    kind = req.provenance.kind.value if req.provenance else "no provenance"
    text = " ".join(req.text.split())
    return f"- {req.id}{flags}: {text} ({kind})"


def describe_examples(req: Requirement) -> list[str]:
    """A requirement's examples, each headed by its number and provenance kind, body indented."""
    lines: list[str] = []
    for n, example in enumerate(req.examples, start=1):
        kind = example.provenance.kind.value if example.provenance else "no provenance"
        lines.append(f"  Example {n} of {req.id} ({kind}):")
        lines += [f"    {line}".rstrip() for line in example.body.split("\n")]
    return lines


def _section_refs(section: Section) -> list[str]:
    """Every ID cross-referenced in the section's prose and requirement texts, in order."""
    found: list[str] = []
    for block in section.blocks:
        for ref in XREF_RE.findall(block.text):
            if ref not in found:
                found.append(ref)
    return found


def section_unit(spec: Spec, spec_file: SpecFile, section: Section) -> SectionUnit:
    """Build the unit the auditor examines for one section."""
    own = [r.id for r in section.requirements]
    referenced = [ref for ref in _section_refs(section) if ref not in own]
    lines = [f"File: {spec_file.path} — {spec_file.title}", f"Section: {section.title}", ""]
    for block in section.blocks:
        if isinstance(block, Requirement):
            lines.append(describe_requirement(block))
            lines += describe_examples(block)
        else:
            lines.append(" ".join(block.text.split()))
    context = [found[2] for ref in referenced if (found := spec.find(ref)) is not None]
    if context:
        lines += ["", "Referenced from other sections (context):"]
        lines += [describe_requirement(r) for r in context]
    return SectionUnit(
        file=spec_file.path,
        title=section.title,
        line=section.line,
        own=tuple(own),
        referenced=tuple(r.id for r in context),
        text="\n".join(lines),
    )


def section_units(spec: Spec) -> list[SectionUnit]:
    """One unit per section that holds at least one requirement, in file then document order."""
    return [section_unit(spec, f, s) for f in spec.files for s in f.sections if s.requirements]


def one_line(req: Requirement, words: int = OUTLINE_WORDS) -> str:
    """A requirement shortened for the outline: the keyword always kept, the text cut to `words`."""
    text = req.text.split()
    keyword = req.keyword or "?"
    short = " ".join(text[:words]) + (" …" if len(text) > words else "")
    flags = " LOCKED" if req.locked else ""
    if keyword not in short:
        short = f"[{keyword}] {short}"
    return f"{req.id}{flags} {short}"


def outline(spec: Spec) -> str:
    """The compact outline of the whole spec: section headings and one line per requirement."""
    lines: list[str] = []
    for f in spec.files:
        for s in f.sections:
            if not s.requirements:
                continue
            lines.append(f"## {f.path} § {s.title}")
            lines += [one_line(r) for r in s.requirements]
    return "\n".join(lines)
