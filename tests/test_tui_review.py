"""The review card through Pilot: it renders the shared review rows (`graphs.intent.review_items`),
so example operations (+ex ~ex -ex) show their mark and their shell session line by line, and
accepting them from the card changes the spec's examples.
"""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Static

from charter.app.tui.app import CharterApp
from charter.app.tui.widgets.chat.input import ChatInput
from charter.specs import load_spec_dir
from tests.fakellm import FakeLLM
from tests.tui_support import (
    main_of,
    make_workspace,
    open_card,
    proposal,
    running,
    settle,
    static_text,
    type_text,
)

SESSION_A = "$ curl -X POST /events -d '[]'\n202 Accepted"
SESSION_B = "$ curl -X POST /events -d 'x'\n400 Bad Request\n[22]"


def example(op: str, **fields: object) -> dict[str, object]:
    """A propose_change item on ING-1's examples, inferred."""
    return {"op": op, "id": "ING-1", "provenance": "inferred", "reason": "shows it", **fields}


async def send(pilot: Pilot[None], app: CharterApp, text: str) -> None:
    """Type a message into the chat input, press Enter and wait for the turn."""
    main_of(app).query_one(ChatInput).focus()
    await type_text(pilot, text)
    await pilot.press("enter")
    await settle(pilot, app)


async def test_example_operations_show_on_the_card_and_commit(tmp_path: Path, llm: FakeLLM) -> None:
    """Add two examples, then change one and remove the other, all reviewed on cards: each item
    shows its mark (+ex ~ex -ex), its requirement and its session line by line."""
    ws = make_workspace(tmp_path / "ws")
    llm.tool_call(
        "propose_change",
        proposal(
            "examples for ingest",
            example("add_example", session=SESSION_A),
            example("add_example", session=SESSION_B),
        ),
    )
    llm.tool_call(
        "propose_change",
        proposal(
            "fix the examples",
            example("modify_example", example=1, session="$ curl -X POST /events\n202"),
            example("remove_example", example=2),
        ),
    )
    async with running(ws, llm.env()) as (app, pilot):
        await send(pilot, app, "show how ingest is called")
        card = open_card(app)
        items = static_text(card.query_one(".card-items", Static))
        assert "+ex I   ING-1 [telemetry.md] new example" in items
        assert "│ $ curl -X POST /events -d '[]'\n" in items and "│ 202 Accepted\n" in items
        assert "│ [22]" in items  # the exit status line is kept, not folded away
        assert not card.proposal.inferred  # examples are not requirements to confirm
        await pilot.press("a")
        await settle(pilot, app)
        assert card.resolved is not None and card.resolved.startswith("accepted")

        await send(pilot, app, "the output is just 202; drop the bad request one")
        card = open_card(app)
        items = static_text(card.query_one(".card-items", Static))
        changed = "~ex I   ING-1 [telemetry.md] example, changed to\n       │ $ curl -X POST"
        removed = "-ex I   ING-1 [telemetry.md] example removed\n       │ $ curl -X POST /events -d"
        assert changed in items and removed in items
        await pilot.press("e")  # the editor says example items have no text to edit
        await pilot.pause()
        text = app.screen.query_one("#prompt-text").text  # type: ignore[attr-defined]
        assert "# item 1 (modify example) has no text to edit" in text
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("a")
        await settle(pilot, app)
    spec, _ = load_spec_dir(ws / "specs")
    found = spec.find("ING-1")
    assert found is not None
    assert [e.body for e in found[2].examples] == ["$ curl -X POST /events\n202"]
