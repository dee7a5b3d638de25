"""The spec format round-trips: canonical text byte for byte, any model through render → parse.

Hypothesis generates spec files (titles, intro prose, `##`/`###` sections, prose blocks such as
paragraphs, lists, tables and code fences with blank lines, requirements with continuation lines,
LOCKED flags and every provenance kind, quotes holding `"`), renders them, parses them back and
checks that nothing moved. Fixed examples (DESIGN §4's own) must round-trip byte for byte, and
messy but valid Markdown must come out canonical.
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from charter.specs import (
    Example,
    Prose,
    Provenance,
    ProvenanceKind,
    Requirement,
    Section,
    Severity,
    SpecFile,
    parse_bytes,
    parse_file,
    render_file,
    render_requirement,
)

FIXTURES = Path(__file__).parent / "fixtures" / "specs"

# Words never start a line with Markdown syntax (phrases start with a letter), but may hold it.
_FIRST = string.ascii_letters + "éßЖ中"
_REST = string.ascii_letters + string.digits + "éßЖ中🙂.,;:!?()[]{}'\"`*_#|<>&%$@/=+~-"
WORD = st.text(alphabet=_REST, min_size=1, max_size=8)
PHRASE = st.builds(
    lambda first, words: first + " ".join(words),
    st.text(alphabet=_FIRST, min_size=1, max_size=6),
    st.lists(WORD, max_size=6),
)
MESSAGES = st.lists(st.from_regex(r"m-[0-9]{4,5}", fullmatch=True), min_size=1, max_size=3)
# Quotes are single-line user words, any characters, `"` included, kept exactly.
QUOTE = st.text(
    alphabet=st.characters(exclude_characters="\n\r", exclude_categories=("Cs",)), max_size=30
)
REASON = PHRASE


def _fence(lang: str, body: list[str]) -> str:
    """A fenced code block whose body may hold blank lines and spec-looking lines."""
    return "\n".join([f"```{lang}", *body, "```"])


PROSE_TEXT = st.one_of(
    st.lists(PHRASE, min_size=1, max_size=3).map("\n".join),
    st.lists(PHRASE.map(lambda p: "- " + p), min_size=1, max_size=3).map("\n".join),
    PHRASE.map(lambda p: "> Note: " + p),
    st.just("| term | meaning |\n| --- | --- |\n| shop | a merchant |"),
    st.builds(
        _fence,
        st.sampled_from(["", "json", "python"]),
        st.lists(
            st.one_of(
                PHRASE,
                st.just(""),
                st.just("## not a heading"),
                st.just("- **ING-1** The code MUST stay code."),
                st.just('  > explicit (m-0001): "inside a fence"'),
                st.just("trailing spaces kept   "),
            ),
            max_size=4,
        ),
    ),
)
PROSE = st.builds(Prose, text=PROSE_TEXT)


@st.composite
def provenances(draw: st.DrawFn) -> Provenance | None:
    """Any well-formed provenance of each kind, or none at all."""
    kind = draw(st.sampled_from([None, *ProvenanceKind]))
    if kind is None:
        return None
    if kind is ProvenanceKind.INFERRED:
        msgs = draw(st.one_of(st.just([]), MESSAGES))
        return Provenance(kind=kind, messages=msgs, reason=draw(REASON))
    quote = draw(QUOTE) if kind is ProvenanceKind.EXPLICIT else draw(st.none() | QUOTE)
    return Provenance(kind=kind, messages=draw(MESSAGES), quote=quote)


SESSION_LINE = st.one_of(
    PHRASE.map(lambda p: "$ " + p),
    PHRASE,
    st.just(""),
    st.just("[2]"),
    st.just("    ```` not a fence end"),
    st.just("> continued"),
    st.just("trailing spaces kept   "),
)
EXAMPLE = st.builds(
    Example,
    body=st.lists(SESSION_LINE, min_size=1, max_size=5).map("\n".join),
    provenance=provenances(),
)


@st.composite
def requirements(draw: st.DrawFn) -> Requirement:
    """A requirement: valid ID, optional LOCKED, keyword text with continuation lines."""
    req_id = draw(st.from_regex(r"[A-Z][A-Z0-9]{0,4}-[1-9][0-9]{0,3}", fullmatch=True))
    keyword = draw(st.sampled_from(["MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY"]))
    first = f"The {draw(PHRASE)} {keyword} {draw(PHRASE)}"
    more = draw(st.lists(st.builds(str.__add__, st.sampled_from(["", "  "]), PHRASE), max_size=2))
    return Requirement(
        id=req_id,
        text="\n".join([first, *more]),
        locked=draw(st.booleans()),
        provenance=(prov := draw(provenances())),
        # Examples follow the requirement's provenance line, so only a requirement with one
        # carries them (without it the validator reports missing-provenance).
        examples=draw(st.lists(EXAMPLE, max_size=2)) if prov is not None else [],
    )


SECTION = st.builds(
    Section,
    title=PHRASE,
    level=st.sampled_from([2, 3]),
    blocks=st.lists(st.one_of(PROSE, requirements(), requirements()), max_size=6),
)
SPEC_FILE = st.builds(
    SpecFile,
    path=st.just("gen.md"),
    title=PHRASE,
    intro=st.lists(PROSE, max_size=2),
    sections=st.lists(SECTION, max_size=4),
)


def _without_lines(value: Any) -> Any:
    """A model dump with every `line` set to 0 (locations differ between built and parsed)."""
    if isinstance(value, dict):
        return {k: (0 if k == "line" else _without_lines(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_lines(v) for v in value]
    return value


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SPEC_FILE)
def test_any_model_survives_render_then_parse(model: SpecFile) -> None:
    """parse(render(m)) == m (line numbers aside), and the rendered text is a fixed point."""
    text = render_file(model)
    parsed, findings = parse_file(text, "gen.md")
    assert [f for f in findings if f.severity is Severity.ERROR] == []
    assert _without_lines(parsed.model_dump()) == _without_lines(model.model_dump())
    assert render_file(parsed) == text
    assert text.endswith("\n") and not text.endswith("\n\n")


def test_design_example_round_trips_byte_for_byte() -> None:
    """DESIGN §4's example parses to three requirements of each provenance and renders back."""
    text = (FIXTURES / "canonical" / "design-example.md").read_text(encoding="utf-8")
    parsed, findings = parse_file(text, "telemetry.md")
    assert findings == []
    assert render_file(parsed) == text
    reqs = parsed.requirements()
    assert [r.id for r in reqs] == ["ING-1", "ING-2", "ING-3"]
    assert [r.provenance.kind for r in reqs if r.provenance] == list(ProvenanceKind)
    assert reqs[2].locked and reqs[2].keyword == "MUST NOT"
    assert reqs[0].provenance and reqs[0].provenance.quote == "it takes batches of events as JSON"


def test_canonical_examples_round_trip_byte_for_byte() -> None:
    """Every canonical fixture (tables, fences, lists, subsections, quotes with `"`) is stable."""
    paths = sorted((FIXTURES / "canonical").glob("*.md"))
    assert len(paths) >= 2
    for path in paths:
        data = path.read_bytes()
        parsed, findings = parse_bytes(data, path.name)
        assert parsed is not None and findings == [], path
        assert render_file(parsed).encode("utf-8") == data, path


def test_rich_example_model() -> None:
    """The rich fixture keeps prose verbatim and reads continuation lines and odd quotes right."""
    text = (FIXTURES / "canonical" / "rich.md").read_text(encoding="utf-8")
    parsed, _ = parse_file(text, "rich.md")
    assert [(s.title, s.level) for s in parsed.sections] == [
        ("Payments", 2),
        ("Refunds", 3),
        ("Reports", 2),
    ]
    pay1 = parsed.requirements()[0]
    assert pay1.text.endswith("minor units\nand an ISO 4217 currency code.")
    assert pay1.provenance is not None
    assert pay1.provenance.messages == ["m-0003", "m-0004"]
    assert pay1.provenance.quote == 'amounts in cents, "EUR" style currency codes'
    pay2 = parsed.requirements()[1]
    assert pay2.locked and pay2.provenance and pay2.provenance.quote is None
    fence = next(b for b in parsed.sections[0].blocks if isinstance(b, Prose) and "```" in b.text)
    assert fence.text == '```json\n{"amount": 1250,\n\n "currency": "EUR"}\n```'
    assert render_requirement(pay2) == (
        "- **PAY-2** LOCKED The gateway MUST NOT store a full card number.\n  > confirmed (m-0012)"
    )


def test_messy_input_renders_canonically() -> None:
    """CRLF, trailing spaces, extra blank lines, `*`/`+` bullets, a lazy continuation line and a
    flush-left provenance parse cleanly and render as the canonical fixture."""
    messy = (FIXTURES / "noncanonical" / "messy.md").read_bytes()
    expected = (FIXTURES / "noncanonical" / "messy.canonical.md").read_text(encoding="utf-8")
    assert b"\r\n" in messy and b"* **PAY-1**" in messy
    parsed, findings = parse_bytes(messy, "messy.md")
    assert parsed is not None and findings == []
    assert render_file(parsed) == expected
    again, _ = parse_file(expected, "messy.md")
    assert _without_lines(again.model_dump()) == _without_lines(parsed.model_dump())


def test_parse_records_locations() -> None:
    """Parsed models carry 1-based lines for the title, sections, blocks and provenance."""
    text = (FIXTURES / "canonical" / "design-example.md").read_text(encoding="utf-8")
    parsed, _ = parse_file(text, "telemetry.md")
    assert parsed.line == 1
    assert parsed.intro[0].line == 3
    assert parsed.sections[0].line == 5
    ing2 = parsed.requirements()[1]
    assert (ing2.line, ing2.column) == (9, 1)
    assert ing2.provenance is not None and ing2.provenance.line == 10


def test_parse_never_raises_on_garbage() -> None:
    """Arbitrary bytes give a model or None plus findings, never an exception."""
    samples = [
        b"\x00\x01\x02",
        b"#",
        b"- **A-1**",
        b"  > explicit (",
        b"```\n",
        b"\xef\xbb\xbf# T\n",
    ]
    for data in samples:
        parsed, findings = parse_bytes(data, "x.md")
        assert parsed is not None or findings
    bom, findings = parse_bytes(b"\xef\xbb\xbf# T\n", "x.md")
    assert bom is not None and bom.title == "T" and findings == []


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet='#-*+> \n\t`"():[]ABm01LOCKEDMUST', max_size=200))
def test_parse_never_raises_on_random_markdown(text: str) -> None:
    """Random Markdown-ish text parses, and canonicalising it is idempotent."""
    parsed, _ = parse_file(text, "x.md")
    canonical = render_file(parsed)
    again, _ = parse_file(canonical, "x.md")
    assert render_file(again) == canonical
