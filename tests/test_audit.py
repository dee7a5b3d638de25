"""The audit, end to end: `charter audit [REV] [--json]` and `charter audit fix FINDING-ID`.

The auditor model is the scripted OpenAI-compatible server on 127.0.0.1 (`llm`), answering by
content: a section unit starts `File: ...`, the outline starts `## ...`, and a drift request uses
the `report_verdicts` tool. Spec files, the ledger (through `transcripts.Ledger`), git and
`.charter/state.db` are real. Most runs go through Typer's CliRunner in-process (fast); one runs
the real `charter` subprocess.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from charter.app.cli import cli
from charter.graphs.audit import load_findings, revision_key, unresolved_errors
from charter.specs import Change, ChangeKind, CommitMessage, Intent, commit_spec_change
from charter.transcripts import Ledger
from tests.conftest import run_charter
from tests.fakellm import FakeLLM, ScriptedReply

FIXTURES = Path(__file__).parent / "fixtures" / "audit"
SESSION = "s-20261121-01"
MESSAGES = (
    "it takes batches of events as JSON",
    "every night we want daily totals per device",
    "never keep the client IP addresses",
)

Answer = Callable[[str], list[dict[str, Any]]]


# -- helpers ------------------------------------------------------------------------------------


@pytest.fixture
def ws(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh workspace as the current directory, its ledger holding the three user messages."""
    monkeypatch.chdir(workspace)
    say(workspace, *MESSAGES)
    yield workspace


def say(root: Path, *texts: str) -> list[str]:
    """Append user messages to the workspace's ledger; return their IDs."""
    ledger = Ledger(root / "transcripts", root / ".charter" / "state.db")
    try:
        return [ledger.append(SESSION, "user", text).id for text in texts]
    finally:
        ledger.close()


def use_spec(root: Path, fixture: str) -> Path:
    """Copy a fixture spec into the workspace's spec dir; return the file's path."""
    target = root / "specs" / "telemetry.md"
    shutil.copyfile(FIXTURES / fixture / "telemetry.md", target)
    return target


def spec_files(root: Path) -> dict[str, bytes]:
    """The working tree's spec files, as the builder passes them (relative to the spec dir)."""
    return {p.name: p.read_bytes() for p in (root / "specs").glob("*.md")}


def git(root: Path, *args: str) -> str:
    """Run git in `root`, return stdout."""
    done = subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True)
    return done.stdout


def issue(kind: str, severity: str, reqs: list[str], message: str, fix: str) -> dict[str, Any]:
    """One finding as the auditor model reports it."""
    return {
        "kind": kind,
        "severity": severity,
        "requirements": reqs,
        "message": message,
        "fix": fix,
    }


def script_auditor(
    llm: FakeLLM,
    sections: dict[str, Answer] | None = None,
    outline: Answer | None = None,
    verdicts: Callable[[str], list[dict[str, Any]]] | None = None,
) -> None:
    """Answer auditor requests by content: per section title, the outline, drift pairs."""

    def handle(body: dict[str, Any]) -> ScriptedReply | None:
        """Pick the scripted answer for one request."""
        names = [t["function"]["name"] for t in body.get("tools") or []]
        text = body["messages"][1]["content"]
        if "report_verdicts" in names:
            found = verdicts(text) if verdicts else []
            return ScriptedReply.tools([("report_verdicts", {"verdicts": found})])
        if "report_findings" not in names:
            return None
        found: list[dict[str, Any]] = []
        if text.startswith("##"):
            found = outline(text) if outline else []
        else:
            title = text.split("\n")[1].removeprefix("Section: ")
            answer = (sections or {}).get(title)
            found = answer(text) if answer else []
        return ScriptedReply.tools([("report_findings", {"findings": found})])

    llm.handler(handle)


def audit(llm: FakeLLM, *args: str) -> Any:
    """Run `charter audit ARGS` in-process against the scripted server."""
    return CliRunner().invoke(cli, ["audit", *args], env=llm.env(), catch_exceptions=False)


def audit_requests(llm: FakeLLM, start: int = 0) -> list[dict[str, Any]]:
    """Bodies of the auditor requests received since request number `start`."""
    return [r.body for r in llm.chat_requests[start:]]


def user_text(body: dict[str, Any]) -> str:
    """What a request showed the model besides the system prompt."""
    return str(body["messages"][1]["content"])


CONTRADICTION = issue(
    "contradiction",
    "ERROR",
    ["ING-2", "ING-1", "NOPE-9"],
    "ING-1 requires accepting JSON bodies while ING-2 rejects every JSON body.",
    "Remove ING-2, or narrow it to bodies that are not a JSON array of events.",
)
COMPLEMENT = issue(
    "complement",
    "WARNING",
    ["ING-1"],
    "ING-1 says what is accepted but nothing says what happens to a body that is not a JSON "
    "array of events.",
    "Add a requirement for the reply to a body that is not a JSON array of events.",
)


# -- checks and locations -----------------------------------------------------------------------


def test_contradiction_is_reported_at_its_requirement_and_fails_the_audit(
    ws: Path, llm: FakeLLM
) -> None:
    """A contradiction within a section: ERROR at ING-1's line, invented IDs dropped, exit 1."""
    use_spec(ws, "contradiction")
    script_auditor(llm, sections={"Ingest": lambda _: [CONTRADICTION]})

    result = audit(llm)

    assert result.exit_code == 1, result.output
    lines = [x for x in result.output.splitlines() if not x.startswith("charter: auditor error")]
    found = [line for line in lines if "contradiction" in line]
    assert len(found) == 1
    assert found[0].startswith("specs/telemetry.md:7: ERROR [A-")
    assert "] contradiction (ING-1, ING-2): ING-1 requires accepting JSON bodies" in found[0]
    assert found[0].endswith(
        "— fix: Remove ING-2, or narrow it to bodies that are not a JSON array of events."
    )
    assert "NOPE-9" not in "\n".join(lines)
    assert "charter: auditor error: the auditor named NOPE-9" in result.output
    # The inferred, never-confirmed MUST is flagged in code, at its own line.
    assert any(
        line.startswith("specs/telemetry.md:9: WARNING [A-") and "unconfirmed (ING-2)" in line
        for line in lines
    )
    # Two sections and the outline went to the model, with the auditor's tool forced.
    bodies = audit_requests(llm)
    assert len(bodies) == 3
    assert all(b["tool_choice"]["function"]["name"] == "report_findings" for b in bodies)


def test_examples_in_the_audit(ws: Path, llm: FakeLLM) -> None:
    """The auditor sees each example; one at odds with its requirement is a WARNING whatever
    severity the model gave; a MUST without an example is an INFO decided in code."""
    use_spec(ws, "examples")
    clash = issue(
        "example-contradiction",
        "INFO",
        ["ING-1"],
        "Example 1 of ING-1 expects exit status 1 although printing the count is a success.",
        "Drop the `[1]` line from example 1 of ING-1.",
    )
    script_auditor(llm, sections={"Ingest": lambda text: [clash] if "[1]" in text else []})

    doc = json.loads(audit(llm, "--json").output)

    (section_request,) = [user_text(b) for b in audit_requests(llm) if "Section:" in user_text(b)]
    assert "  Example 1 of ING-1 (inferred):\n    $ telemetry count batch.json\n" in (
        section_request
    )
    rows = [(f["kind"], f["severity"], f["requirements"], f["source"]) for f in doc["findings"]]
    assert ("example-contradiction", "WARNING", ["ING-1"], "model") in rows
    assert ("no-example", "INFO", ["ING-2"], "code") in rows
    assert not any(k == "no-example" and r == ["ING-1"] for k, _, r, _ in rows)


def test_complementary_constraint_names_the_missing_half(ws: Path, llm: FakeLLM) -> None:
    """A "MUST accept X" with no rule for what is not X: a WARNING at ING-1; no ERROR, exit 0."""
    use_spec(ws, "complement")
    script_auditor(llm, sections={"Ingest": lambda _: [COMPLEMENT]})

    result = audit(llm, "--json")

    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["ok"] is True
    # Besides the complement: each MUST without an example is an INFO finding, decided in code.
    assert doc["counts"] == {"ERROR": 0, "WARNING": 1, "INFO": 2}
    no_example = [f for f in doc["findings"] if f["kind"] == "no-example"]
    assert [(f["severity"], f["source"]) for f in no_example] == [("INFO", "code")] * 2
    (finding,) = [f for f in doc["findings"] if f["kind"] != "no-example"]
    assert finding["kind"] == "complement"
    assert finding["severity"] == "WARNING"
    assert finding["requirements"] == ["ING-1"]
    assert (finding["file"], finding["line"]) == ("specs/telemetry.md", 7)
    assert finding["message"].startswith("ING-1 says what is accepted but nothing says")
    assert finding["fix"] == COMPLEMENT["fix"]
    assert finding["id"].startswith("A-") and len(finding["id"]) == 8


def test_cross_section_finding_from_the_outline_is_located(ws: Path, llm: FakeLLM) -> None:
    """The one cross-spec pass sees IDs and one-line texts (no prose); its findings are located."""
    use_spec(ws, "three-sections")
    cross = issue("contradiction", "WARNING", ["PRIV-1", "REP-1"], "x", "y")
    script_auditor(llm, outline=lambda _: [cross])

    result = audit(llm, "--json")

    doc = json.loads(result.output)
    (finding,) = [f for f in doc["findings"] if f["kind"] == "contradiction"]
    assert finding["requirements"] == ["REP-1", "PRIV-1"]
    assert (finding["file"], finding["line"]) == ("specs/telemetry.md", 16)
    (outline,) = [user_text(b) for b in audit_requests(llm) if user_text(b).startswith("##")]
    assert "PRIV-1 LOCKED The service MUST NOT store client IP addresses." in outline
    assert "flaky links" not in outline and "explicit" not in outline


# -- stored per revision ------------------------------------------------------------------------


def test_json_is_stable_and_an_unchanged_revision_costs_no_model_call(
    ws: Path, llm: FakeLLM
) -> None:
    """Two runs print identical JSON; the second sends nothing; build gets the ERRORs cached."""
    use_spec(ws, "contradiction")
    script_auditor(llm, sections={"Ingest": lambda _: [CONTRADICTION]})

    first = audit(llm, "--json")
    sent = len(llm.chat_requests)
    second = audit(llm, "--json")

    assert first.exit_code == second.exit_code == 1
    assert first.output == second.output
    assert len(llm.chat_requests) == sent == 3
    doc = json.loads(first.output)
    assert list(doc) == sorted(doc)
    assert doc["revision"] == revision_key(spec_files(ws))
    # What `charter build` and the TUI read: the stored findings, no model involved.
    state_db = ws / ".charter" / "state.db"
    errors = unresolved_errors(state_db, spec_files(ws))
    assert [e.kind.value for e in errors] == ["contradiction"]
    stored = load_findings(state_db, doc["revision"])
    assert stored is not None
    assert [f.id for f in stored] == [f["id"] for f in doc["findings"]]
    edited = {**spec_files(ws), "telemetry.md": b"# Other\n"}
    assert unresolved_errors(state_db, edited) == []


def test_a_one_section_change_resends_only_that_section_and_what_it_references(
    ws: Path, llm: FakeLLM
) -> None:
    """Change PRIV-1: only Privacy (+ outline) is re-sent; change ING-1: Ingest and Reporting."""
    path = use_spec(ws, "three-sections")
    script_auditor(llm)
    assert audit(llm).exit_code == 0
    assert len(llm.chat_requests) == 4  # three sections and the outline

    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("store client IP addresses.", "store client IP or MAC addresses."), "utf-8"
    )
    start = len(llm.chat_requests)
    assert audit(llm).exit_code == 0

    bodies = audit_requests(llm, start)
    sections = [user_text(b) for b in bodies if not user_text(b).startswith("##")]
    assert len(bodies) == 2 and len(sections) == 1
    (privacy,) = sections
    assert "store client IP or MAC addresses." in privacy
    for elsewhere in ("gzip", "daily totals", "flaky links", "JSON array"):
        assert elsewhere not in privacy

    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("a JSON array of events", "a JSON array of event objects"), "utf-8"
    )
    start = len(llm.chat_requests)
    assert audit(llm).exit_code == 0

    sections = [user_text(b) for b in audit_requests(llm, start) if "File:" in user_text(b)]
    titles = sorted(s.split("\n")[1] for s in sections)
    assert titles == ["Section: Ingest", "Section: Reporting"]
    (reporting,) = [s for s in sections if "Section: Reporting" in s]
    assert "a JSON array of event objects" in reporting  # the referenced ING-1, as context
    assert "gzip" not in reporting and "IP addresses" not in reporting


def test_audit_of_a_revision_reads_that_commits_tree(ws: Path, llm: FakeLLM) -> None:
    """`charter audit HEAD` audits the committed spec, not an uncommitted edit."""
    path = use_spec(ws, "complement")
    git(ws, "add", "specs/telemetry.md")
    git(ws, "commit", "-q", "-m", "spec")
    path.write_text(path.read_text("utf-8").replace("every night", "hourly"), "utf-8")
    script_auditor(llm)

    result = audit(llm, "HEAD", "--json")

    assert result.exit_code == 0, result.output
    sent = "\n".join(user_text(b) for b in audit_requests(llm))
    assert "every night" in sent and "hourly" not in sent
    assert json.loads(result.output)["rev"] == "HEAD"
    assert audit(llm, "no-such-rev").exit_code == 2


def test_invalid_spec_is_not_audited(ws: Path, llm: FakeLLM) -> None:
    """Validation ERRORs (here: a quote the user never said) stop the audit before any model."""
    path = use_spec(ws, "complement")
    text = path.read_text("utf-8").replace("it takes batches", "it eats batches")
    path.write_text(text, "utf-8")

    result = audit(llm)

    assert result.exit_code == 1
    assert "specs/telemetry.md:8:" in result.output
    assert llm.chat_requests == []


def test_model_failure_is_one_sentence_and_exit_4(ws: Path, llm: FakeLLM) -> None:
    """A failing endpoint: exit 4 with one line naming it, no traceback, through the real CLI."""
    use_spec(ws, "complement")
    (ws / "charter.toml").write_text("[model]\nmax_retries = 0\n", "utf-8")
    llm.fault("500", times=10)

    result = run_charter("audit", cwd=ws, env=llm.env())

    assert result.code == 4, result.err
    assert "Traceback" not in result.err
    assert llm.base_url.removesuffix("/v1") in result.err
    assert len(result.err.strip().splitlines()) == 1


# -- intent-aware checks ------------------------------------------------------------------------


def test_intent_drift_quotes_the_cited_and_the_later_message(ws: Path, llm: FakeLLM) -> None:
    """The user later says the opposite of ING-1: a finding quoting both messages verbatim."""
    use_spec(ws, "complement")
    unrelated, later = say(
        ws,
        "the dashboard should be dark blue",
        "Actually, no JSON at all — devices send their batches of events as CSV  lines.",
    )
    script_auditor(
        llm,
        verdicts=lambda _: [
            {"pair": 1, "contradicts": True, "explanation": "CSV replaces the JSON array."}
        ],
    )

    result = audit(llm, "--json")

    assert result.exit_code == 1  # ING-1 is a MUST: drift from it is an ERROR
    (drift,) = [f for f in json.loads(result.output)["findings"] if f["kind"] == "drift"]
    assert drift["requirements"] == ["ING-1"]
    assert (drift["file"], drift["line"]) == ("specs/telemetry.md", 7)
    evidence = {e["message"]: e["text"] for e in drift["evidence"]}
    assert evidence == {
        "m-0001": MESSAGES[0],
        later: "Actually, no JSON at all — devices send their batches of events as CSV  lines.",
    }
    assert f'"{MESSAGES[0]}"' in drift["message"]
    assert f'"{evidence[later]}"' in drift["message"]
    # The model was asked about that pair only: the unrelated message was never sent.
    (asked,) = [user_text(b) for b in audit_requests(llm) if "Pair 1" in user_text(b)]
    assert evidence[later] in asked and "Pair 2" not in asked
    assert "dark blue" not in llm.requests_text()
    assert unrelated not in asked


def test_no_drift_when_the_model_finds_the_later_message_compatible(ws: Path, llm: FakeLLM) -> None:
    """A later message on the same topic that the judge finds compatible yields no finding."""
    use_spec(ws, "complement")
    say(ws, "batches of events as JSON are fine, keep them small")
    script_auditor(
        llm, verdicts=lambda _: [{"pair": 1, "contradicts": False, "explanation": "agrees"}]
    )

    result = audit(llm, "--json")

    assert result.exit_code == 0
    assert [f for f in json.loads(result.output)["findings"] if f["kind"] == "drift"] == []
    assert any("Pair 1" in user_text(b) for b in audit_requests(llm))


def _commit(root: Path, text: bytes, proposal: str, intent: tuple[str, str]) -> str:
    """Commit a spec version as an accepted proposal would (DESIGN §6 trailers)."""
    message = CommitMessage(
        subject=f"proposal {proposal}",
        intents=[Intent(id=intent[0], text=intent[1])],
        changes=[Change(kind=ChangeKind.MODIFIED, req_id="PRIV-1", text="x")],
        session=SESSION,
        proposal=proposal,
    )
    return commit_spec_change(root, files={"specs/telemetry.md": text}, message=message)


def test_a_proposal_that_changed_a_locked_item_unasked_is_reported(ws: Path, llm: FakeLLM) -> None:
    """PRIV-1 is LOCKED; a proposal whose message never named it changed it: a WARNING."""
    original = (FIXTURES / "three-sections" / "telemetry.md").read_bytes()
    _commit(ws, original, "p-0001", ("m-0003", MESSAGES[2]))
    (tidy,) = say(ws, "tidy up the privacy wording")
    changed = original.replace(b"MUST NOT store client IP", b"SHOULD NOT store client IP")
    sha = _commit(ws, changed, "p-0002", (tidy, "tidy up the privacy wording"))
    script_auditor(llm)

    result = audit(llm, "--json")

    (locked,) = [f for f in json.loads(result.output)["findings"] if f["kind"] == "locked-changed"]
    assert locked["requirements"] == ["PRIV-1"]
    assert locked["commit"] == sha
    assert (locked["file"], locked["line"]) == ("specs/telemetry.md", 23)
    assert sha[:12] in locked["message"] and tidy in locked["message"]

    # Asked for by name, the same kind of change is the user's explicit wish: no finding.
    (named,) = say(ws, "PRIV-1 should say MUST NOT again")
    _commit(ws, original, "p-0003", (named, "PRIV-1 should say MUST NOT again"))
    result = audit(llm, "--json")
    assert [f for f in json.loads(result.output)["findings"] if f["kind"] == "locked-changed"] == []


# -- fixing through the scribe ------------------------------------------------------------------


def test_fix_goes_through_review_and_the_commit_names_the_finding(ws: Path, llm: FakeLLM) -> None:
    """`audit fix` → a scribe proposal (spec untouched) → accept → a commit with the trailer."""
    path = use_spec(ws, "complement")
    git(ws, "add", "-A")
    git(ws, "commit", "-q", "-m", "spec")
    script_auditor(
        llm,
        sections={"Ingest": lambda text: [] if "reply 400" in text else [COMPLEMENT]},
    )
    doc = json.loads(audit(llm, "--json").output)
    (finding,) = [f for f in doc["findings"] if f["kind"] == "complement"]
    before = path.read_bytes()

    fix = {
        "summary": "reply 400 to a body that is not a JSON array of events",
        "items": [
            {
                "op": "add_requirement",
                "file": "telemetry.md",
                "section": "Ingest",
                "text": "The service MUST reply 400 to a body that is not a JSON array of events.",
                "provenance": "inferred",
                "reason": "the audit found no rule for what is not a JSON array",
            }
        ],
    }
    llm.tool_call("propose_change", fix)
    result = CliRunner().invoke(cli, ["audit", "fix", finding["id"]], env=llm.env())

    assert result.exit_code == 0, result.output
    assert "reply 400" in result.output
    assert path.read_bytes() == before  # nothing changes before the user accepts
    scribe_request = llm.chat_requests[-1].body
    assert finding["id"] in json.dumps(scribe_request["messages"])
    asked = scribe_request["messages"][-1]["content"]
    assert "for explicit items" not in asked and "never cite it" in asked
    assert "propose_change" in [t["function"]["name"] for t in scribe_request["tools"]]
    ledger = Ledger(ws / "transcripts", ws / ".charter" / "state.db")
    try:
        (event,) = [r for r in ledger.records(SESSION) if r.kind == "audit-fix"]
    finally:
        ledger.close()
    assert event.role == "event"
    assert event.data is not None and event.data["finding"] == finding["id"]

    pending = CliRunner().invoke(cli, ["pending"], env=llm.env())
    assert pending.exit_code == 0 and "reply 400" in pending.output
    accepted = CliRunner().invoke(cli, ["accept"], env=llm.env())
    assert accepted.exit_code == 0, accepted.output

    assert b"reply 400" in path.read_bytes()
    trailers = git(ws, "log", "-1", "--format=%B")
    parsed = subprocess.run(
        ["git", "interpret-trailers", "--parse"],
        input=trailers,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"Charter-Finding: {finding['id']}" in parsed.splitlines()

    # Re-auditing the fixed spec: the finding is gone.
    after = json.loads(audit(llm, "--json").output)
    assert finding["id"] not in [f["id"] for f in after["findings"]]


def test_fix_of_an_unknown_finding_is_a_usage_error(ws: Path, llm: FakeLLM) -> None:
    """An ID no audit produced: exit 2 with a hint, no model call."""
    result = CliRunner().invoke(cli, ["audit", "fix", "A-000000"], env=llm.env())
    assert result.exit_code == 2
    assert "charter audit" in result.output
    assert llm.chat_requests == []


def test_build_refuses_unresolved_audit_errors_unless_forced(ws: Path, llm: FakeLLM) -> None:
    """`charter build` of an audited revision with ERRORs stops before any build; --force builds
    it and the build record names the findings it was forced past."""
    from tests.buildkit import Script, builds, record, task

    use_spec(ws, "contradiction")
    git(ws, "add", "specs")
    git(ws, "commit", "-q", "-m", "spec with a contradiction")
    script_auditor(llm, sections={"Ingest": lambda _: [CONTRADICTION]})
    assert audit(llm).exit_code == 1
    (error,) = unresolved_errors(ws / ".charter" / "state.db", spec_files(ws))
    before = len(llm.chat_requests)

    refused = CliRunner().invoke(cli, ["build"], env=llm.env(), catch_exceptions=False)

    assert refused.exit_code == 1
    assert "1 unresolved audit ERROR(s)" in refused.output
    assert f"[{error.id}]" in refused.output
    assert builds(ws) == []
    assert len(llm.chat_requests) == before  # refused before the planner was asked

    plan = {"tasks": [task("T1", ["ING-1", "ING-2", "REP-1"], ["a.txt"], "true")], "not_built": []}
    llm.handler(Script(plan, coder=lambda tid, prompt: {}))
    forced = run_charter("build", "--force", "--plan-only", cwd=ws, env=llm.env())

    assert forced.code == 0, forced.err + forced.out
    (bdir,) = builds(ws)
    assert record(bdir)["options"]["forced_audit"] == [error.id]


# -- the auditor's own errors, and re-running on purpose ----------------------------------------

INVENTED = issue(
    "gap",
    "ERROR",
    ["ING-7"],
    "ING-7 says events are batched but nothing limits a batch's size.",
    "Add a size limit next to ING-7.",
)


def test_findings_naming_requirements_the_revision_lacks_are_the_auditors_error(
    ws: Path, llm: FakeLLM
) -> None:
    """A finding about ING-7 (no such requirement) is dropped and reported as the auditor's
    error; `--json` carries the error too; `audit fix` never sees such a finding."""
    use_spec(ws, "complement")
    script_auditor(llm, sections={"Ingest": lambda _: [INVENTED, COMPLEMENT]})

    result = audit(llm)
    assert result.exit_code == 0, result.output  # only the WARNING complement is left
    # Each MUST without an example is an INFO finding of its own (decided in code): left aside.
    printed = [x for x in result.output.splitlines() if "[A-" in x and "no-example" not in x]
    assert len(printed) == 1 and "complement (ING-1)" in printed[0]
    assert "charter: auditor error: the auditor named ING-7" in result.output
    assert "its finding was dropped" in result.output

    doc = json.loads(audit(llm, "--json").output)
    assert [f["kind"] for f in doc["findings"] if f["kind"] != "no-example"] == ["complement"]
    assert len(doc["auditor_errors"]) == 1 and "ING-7" in doc["auditor_errors"][0]


def test_fix_refuses_a_finding_whose_requirement_is_gone(ws: Path, llm: FakeLLM) -> None:
    """A stored finding about ING-1, after ING-1 was removed by hand: exit 1, no model call."""
    path = use_spec(ws, "complement")
    script_auditor(llm, sections={"Ingest": lambda _: [COMPLEMENT]})
    findings = json.loads(audit(llm, "--json").output)["findings"]
    (finding,) = [f for f in findings if f["kind"] == "complement"]
    sent = len(llm.chat_requests)
    text = path.read_text("utf-8")
    path.write_text(text.replace("- **ING-1**", "- **ING-2**"), "utf-8")

    result = CliRunner().invoke(cli, ["audit", "fix", finding["id"]], env=llm.env())
    assert result.exit_code == 1, result.output
    assert "names ING-1, which the spec does not have" in result.output
    assert "charter audit --fresh" in result.output
    assert len(llm.chat_requests) == sent


def test_fresh_re_audits_an_unchanged_revision(ws: Path, llm: FakeLLM) -> None:
    """An unchanged revision costs no model call, unless asked with --fresh: then every unit is
    sent again and the new answers replace the stored findings."""
    use_spec(ws, "complement")
    answers: dict[str, list[dict[str, Any]]] = {"Ingest": [COMPLEMENT]}
    script_auditor(llm, sections={"Ingest": lambda _: answers["Ingest"]})
    first = json.loads(audit(llm, "--json").output)
    sent = len(llm.chat_requests)
    assert json.loads(audit(llm, "--json").output) == first
    assert len(llm.chat_requests) == sent

    answers["Ingest"] = []
    fresh = json.loads(audit(llm, "--json", "--fresh").output)
    assert len(llm.chat_requests) == 2 * sent
    model_found = [f for f in fresh["findings"] if f["source"] == "model"]
    assert model_found == [] and [f for f in first["findings"] if f["source"] == "model"]
    assert json.loads(audit(llm, "--json").output) == fresh
