"""Benchmark: parse and validate a 2,000-requirement spec (target under 200 ms).

The spec is generated through the model and the renderer: 8 files × 5 sections × 50
requirements, with intro and section prose, every provenance kind, LOCKED flags, continuation
lines and cross-references. Quotes are checked against an in-memory stand-in for the ledger.
"""

from __future__ import annotations

from bench.harness import Result, p50, timings_ms
from charter.specs import (
    Prose,
    Provenance,
    ProvenanceKind,
    Requirement,
    Section,
    SpecFile,
    load_spec_files,
    merge_findings,
    render_file,
    validate,
)

FILES, SECTIONS, PER_SECTION = 8, 5, 50
QUOTE = "it takes batches of events as JSON"


def _provenance(n: int) -> Provenance:
    """Cycle through explicit, inferred and confirmed provenance."""
    if n % 3 == 0:
        return Provenance(kind=ProvenanceKind.EXPLICIT, messages=[f"m-{n:04d}"], quote=QUOTE)
    if n % 3 == 1:
        return Provenance(kind=ProvenanceKind.INFERRED, reason="the scribe's reading of intent")
    return Provenance(kind=ProvenanceKind.CONFIRMED, messages=[f"m-{n:04d}"], quote="yes")


def generate() -> tuple[dict[str, bytes], dict[str, str]]:
    """The spec files as bytes (path → data) and the user messages their quotes cite."""
    files: dict[str, bytes] = {}
    n = 0
    for fi in range(FILES):
        sections = []
        for si in range(SECTIONS):
            prefix = f"S{fi}X{si}"
            blocks: list[Prose | Requirement] = [
                Prose(text=f"Context for section {si}, see [{prefix}-1].\nA second line.")
            ]
            for ri in range(1, PER_SECTION + 1):
                n += 1
                more = "\n  and a continuation line" if ri % 5 == 0 else ""
                ref = f" as in [{prefix}-{ri - 1}]" if ri > 1 and ri % 7 == 0 else ""
                blocks.append(
                    Requirement(
                        id=f"{prefix}-{ri}",
                        text=f"The service MUST handle case {ri} of section {si}{ref}.{more}",
                        locked=ri % 11 == 0,
                        provenance=_provenance(n),
                    )
                )
            sections.append(Section(title=f"Section {si}", level=2 + (si % 2), blocks=blocks))
        spec_file = SpecFile(
            path=f"part{fi}.md",
            title=f"Part {fi}",
            intro=[Prose(text="Generated for the benchmark.")],
            sections=sections,
        )
        files[spec_file.path] = render_file(spec_file).encode("utf-8")
    messages = {f"m-{i:04d}": f"yes, {QUOTE}" for i in range(1, n + 1)}
    return files, messages


def run() -> list[Result]:
    """Time load (parse) + validate of the whole spec, quotes checked."""
    files, messages = generate()

    def once() -> None:
        spec, parse_findings = load_spec_files(files)
        findings = merge_findings(parse_findings, validate(spec, message_text=messages.get))
        assert len(spec.requirements()) == FILES * SECTIONS * PER_SECTION
        assert not findings, findings[:3]

    return [
        Result(
            name="spec: parse+validate 2,000 requirements",
            value=p50(timings_ms(once, repeat=15, warmup=2)),
            unit="ms",
            target=200.0,
        )
    ]
