"""The TUI's key rules, as a user meets them: the review keys act on the proposal awaiting review
whatever has focus (in the chat input only while it is empty), and every dialog follows one rule
(Enter confirms, Escape cancels, ctrl+j starts a new line in a multi-line field).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from charter.app.tui.app import CharterApp
from charter.app.tui.screens.dialogs import EditProposal, TextPrompt
from charter.app.tui.widgets.chat.input import ChatInput
from tests.fakellm import FakeLLM
from tests.tui_support import (
    PROPOSAL,
    git,
    head,
    ledger_records,
    main_of,
    make_workspace,
    open_card,
    running,
    settle,
    type_text,
)

MESSAGE = "please reject batches of more than 500 events"


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """The telemetry workspace (four ledger records, one commit)."""
    return make_workspace(tmp_path / "ws")


async def propose(pilot: Pilot[None], app: CharterApp) -> None:
    """Send MESSAGE; the scripted scribe answers with PROPOSAL, whose card then awaits review."""
    main_of(app).query_one(ChatInput).focus()
    await type_text(pilot, MESSAGE)
    await pilot.press("enter")
    await settle(pilot, app)
    open_card(app)


def commits_since(ws: Path, rev: str) -> int:
    """How many commits were made after `rev`."""
    return int(git(ws, "rev-list", "--count", f"{rev}..HEAD").strip())


async def test_review_keys_act_from_the_empty_chat_input(ws: Path, llm: FakeLLM) -> None:
    """F2 then a: the proposal is accepted (one commit), nothing is typed into the input."""
    llm.tool_call("propose_change", PROPOSAL)
    before = head(ws)
    async with running(ws, llm.env()) as (app, pilot):
        await propose(pilot, app)
        card = open_card(app)
        chat_input = main_of(app).chat_input
        assert "a accept" in chat_input.placeholder  # the input says the keys act on the card
        await pilot.press("f2")
        assert app.focused is chat_input
        await pilot.press("a")
        await settle(pilot, app)
        assert chat_input.text == ""
        assert card.resolved is not None and card.resolved.startswith("accepted · commit")
        assert "a accept" not in chat_input.placeholder
    assert commits_since(ws, before) == 1


async def test_once_typing_starts_review_keys_are_text(ws: Path, llm: FakeLLM) -> None:
    """A message that has begun takes every key; in the empty input r opens the reject dialog,
    and Escape there leaves the proposal open."""
    llm.tool_call("propose_change", PROPOSAL)
    async with running(ws, llm.env()) as (app, pilot):
        await propose(pilot, app)
        card = open_card(app)
        await pilot.press("f2")
        await type_text(pilot, "hm, are you sure")
        chat_input = main_of(app).chat_input
        assert chat_input.text == "hm, are you sure"
        assert isinstance(app.screen, type(main_of(app)))
        chat_input.clear()
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, TextPrompt)
        await pilot.press("escape")
        await settle(pilot, app)
        assert card.resolved is None and open_card(app) is card
        assert chat_input.text == ""


async def test_review_keys_act_from_a_side_pane(ws: Path, llm: FakeLLM) -> None:
    """With the focus in History (F4), e opens the proposal editor; Enter accepts the edit."""
    llm.tool_call("propose_change", PROPOSAL)
    before = head(ws)
    async with running(ws, llm.env()) as (app, pilot):
        await propose(pilot, app)
        card = open_card(app)
        await pilot.press("f4")
        await settle(pilot, app)
        assert app.focused is not None and app.focused.id == "commit-list"
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, EditProposal)
        await pilot.press("enter")
        await settle(pilot, app)
        assert card.resolved is not None and card.resolved.startswith("accepted · commit")
    assert commits_since(ws, before) == 1


async def test_multi_line_dialog_enter_confirms_ctrl_j_breaks_lines(ws: Path, llm: FakeLLM) -> None:
    """In the reject dialog ctrl+j starts a new line and Enter confirms: the two-line reason is
    recorded verbatim and nothing is committed."""
    llm.tool_call("propose_change", PROPOSAL)
    llm.reply("Understood.")
    before = head(ws)
    reason = "not now\nthe devices batch on their own"
    async with running(ws, llm.env()) as (app, pilot):
        await propose(pilot, app)
        card = open_card(app)
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, TextPrompt)
        await type_text(pilot, reason)  # the newline is typed as ctrl+j
        await pilot.press("enter")
        await settle(pilot, app)
        assert card.resolved is not None and card.resolved.startswith("rejected: not now")
    assert head(ws) == before
    rejects = [r for r in ledger_records(ws) if r.get("kind") == "reject"]
    assert [r["text"] for r in rejects if r["role"] == "user"] == [reason]
