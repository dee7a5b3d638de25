"""Snapshots of the TUI's screens at 120×40 and 80×24: the main screen, a review card, the
setup screen and the help screen. The workspace is fixed (spec, ledger session, commit dates),
so every frame is deterministic; update with `pytest --snapshot-update` and look at the SVGs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from charter.agents import ModelFactory
from charter.app.tui.app import CharterApp
from charter.app.tui.screens.dialogs import TextPrompt
from charter.app.tui.widgets.chat.input import ChatInput
from charter.app.tui.widgets.text_field import TextField
from charter.app.workspace import open_workspace
from charter.graphs.intent import IntentSession
from tests.fakellm import FakeLLM
from tests.tui_support import add_item, fix_git_dates, make_workspace, proposal

SnapCompare = Callable[..., bool]
SIZES = [pytest.param((120, 40), id="120x40"), pytest.param((80, 24), id="80x24")]


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The telemetry workspace with fixed commit dates (a stable HEAD in the status bar)."""
    fix_git_dates(monkeypatch)
    return make_workspace(tmp_path / "ws")


def settled(*keys: str) -> Callable[[Pilot[None]], object]:
    """A run_before that waits for the app to load, stops the cursor blinking, presses keys."""

    async def run_before(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, CharterApp)
        await app.wait_ready()
        for widget in app.query(ChatInput) if app.main is None else app.main.query(ChatInput):
            widget.cursor_blink = False
        await pilot.press(*keys)
        await app.workers.wait_for_complete()
        await pilot.pause()

    return run_before


def propose_pending(ws: Path, llm: FakeLLM) -> None:
    """Leave a proposal awaiting review, made by the real intent session."""
    llm.tool_call(
        "propose_change",
        proposal(
            "reject oversized batches",
            add_item(
                "The service MUST reject a batch of more than 500 events.", "more than 500 events"
            ),
            add_item("The service SHOULD log each rejected batch."),
        ),
    )
    workspace = open_workspace(ws)
    factory = ModelFactory(workspace.config.model, env=llm.env(), usage_db=workspace.state_db)
    with IntentSession(
        ws,
        workspace.spec_dir,
        workspace.transcripts_dir,
        workspace.state_dir,
        workspace.checkpoints_db,
        factory,
        "fake-model",
    ) as session:
        outcome = session.say("please reject batches of more than 500 events")
    assert outcome.kind == "proposal"


@pytest.mark.parametrize("size", SIZES)
def test_main_screen(
    snap_compare: SnapCompare, ws: Path, llm: FakeLLM, size: tuple[int, int]
) -> None:
    """Spec tree with badges, chat with literal user text, status bar and footer."""
    app = CharterApp(ws, env=llm.env(), take_lock=False)
    assert snap_compare(app, terminal_size=size, run_before=settled())


@pytest.mark.parametrize("size", SIZES)
def test_review_card(
    snap_compare: SnapCompare, ws: Path, llm: FakeLLM, size: tuple[int, int]
) -> None:
    """A pending proposal's card: items with badges and quotes, the diff, the review keys."""
    propose_pending(ws, llm)
    app = CharterApp(ws, env=llm.env(), take_lock=False)
    assert snap_compare(app, terminal_size=size, run_before=settled())


@pytest.mark.parametrize("size", SIZES)
def test_setup_screen(snap_compare: SnapCompare, ws: Path, size: tuple[int, int]) -> None:
    """No model configured: what to set."""
    app = CharterApp(ws, env={}, take_lock=False)
    assert snap_compare(app, terminal_size=size, run_before=settled())


@pytest.mark.parametrize("size", SIZES)
def test_help_screen(
    snap_compare: SnapCompare, ws: Path, llm: FakeLLM, size: tuple[int, int]
) -> None:
    """F1: keys, badges and actions."""
    app = CharterApp(ws, env=llm.env(), take_lock=False)
    assert snap_compare(app, terminal_size=size, run_before=settled("f1"))


@pytest.mark.parametrize("size", SIZES)
def test_spec_pane(
    snap_compare: SnapCompare, ws: Path, llm: FakeLLM, size: tuple[int, int]
) -> None:
    """F3 and a requirement highlighted: at 80x24 the tree and detail fill the width, at 120x40
    they sit beside the chat."""
    app = CharterApp(ws, env=llm.env(), take_lock=False)
    assert snap_compare(app, terminal_size=size, run_before=settled("f3", "down", "down"))


@pytest.mark.parametrize("size", SIZES)
def test_reject_dialog(
    snap_compare: SnapCompare, ws: Path, llm: FakeLLM, size: tuple[int, int]
) -> None:
    """r from the empty chat input (F2) opens the reason dialog, which shows the key rule."""
    propose_pending(ws, llm)
    app = CharterApp(ws, env=llm.env(), take_lock=False)

    async def run_before(pilot: Pilot[None]) -> None:
        await settled("f2")(pilot)  # type: ignore[misc]
        await pilot.press("r")  # the review worker now waits for the dialog: no worker wait
        await pilot.pause()
        assert isinstance(pilot.app.screen, TextPrompt)
        field = pilot.app.screen.query_one(TextField)
        field.cursor_blink = False
        # The dialog focuses its field after mounting; under load that can land a frame later.
        for _ in range(100):
            if field.has_focus:
                break
            await pilot.pause(0.02)
        assert field.has_focus
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)
