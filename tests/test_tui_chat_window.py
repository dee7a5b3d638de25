"""A long session in the chat, through Pilot: it opens on a window read from the end of the
ledger file, and "load earlier" pages back through the file, so every message can be reached,
in order and once, without the session ever being read whole.
"""

from __future__ import annotations

from pathlib import Path

from charter.app.tui.widgets.chat.log import WINDOW, ChatLog, UserMessage
from charter.transcripts import Ledger
from tests.tui_support import (
    ledger_records,
    main_of,
    make_workspace,
    running,
    settle,
    static_text,
)

FILLER = "x" * 1000
"""~1 kB per message: the 64 kB first read then holds only part of a 200-message session."""


async def test_load_earlier_pages_back_through_a_long_session(tmp_path: Path) -> None:
    """200 one-kilobyte messages: the first frame reads only the file's tail; pressing "load
    earlier" until it disappears shows every user message of the ledger exactly once, in order."""
    ws = make_workspace(tmp_path / "ws", messages=0)
    ledger = Ledger(ws / "transcripts", ws / ".charter" / "state.db", state_dir=ws / ".charter")
    session = ledger.current_session()
    for n in range(200):
        ledger.append(session, "user", f"extra message {n} {FILLER}")
    ledger.close()
    expected = [r["text"] for r in ledger_records(ws) if r["role"] == "user"]
    async with running(ws, {}) as (app, pilot):
        await pilot.press("escape")  # the setup screen
        log = main_of(app).query_one(ChatLog)
        assert len(log.query(UserMessage)) <= WINDOW
        assert not log.complete and len(log.records) < len(expected)  # only the tail was read
        button = log.query_one("#load-earlier")
        presses = 0
        while button.display:
            assert app.main is not None
            app.main.action_load_earlier()
            await settle(pilot, app)
            presses += 1
            assert presses < 20, "load earlier never reached the session's first message"
            # Never more read than one 64 kB page (~64 of these messages) beyond what is shown.
            assert len(log.records) - len(log.query(UserMessage)) <= 70
        shown = [static_text(w) for w in log.query(UserMessage)]
    assert shown == expected
