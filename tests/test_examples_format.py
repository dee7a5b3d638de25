"""Examples in the spec format: a fenced shell session under a requirement, with provenance.

The parser reads them (commands, expected output, exit status), the renderer writes them back
byte for byte, and the validator checks each example's provenance quote against a real ledger.
Malformed blocks with their exact locations are in tests/test_validate.py's fixture table.
"""

from __future__ import annotations

from pathlib import Path

from charter.specs import (
    Example,
    Provenance,
    ProvenanceKind,
    Section,
    Spec,
    SpecFile,
    load_spec_dir,
    parse_file,
    parse_session,
    render_file,
    validate,
    validate_dir,
)
from charter.transcripts import Ledger

FIXTURES = Path(__file__).parent / "fixtures" / "specs"


def test_examples_parse_into_steps_and_round_trip() -> None:
    """The canonical example fixture: two examples under CLI-1, each with its own provenance."""
    text = (FIXTURES / "canonical" / "examples.md").read_text(encoding="utf-8")
    parsed, findings = parse_file(text, "cli.md")
    assert findings == []
    assert render_file(parsed) == text
    cli1, cli2 = parsed.requirements()
    assert cli2.examples == []
    first, second = cli1.examples
    assert (first.line, first.column, first.info) == (7, 3, "console")
    assert first.provenance is not None and first.provenance.quote == "$ greet Ann"
    assert first.provenance.line == 15
    assert second.provenance is not None and second.provenance.kind is ProvenanceKind.INFERRED
    steps, errors = parse_session(first.body)
    assert errors == []
    assert [(s.command, s.expected, s.exit_code) for s in steps] == [
        ("greet Ann", ["hello, Ann", ""], 0),
        ("greet", ["usage: greet NAME"], 2),
    ]


def test_noncanonical_example_renders_canonically() -> None:
    """A tilde fence indented four spaces is read as the same example and written canonically."""
    messy = (
        "# T\n\n## S\n\n- **S-1** It MUST work.\n  > inferred: r\n"
        "    ~~~console\n    $ true\n    ~~~\n    > inferred: shown\n"
    )
    parsed, findings = parse_file(messy, "a.md")
    assert findings == []
    (example,) = parsed.requirements()[0].examples
    assert example.body == "$ true"
    assert render_file(parsed).endswith("  ```console\n  $ true\n  ```\n  > inferred: shown\n")


def test_unclosed_example_keeps_its_lines(tmp_path: Path) -> None:
    """An example whose fence never closes is one located ERROR; its lines stay in the file."""
    spec, _ = load_spec_dir(FIXTURES / "findings" / "unclosed-example")
    (f,) = spec.files
    text = render_file(f)
    assert "  $ greet Ann\n  hello, Ann\n" in text


def test_example_quotes_are_checked_against_the_ledger(tmp_path: Path) -> None:
    """An explicit example's quote must occur in the cited user message; code checks it."""
    ledger = Ledger(tmp_path / "transcripts")
    session = ledger.new_session()
    msg = ledger.append(session, "user", "it goes like this:\n$ greet Ann\nhello, Ann")
    good = Provenance(kind="explicit", messages=[msg.id], quote="$ greet Ann")
    made_up = Provenance(kind="explicit", messages=[msg.id], quote="$ greet Bob")

    def spec_with(p: Provenance) -> Spec:
        """A one-requirement spec whose example carries provenance `p`."""
        req = parse_file("# T\n\n## S\n\n- **S-1** It MUST greet.\n  > inferred: r\n", "a.md")[
            0
        ].requirements()[0]
        req.examples = [Example(body="$ greet Ann\nhello, Ann", provenance=p)]
        return Spec(
            files=[SpecFile(path="a.md", title="T", sections=[Section(title="S", blocks=[req])])]
        )

    assert validate(spec_with(good), message_text=ledger.user_text) == []
    (finding,) = validate(spec_with(made_up), message_text=ledger.user_text)
    assert finding.code == "quote-not-found" and finding.req_id == "S-1"
    assert validate_dir(FIXTURES / "canonical") == []
