"""Hand edits before a turn, through Pilot: the spec has uncommitted edits when the user sends a
message; a dialog offers to commit them as their own change, set them aside, or cancel (Enter
picks, Escape cancels); the message is in the ledger first, sent after the choice, or kept
unanswered (and back in the input) on cancel.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from charter.app.tui.app import CharterApp
from charter.app.tui.screens.dialogs import HandEditsChoice
from charter.graphs.intent import set_asides
from tests.fakellm import FakeLLM
from tests.tui_support import (
    SPEC,
    git,
    head,
    ledger_records,
    main_of,
    make_workspace,
    running,
    settle,
    type_text,
    wait_for,
)

HAND = SPEC.replace("per device.", "per device and per day.")
MESSAGE = "what do the reports show?"


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """The telemetry workspace with REP-1 edited by hand, uncommitted."""
    root = make_workspace(tmp_path / "ws")
    (root / "specs" / "telemetry.md").write_text(HAND, encoding="utf-8")
    return root


async def send_into_dialog(pilot: Pilot[None], app: CharterApp) -> HandEditsChoice:
    """Type the message, press Enter, and wait for the hand-edits dialog."""
    main_of(app).chat_input.focus()
    await type_text(pilot, MESSAGE)
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, HandEditsChoice))
    assert isinstance(app.screen, HandEditsChoice)
    assert "specs/telemetry.md" in app.screen.summary
    return app.screen


def users(ws: Path) -> list[str]:
    """The user's messages in the ledger."""
    records = ledger_records(ws)
    return [
        r["text"] for r in records if (r["role"], r.get("kind", "message")) == ("user", "message")
    ]


async def test_commit_hand_edits_then_the_turn_runs(ws: Path, llm: FakeLLM) -> None:
    """Enter on the first choice: the hand edit is its own commit (no words quoted), then the
    message is sent and answered."""
    llm.reply("They show daily totals per device and per day.")
    before = head(ws)
    async with running(ws, llm.env()) as (app, pilot):
        await send_into_dialog(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
        assert main_of(app).chat_input.text == ""
    assert git(ws, "rev-list", "--count", f"{before}..HEAD").strip() == "1"
    assert "Charter-Hand-Edit" in git(ws, "log", "-1", "--format=%B")
    assert git(ws, "status", "--porcelain", "specs").strip() == ""
    assert users(ws)[-1] == MESSAGE
    assert "daily totals per device and per day" in [r["text"] for r in ledger_records(ws)][-1]


async def test_set_aside_hand_edits_then_the_turn_runs(ws: Path, llm: FakeLLM) -> None:
    """Down, Enter: the edits are saved away, the spec is back at HEAD, the message is sent."""
    llm.reply("They show daily totals per device.")
    before = head(ws)
    async with running(ws, llm.env()) as (app, pilot):
        await send_into_dialog(pilot, app)
        await pilot.press("down", "enter")
        await settle(pilot, app)
    assert head(ws) == before
    assert (ws / "specs" / "telemetry.md").read_text(encoding="utf-8") == SPEC
    assert len(set_asides(ws / ".charter")) == 1
    assert users(ws)[-1] == MESSAGE


async def test_escape_keeps_the_message_and_sending_it_again_answers_it(
    ws: Path, llm: FakeLLM
) -> None:
    """Escape: nothing committed, set aside or sent to the model, but the message is already in
    the ledger (held, not answered) and back in the input; sending it again after committing
    the hand edit answers that same record."""
    llm.reply("They show daily totals per device and per day.")
    async with running(ws, llm.env()) as (app, pilot):
        records = len(ledger_records(ws))
        await send_into_dialog(pilot, app)
        await pilot.press("escape")
        await settle(pilot, app)
        assert app.screen is main_of(app)
        assert main_of(app).chat_input.text == MESSAGE
        kept = ledger_records(ws)[records:]
        assert [(r["role"], r["kind"], r["text"][:24]) for r in kept] == [
            ("user", "message", MESSAGE[:24]),
            ("event", "held", "not answered yet: the sp"),
        ]
        assert not llm.chat_requests
        assert (ws / "specs" / "telemetry.md").read_text(encoding="utf-8") == HAND

        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, HandEditsChoice))
        await pilot.press("enter")
        await settle(pilot, app)
    assert users(ws).count(MESSAGE) == 1, "answered, not written twice"
    assert ledger_records(ws)[-1]["reply_to"] == kept[0]["id"]
    assert "Charter-Hand-Edit" in git(ws, "log", "-1", "--format=%B")
