"""The TUI's Audit pane driven through Pilot against the scripted model server: running the audit,
stored findings on the next start without a model call, the severity filter, jumping to a
finding's requirement, fixing a finding through the scribe (the commit names the finding), and an
endpoint failure as a notification.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import OptionList, Static

from charter.app.tui.app import CharterApp
from charter.app.tui.commands import CharterCommands
from charter.app.tui.widgets.audit import AuditPane
from charter.app.tui.widgets.chat.review_card import ReviewCard
from tests.fakellm import FakeLLM
from tests.tui_support import (
    CONTRADICTION,
    Notes,
    auditor_requests,
    git,
    head,
    ledger_records,
    main_of,
    make_workspace,
    proposal,
    running,
    script_auditor,
    settle,
    static_text,
    wait_for,
)


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """The telemetry workspace (four ledger records, one commit)."""
    return make_workspace(tmp_path / "ws")


def pane_of(app: CharterApp) -> AuditPane:
    """The audit pane."""
    return main_of(app).query_one(AuditPane)


def listed(app: CharterApp) -> list[str]:
    """The list's lines as the user reads them."""
    options = pane_of(app).query_one("#audit-list", OptionList)
    if not options.display:
        return []
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def run_audit(pilot: Pilot[None], app: CharterApp, notes: Notes) -> None:
    """F6, then R; wait for the audit's notification."""
    await pilot.press("f6")
    await pilot.press("R")
    await wait_for(pilot, lambda: "Audit" in notes.text())
    await settle(pilot, app)


async def test_run_audit_then_stored_findings_show_on_the_next_start(
    ws: Path, llm: FakeLLM
) -> None:
    """R runs the audit: the contradiction is listed with its location, literally; the next start
    shows the same findings without any model call, and R again reuses the cache."""
    script_auditor(llm, {"Ingest": [CONTRADICTION]})
    notes = Notes()
    async with running(ws, llm.env(), notes) as (app, pilot):
        before = listed(app)
        assert "Not audited yet" in static_text(pane_of(app).query_one("#audit-status", Static))
        await run_audit(pilot, app, notes)
        assert "Audit: 1 error" in notes.text()
        lines = listed(app)
        assert len(lines) > len(before)
        assert any(
            line.startswith("ERROR   ING-1, ING-2 contradiction ING-1 accepts any JSON array")
            and "[bold]without[/]" in line
            for line in lines
        )
        first = pane_of(app).highlighted()
        assert first is not None
        calls = auditor_requests(llm)
        assert calls >= 2
    requests = len(llm.chat_requests)
    second_notes = Notes()
    async with running(ws, llm.env(), second_notes) as (again, pilot):
        assert listed(again) == lines
        pane = pane_of(again)
        status = static_text(pane.query_one("#audit-status", Static))
        assert "Audit: 1 error" in status
        assert len(llm.chat_requests) == requests
        await run_audit(pilot, again, second_notes)
        assert "no model call (all cached)" in second_notes.text()
        assert len(llm.chat_requests) == requests


async def test_filter_and_jump_to_the_requirement(ws: Path, llm: FakeLLM) -> None:
    """f narrows the list to one severity at a time; enter on a finding highlights its first
    requirement in the spec tree, and enter again on it the next one."""
    script_auditor(llm, {"Ingest": [CONTRADICTION]})
    notes = Notes()
    async with running(ws, llm.env(), notes) as (app, pilot):
        await run_audit(pilot, app, notes)
        pane = pane_of(app)
        severities = {f.severity for f in pane.findings}
        assert {"ERROR", "WARNING"} <= severities
        await pilot.press("f")
        assert pane.severity == "ERROR"
        assert listed(app) and all(line.startswith("ERROR") for line in listed(app))
        await pilot.press("f")
        assert pane.severity == "WARNING"
        assert listed(app) and all(line.startswith("WARNING") for line in listed(app))
        await pilot.press("f", "f")
        assert pane.severity == "all"
        main_of(app).action_audit_filter("ERROR")
        await pilot.pause()
        assert pane.highlighted() is not None and pane.highlighted().requirements == (  # type: ignore[union-attr]
            "ING-1",
            "ING-2",
        )
        await pilot.press("enter")
        await pilot.pause()
        tree = main_of(app).spec_tree
        assert app.focused is tree and tree.highlighted_requirement() == "ING-1"
        await pilot.press("f6", "enter")
        await pilot.pause()
        assert tree.highlighted_requirement() == "ING-2"


async def test_fix_goes_through_the_scribe_and_the_commit_names_the_finding(
    ws: Path, llm: FakeLLM
) -> None:
    """x on a finding: the request is recorded, the scribe's proposal appears as a card in the
    chat, and accepting it makes one commit with the Charter-Finding trailer."""
    script_auditor(llm, {"Ingest": [CONTRADICTION]})
    llm.tool_call(
        "propose_change",
        proposal(
            "limit applies to batches",
            {
                "op": "modify_requirement",
                "id": "ING-2",
                "provenance": "inferred",
                "reason": "resolves the audit's contradiction",
                "text": "The service MUST reply 413 to a batch whose body is over 1 MiB.",
            },
        ),
    )
    notes = Notes()
    before = head(ws)
    async with running(ws, llm.env(), notes) as (app, pilot):
        await run_audit(pilot, app, notes)
        main_of(app).action_audit_filter("ERROR")
        await pilot.pause()
        finding = pane_of(app).highlighted()
        assert finding is not None and finding.kind == "contradiction"
        await pilot.press("x")
        await settle(pilot, app)
        card = main_of(app).chat_log.open_card()
        assert isinstance(card, ReviewCard) and app.focused is card
        assert "limit applies to batches" in static_text(card.query_one(".card-items", Static))
        await pilot.press("a")
        await settle(pilot, app)
        assert card.resolved is not None and card.resolved.startswith("accepted")
        await wait_for(pilot, lambda: (pane_of(app).audit or None) is not None)
        status = static_text(pane_of(app).query_one("#audit-status", Static))
        assert "Not audited yet" in status  # the spec changed: a new revision
    assert git(ws, "rev-list", "--count", f"{before}..HEAD").strip() == "1"
    message = git(ws, "log", "-1", "--format=%B")
    assert f"Charter-Finding: {finding.key}" in message
    fixes = [r for r in ledger_records(ws) if r.get("kind") == "audit-fix"]
    assert len(fixes) == 1 and finding.key in fixes[0]["text"]
    assert "fix audit finding" in llm.requests_text()


async def test_endpoint_error_during_the_audit_is_a_notification(ws: Path, llm: FakeLLM) -> None:
    """A 500 from the endpoint: a notification naming the cause, the pane is still usable."""
    llm.fault("500", times=10)
    notes = Notes()
    async with running(ws, llm.env(), notes) as (app, pilot):
        await run_audit(pilot, app, notes)
        assert "Audit failed" in notes.text() and "500" in notes.text()
        pane = pane_of(app)
        assert not pane.running and pane.audit is not None and not pane.audit.audited


async def test_audit_palette_entries(ws: Path, llm: FakeLLM) -> None:
    """The palette offers running, filtering, jumping and fixing."""
    async with running(ws, llm.env()) as (app, _):
        titles = [str(hit.text) async for hit in CharterCommands(main_of(app)).discover()]
        for title in (
            "Run audit",
            "Audit: errors only",
            "Audit: all findings",
            "Jump to finding's requirement",
            "Fix audit finding",
        ):
            assert title in titles
