"""80x24 is a first-class size: below 100 columns the side pane and the chat take turns at the
full width (F3-F6 show a side pane, F2 the chat), instead of squeezing both side by side.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from charter.app.tui.app import CharterApp
from charter.app.tui.widgets.chat.pane import ChatPane
from tests.fakellm import FakeLLM
from tests.tui_support import (
    add_item,
    main_of,
    make_workspace,
    open_card,
    proposal,
    settle,
    type_text,
)


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """The telemetry workspace (four ledger records, one commit)."""
    return make_workspace(tmp_path / "ws")


async def test_at_80x24_the_spec_tree_gets_the_whole_width(ws: Path, llm: FakeLLM) -> None:
    """F3 shows the spec tree across the screen with every requirement's text uncut; F2 brings
    the chat back at full width; a proposal arriving shows the chat with its card."""
    llm.tool_call(
        "propose_change",
        proposal("log rejects", add_item("The service SHOULD log each rejected batch.")),
    )
    app = CharterApp(ws, env=llm.env())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        main = main_of(app)
        side, chat = main.query_one("#side"), main.query_one(ChatPane)
        assert chat.display and chat.region.width == 80 and not side.display
        await pilot.press("f3")
        await pilot.pause()
        assert side.display and side.region.width == 80 and not chat.display
        tree = main.spec_tree
        lines = [tree.render_line(y).text for y in range(tree.size.height)]
        shown = "\n".join(lines)
        assert "ING-1 The service MUST accept `POST /events` with a JSON" in shown
        assert "REP-1 The service SHOULD report daily totals per device." in shown
        await pilot.press("f2")
        await pilot.pause()
        assert chat.display and chat.region.width == 80 and not side.display
        await type_text(pilot, "log rejected batches")
        await pilot.press("f3", "enter")  # Enter in the tree; the message is still a draft
        await pilot.pause()
        await pilot.press("f2", "enter")
        await settle(pilot, app)
        card = open_card(app)
        assert chat.display and not side.display and app.focused is card


async def test_at_120x40_both_show_side_by_side(ws: Path, llm: FakeLLM) -> None:
    """Wide terminals keep the side pane beside the chat, whatever has the focus."""
    app = CharterApp(ws, env=llm.env())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        main = main_of(app)
        side, chat = main.query_one("#side"), main.query_one(ChatPane)
        await pilot.press("f3")
        await pilot.pause()
        assert side.display and chat.display
        assert side.region.width + chat.region.width == 120
