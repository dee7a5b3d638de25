"""Validation findings with their exact locations, `charter validate`, and ID allocation.

Each directory under `tests/fixtures/specs/findings/` is a small spec dir that triggers one
finding (the directory is named after its code); the table below is the complete list of findings
each must produce, so a fixture that starts triggering something else fails too. Quote checks run
against a real ledger written through the `transcripts` API.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from charter.specs import (
    MAX_FILE_BYTES,
    IdRegister,
    IdRegisterError,
    Prose,
    Provenance,
    ProvenanceKind,
    Requirement,
    Section,
    Severity,
    Spec,
    SpecFile,
    load_spec_dir,
    load_spec_files,
    render_file,
    section_prefix,
    validate,
    validate_dir,
)
from charter.transcripts import Ledger
from tests.conftest import run_charter

FINDINGS = Path(__file__).parent / "fixtures" / "specs" / "findings"
E, W = "ERROR", "WARNING"

# fixture dir → every finding it produces: (severity, code, file, line, column)
EXPECTED: dict[str, list[tuple[str, str, str, int, int]]] = {
    "clean": [],
    "invalid-utf8": [(E, "invalid-utf8", "a.md", 3, 10)],
    "empty-file": [(E, "empty-file", "a.md", 1, 1)],
    "text-before-title": [(E, "text-before-title", "a.md", 1, 1)],
    "missing-title": [(E, "missing-title", "a.md", 1, 1)],
    "misplaced-title": [(E, "missing-title", "a.md", 1, 1), (E, "misplaced-title", "a.md", 3, 1)],
    "duplicate-title": [(E, "duplicate-title", "a.md", 8, 1)],
    "heading-too-deep": [(E, "heading-too-deep", "a.md", 8, 1)],
    "setext-heading": [(E, "setext-heading", "a.md", 8, 1)],
    "empty-heading": [(E, "empty-heading", "a.md", 3, 1)],
    "duplicate-section": [(W, "duplicate-section", "a.md", 8, 4)],
    "requirement-outside-section": [(E, "requirement-outside-section", "a.md", 3, 1)],
    "orphan-provenance": [(E, "orphan-provenance", "a.md", 8, 3)],
    "duplicate-provenance": [(E, "duplicate-provenance", "a.md", 7, 1)],
    "text-after-provenance": [(E, "text-after-provenance", "a.md", 7, 1)],
    "nested-requirement": [(E, "nested-requirement", "a.md", 6, 3)],
    "unclosed-fence": [(E, "unclosed-fence", "a.md", 10, 1)],
    "malformed-requirement": [(E, "malformed-requirement", "a.md", 5, 12)],
    "malformed-provenance": [
        (E, "missing-provenance", "a.md", 5, 1),
        (E, "malformed-provenance", "a.md", 6, 5),
    ],
    "malformed-quote": [(E, "malformed-provenance", "a.md", 6, 24)],
    "list-item-without-id": [(W, "list-item-without-id", "a.md", 8, 1)],
    "locked-without-id": [(E, "locked-without-id", "a.md", 8, 3)],
    "malformed-id": [(E, "malformed-id", "a.md", 5, 5)],
    "duplicate-id": [(E, "duplicate-id", "b.md", 5, 5)],
    "missing-keyword": [(E, "missing-keyword", "a.md", 5, 13)],
    "multiple-keywords": [(E, "multiple-keywords", "a.md", 6, 3)],
    "misplaced-locked": [(W, "misplaced-locked", "a.md", 5, 30)],
    "unknown-reference": [
        (E, "unknown-reference", "a.md", 5, 50),
        (E, "unknown-reference", "a.md", 8, 10),
    ],
    "missing-provenance": [(E, "missing-provenance", "a.md", 5, 1)],
    "malformed-message-id": [(E, "malformed-message-id", "a.md", 6, 23)],
    "explicit-without-messages": [(E, "explicit-without-messages", "a.md", 6, 5)],
    "explicit-without-quote": [(E, "explicit-without-quote", "a.md", 6, 5)],
    "confirmed-without-messages": [(E, "confirmed-without-messages", "a.md", 6, 5)],
    "inferred-without-reason": [(E, "inferred-without-reason", "a.md", 6, 5)],
    "malformed-example": [
        (E, "malformed-example", "a.md", 8, 3),
        (E, "malformed-example", "a.md", 12, 3),
        (E, "malformed-example", "a.md", 14, 3),
    ],
    "unclosed-example": [(E, "unclosed-example", "a.md", 7, 3)],
    "unknown-example-kind": [(E, "unknown-example-kind", "a.md", 7, 6)],
    "example-without-provenance": [
        (E, "example-without-provenance", "a.md", 10, 3),
        (E, "explicit-without-messages", "a.md", 17, 5),
    ],
    # Without a ledger lookup the quotes fixture is clean; see test_quotes_checked_against_ledger.
    "quotes": [],
}


def _rows(findings: list) -> list[tuple[str, str, str, int, int]]:
    """Findings as comparable (severity, code, file, line, column) rows."""
    return [(f.severity.value, f.code, f.file, f.line, f.column) for f in findings]


def test_every_fixture_is_listed() -> None:
    """No fixture dir goes unchecked."""
    assert {p.name for p in FINDINGS.iterdir() if p.is_dir()} == set(EXPECTED)


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_fixture_findings(case: str) -> None:
    """Each fixture produces exactly its findings, at the exact file:line:column."""
    findings = validate_dir(FINDINGS / case)
    assert _rows(findings) == EXPECTED[case]
    assert all(f.message for f in findings)


def test_duplicate_id_names_the_first_location() -> None:
    """The duplicate is reported where it repeats, and the message points at the original."""
    (finding,) = validate_dir(FINDINGS / "duplicate-id")
    assert finding.req_id == "ING-1"
    assert "a.md:5" in finding.message


def _ledger_with_messages(tmp_path: Path) -> Ledger:
    """A real ledger: m-0001 is the user's, m-0002 the scribe's."""
    ledger = Ledger(tmp_path / "transcripts")
    session = ledger.new_session()
    first = ledger.append(session, "user", "it takes batches of events, and never keep IPs")
    second = ledger.append(session, "scribe", "never keep IPs, understood")
    assert (first.id, second.id) == ("m-0001", "m-0002")
    return ledger


def test_quotes_checked_against_ledger(tmp_path: Path) -> None:
    """A quote must occur verbatim in a cited user message; unknown or non-user IDs are errors."""
    ledger = _ledger_with_messages(tmp_path)
    findings = validate_dir(FINDINGS / "quotes", message_text=ledger.user_text)
    assert _rows(findings) == [
        (E, "quote-not-found", "a.md", 8, 24),
        (E, "unknown-message", "a.md", 10, 16),
        (E, "unknown-message", "a.md", 12, 23),
    ]
    assert findings[0].req_id == "ING-2"
    assert "m-0002" in findings[1].message


def test_oversized_file(tmp_path: Path) -> None:
    """Over 1 MiB is refused with a located ERROR; exactly 1 MiB is still read."""
    body = b"# Big\n\n" + b"x" * (MAX_FILE_BYTES - 8) + b"\n"
    assert len(body) == MAX_FILE_BYTES
    (tmp_path / "ok.md").write_bytes(body)
    (tmp_path / "big.md").write_bytes(body + b"y")
    spec, findings = load_spec_dir(tmp_path)
    assert _rows(findings) == [(E, "file-too-large", "big.md", 1, 1)]
    assert [f.path for f in spec.files] == ["ok.md"]


def test_missing_spec_dir(tmp_path: Path) -> None:
    """A spec dir that does not exist is one ERROR, not a crash."""
    assert _rows(validate_dir(tmp_path / "nope")) == [(E, "missing-spec-dir", ".", 0, 0)]


def test_in_memory_files_load_like_the_directory() -> None:
    """The builder's git-tree path (bytes in memory) gives the same spec as the directory."""
    root = FINDINGS / "clean"
    files = {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    files["notes.txt"] = b"not markdown"
    from_dir = load_spec_dir(root)
    from_bytes = load_spec_files(files)
    assert from_bytes == from_dir
    assert [f.path for f in from_dir[0].files] == ["reports/daily.md", "telemetry.md"]


def _req(**kw: object) -> Requirement:
    """A requirement built in code, valid unless overridden."""
    fields: dict[str, object] = {
        "id": "ING-1",
        "text": "The service MUST accept batches.",
        "provenance": Provenance(kind=ProvenanceKind.INFERRED, reason="a reason"),
    }
    fields.update(kw)
    return Requirement.model_validate(fields)


@pytest.mark.parametrize(
    ("requirement", "code"),
    [
        (
            _req(provenance=Provenance(kind="inferred", reason="r", quote="q")),
            "unexpected-quote",
        ),
        (
            _req(
                provenance=Provenance(kind="explicit", messages=["m-0001"], quote="q", reason="r")
            ),
            "unexpected-reason",
        ),
        (
            _req(provenance=Provenance(kind="explicit", messages=["m-0001"], quote="two\nlines")),
            "multiline-provenance",
        ),
        (_req(text="The service MUST accept\n\nbatches."), "unrenderable-text"),
    ],
)
def test_models_built_in_code_are_checked(requirement: Requirement, code: str) -> None:
    """What a renderer would lose or garble in a code-built model is an ERROR."""
    spec = Spec(
        files=[
            SpecFile(path="a.md", title="T", sections=[Section(title="S", blocks=[requirement])])
        ]
    )
    assert [(f.severity, f.code) for f in validate(spec)] == [(Severity.ERROR, code)]


def test_code_built_prose_must_stay_prose() -> None:
    """Prose that would read back as a heading or a requirement is an ERROR; fenced is fine."""
    blocks = [
        Prose(text="Context.\n## Not a section"),
        Prose(text="```\n## fenced\n\n- **ING-1** MUST stay code\n```"),
    ]
    spec = Spec(
        files=[SpecFile(path="a.md", title="T", sections=[Section(title="S", blocks=blocks)])]
    )
    assert [f.code for f in validate(spec)] == ["unrenderable-prose"]


def test_multiline_title_is_reported() -> None:
    """A title the renderer would split across lines is an ERROR."""
    spec = Spec(files=[SpecFile(path="a.md", title="Two\nlines")])
    assert [f.code for f in validate(spec)] == ["malformed-heading"]


# --- charter validate -------------------------------------------------------------------------

SPEC = """# Telemetry service

## Ingest

- **ING-1** The service MUST accept batches of events.
  > explicit (m-0001): "takes batches of events"
- **ING-2** LOCKED The service MUST NOT store client IP addresses.
  > confirmed (m-0001): "never keep IPs"
- **ING-3** The service SHOULD answer within a second, see [ING-1].
  > inferred: the user wants it fast
"""


def _workspace_with_ledger(root: Path) -> None:
    """Write the user's words to the workspace ledger and a spec that quotes them."""
    ledger = Ledger(root / "transcripts", root / ".charter" / "state.db")
    session = ledger.new_session()
    ledger.append(session, "user", "it takes batches of events as JSON; never keep IPs")
    ledger.close()
    (root / "specs" / "telemetry.md").write_text(SPEC, encoding="utf-8")


def test_charter_validate_clean_spec(workspace: Path) -> None:
    """A clean spec exits 0 and says so."""
    _workspace_with_ledger(workspace)
    result = run_charter("validate", cwd=workspace)
    assert result.code == 0, result.out + result.err
    assert "spec OK" in result.out and "3 requirements" in result.out


def test_charter_validate_reports_errors(workspace: Path) -> None:
    """Errors print as `path:line:col: SEVERITY code: message`, exit 1; --json has them too."""
    _workspace_with_ledger(workspace)
    spec = workspace / "specs" / "telemetry.md"
    spec.write_text(
        SPEC.replace('"never keep IPs"', '"do not keep addresses"') + "\nSee [ING-9].\n",
        encoding="utf-8",
    )
    (workspace / "specs" / "other.md").write_text(
        "# Other\n\n## More\n\n- **ING-1** The UI MAY show totals.\n  > inferred: r\n",
        encoding="utf-8",
    )
    result = run_charter("validate", cwd=workspace)
    assert result.code == 1, result.out + result.err
    lines = result.out.splitlines()
    assert lines[0].startswith("specs/telemetry.md:5:5: ERROR duplicate-id: ")
    assert "other.md:5" in lines[0]
    assert lines[1].startswith("specs/telemetry.md:8:25: ERROR quote-not-found: ")
    assert lines[2].startswith("specs/telemetry.md:12:5: ERROR unknown-reference: ")
    assert "3 errors" in lines[-1]

    as_json = run_charter("validate", "--json", cwd=workspace)
    assert as_json.code == 1
    doc = json.loads(as_json.out)
    assert doc["ok"] is False
    assert doc["counts"] == {"ERROR": 3, "WARNING": 0, "INFO": 0}
    assert doc["files"] == 2 and doc["requirements"] == 4
    first = doc["findings"][0]
    assert (first["file"], first["line"], first["column"], first["code"]) == (
        "specs/telemetry.md",
        5,
        5,
        "duplicate-id",
    )
    assert first["severity"] == "ERROR" and first["req_id"] == "ING-1"


def test_charter_validate_warnings_do_not_fail(workspace: Path) -> None:
    """WARNINGs are printed but exit 0."""
    _workspace_with_ledger(workspace)
    spec = workspace / "specs" / "telemetry.md"
    spec.write_text(SPEC + "\n- The service MUST log requests.\n", encoding="utf-8")
    result = run_charter("validate", cwd=workspace)
    assert result.code == 0, result.out + result.err
    assert "WARNING list-item-without-id" in result.out


def test_charter_validate_outside_a_workspace(tmp_path: Path) -> None:
    """Outside a workspace: a one-line message and exit 2, no traceback."""
    result = run_charter("validate", cwd=tmp_path)
    assert result.code == 2
    assert "charter init" in result.err and "Traceback" not in result.err


# --- ID allocation ----------------------------------------------------------------------------


def _write_spec(spec_dir: Path, ids: list[str]) -> None:
    """A one-section spec holding the given requirement IDs."""
    blocks = [
        Requirement(
            id=i,
            text=f"Rule {i} MUST hold.",
            provenance=Provenance(kind=ProvenanceKind.INFERRED, reason="test"),
        )
        for i in ids
    ]
    f = SpecFile(path="a.md", title="T", sections=[Section(title="Ingest", blocks=blocks)])
    (spec_dir / "a.md").write_text(render_file(f), encoding="utf-8")


def test_removed_id_is_never_reused(tmp_path: Path) -> None:
    """Allocate, commit the register, remove the newest requirement: the next ID is new."""
    spec_dir = tmp_path / "specs"
    spec_dir.mkdir()
    _write_spec(spec_dir, ["ING-1", "ING-2"])
    spec, _ = load_spec_dir(spec_dir)
    register = IdRegister.load(spec_dir)
    new_id = register.allocate(section_prefix(spec, "a.md", "Ingest"), spec)
    assert new_id == "ING-3"
    register.save(spec_dir)
    _write_spec(spec_dir, ["ING-1", "ING-2", new_id])

    _write_spec(spec_dir, ["ING-1", "ING-2"])  # ING-3 removed
    spec, _ = load_spec_dir(spec_dir)
    register = IdRegister.load(spec_dir)
    assert register.allocate("ING", spec) == "ING-4"
    assert validate_dir(spec_dir) == []  # the register file is not part of the spec


def test_hand_written_ids_are_retired_once_observed(tmp_path: Path) -> None:
    """IDs the register never allocated count once observed, and above the spec's highest."""
    spec_dir = tmp_path / "specs"
    spec_dir.mkdir()
    _write_spec(spec_dir, ["ING-1", "ING-7"])
    spec, _ = load_spec_dir(spec_dir)
    fresh = IdRegister.from_bytes(None)
    assert fresh.allocate("ING", spec) == "ING-8"
    register = IdRegister()
    register.observe(spec)
    _write_spec(spec_dir, ["ING-1"])
    spec, _ = load_spec_dir(spec_dir)
    again = IdRegister.from_bytes(register.to_bytes())
    assert again.allocate("ING", spec) == "ING-8"


def test_bad_register_is_a_clear_error() -> None:
    """A broken `.ids.toml` names the file and the problem."""
    with pytest.raises(IdRegisterError, match=r"\.ids\.toml"):
        IdRegister.from_bytes(b"highest = [")
    with pytest.raises(IdRegisterError, match="ING"):
        IdRegister.from_bytes(b'[highest]\nING = "three"\n')


def test_section_prefixes() -> None:
    """A section keeps its prefix; a new one gets 2-5 letters from its title, unique in the spec."""
    spec, _ = load_spec_dir(FINDINGS / "clean")
    assert section_prefix(spec, "telemetry.md", "Ingest") == "ING"
    assert section_prefix(spec, "telemetry.md", "Access Control") == "AC"
    assert section_prefix(spec, "telemetry.md", "Ingestion") == "INGE"
    assert section_prefix(spec, "telemetry.md", "Totals and limits") not in {"TOT", "ING"}
    assert section_prefix(spec, "new.md", "Ünïcode Überblick") == "UU"
    assert section_prefix(spec, "new.md", "Exports", reserved=["EXP"]) == "EXPO"
