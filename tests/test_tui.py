"""The TUI driven through Pilot against the scripted model server: a turn ends in a review card,
and each review key does what the user expects (commit, recorded reason, edited text,
confirmation); a pending proposal survives a restart; browsing works without a model; another
process holding the lock makes the TUI read-only.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from textual import events
from textual.command import CommandList
from textual.pilot import Pilot
from textual.widgets import OptionList, RichLog, Static

from charter.agents.settings import Price
from charter.app.config import load_config, write_config
from charter.app.tui.app import CharterApp
from charter.app.tui.commands import CharterCommands
from charter.app.tui.screens.dialogs import EditProposal, SessionPicker
from charter.app.tui.screens.setup import SetupScreen
from charter.app.tui.widgets.builds import BuildsPane
from charter.app.tui.widgets.chat.input import ChatInput
from charter.app.tui.widgets.chat.log import UserMessage
from charter.app.tui.widgets.status_bar import StatusBar
from tests.buildkit import Script, result, task
from tests.conftest import run_charter
from tests.fakellm import FakeLLM
from tests.tui_support import (
    PROPOSAL,
    SESSION,
    SIZE,
    Notes,
    answer_prompt,
    git,
    head,
    ledger_records,
    main_of,
    make_workspace,
    open_card,
    running,
    settle,
    static_text,
    type_text,
    wait_for,
)

MESSAGE = "please reject batches of more than 500 events [bold]now[/]"


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """The telemetry workspace (four ledger records, one commit)."""
    return make_workspace(tmp_path / "ws")


async def send(pilot: Pilot[None], app: CharterApp, text: str) -> None:
    """Type a message into the chat input and press Enter, then wait for the turn."""
    main_of(app).query_one(ChatInput).focus()
    await type_text(pilot, text)
    await pilot.press("enter")
    await settle(pilot, app)


async def test_send_shows_card_and_accept_commits(ws: Path, llm: FakeLLM) -> None:
    """Send → proposal card with badges and the verbatim quote → a → one commit, spec updated;
    the status bar counts the session's tokens and, with prices configured, their cost."""
    config = load_config(ws / "charter.toml")
    config.model.prices = {"fake-model": Price(input=1.0, output=2.0)}
    write_config(ws / "charter.toml", config)
    llm.tool_call("propose_change", PROPOSAL, usage=(1000, 500))
    before = head(ws)
    async with running(ws, llm.env()) as (app, pilot):
        await send(pilot, app, MESSAGE)
        card = open_card(app)
        assert app.focused is card
        items = static_text(card.query_one(".card-items", Static))
        assert "E   ING-4" in items and "“more than 500 events” (m-0005)" in items
        assert "I   ING-5" in items and "operators need to see rejections" in items
        assert "+- **ING-4** The service MUST reject" in static_text(
            card.query_one(".card-diff", Static)
        )
        users = [static_text(w) for w in main_of(app).query(UserMessage)]
        assert users[-1] == MESSAGE  # exactly as typed: markup-like text stays literal
        await pilot.press("a")
        await settle(pilot, app)
        assert card.resolved is not None and card.resolved.startswith("accepted · commit")
        assert app.focused is main_of(app).query_one(ChatInput)
        tree = app.main.spec_tree
        assert tree.spec is not None and tree.spec.find("ING-4") is not None
        status = main_of(app).query_one(StatusBar).info
        assert status.head == head(ws)[:7]
        assert status.usage == "1,500 tokens · $0.0020"
    assert git(ws, "rev-list", "--count", f"{before}..HEAD").strip() == "1"
    message = git(ws, "log", "-1", "--format=%B")
    assert "Charter-Proposal: p-0001" in message and MESSAGE in message
    spec = (ws / "specs" / "telemetry.md").read_text(encoding="utf-8")
    assert "- **ING-4** The service MUST reject a batch of more than 500 events." in spec
    user = [r for r in ledger_records(ws) if r["role"] == "user"][-1]
    assert user["text"] == MESSAGE


async def test_reject_asks_for_a_reason_and_records_it(ws: Path, llm: FakeLLM) -> None:
    """r opens a reason dialog; the reason is in the ledger verbatim and nothing is committed."""
    llm.tool_call("propose_change", PROPOSAL)
    llm.reply("Understood, no limit then.")
    before = head(ws)
    reason = "no limits for now: the devices batch on their own"
    async with running(ws, llm.env()) as (app, pilot):
        await send(pilot, app, MESSAGE)
        card = open_card(app)
        await answer_prompt(pilot, app, "r", reason, submit="ctrl+s")
        assert card.resolved == f"rejected: {reason}"
        await send(pilot, app, "ok, what next?")
    assert head(ws) == before
    rejects = [r for r in ledger_records(ws) if r.get("kind") == "reject" and r["role"] == "user"]
    assert [r["text"] for r in rejects] == [reason]
    assert reason in llm.requests_text()  # the scribe hears why on the next turn


async def test_cancelled_reject_keeps_the_card_open(ws: Path, llm: FakeLLM) -> None:
    """Escape in the reason dialog changes nothing: the proposal still awaits review."""
    llm.tool_call("propose_change", PROPOSAL)
    async with running(ws, llm.env()) as (app, pilot):
        await send(pilot, app, MESSAGE)
        card = open_card(app)
        await pilot.press("r")
        await pilot.pause()
        await pilot.press("escape")
        await settle(pilot, app)
        assert card.resolved is None and open_card(app) is card
    assert not [r for r in ledger_records(ws) if r.get("kind") == "reject"]


async def test_edit_commits_the_users_text_as_explicit(ws: Path, llm: FakeLLM) -> None:
    """e opens the items in a TextArea; the edited text is committed, explicit, citing the edit."""
    llm.tool_call("propose_change", PROPOSAL)
    edited = "The service MUST reject a batch of more than 1000 events."
    async with running(ws, llm.env()) as (app, pilot):
        await send(pilot, app, MESSAGE)
        await pilot.press("e")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, EditProposal)
        area = dialog.query_one("#prompt-text")
        text = area.text  # type: ignore[attr-defined]
        assert "[1] The service MUST reject a batch of more than 500 events." in text
        card = open_card(app)
        area.load_text(text.replace("more than 500 events.", "more than 1000 events."))  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert app.main is not None and app.main.chat_log.open_card() is None
        # The card now shows what was committed: the edited text, not the scribe's.
        assert card.resolved is not None and card.resolved.startswith("accepted · commit")
        items = static_text(card.query_one(".card-items", Static))
        diff = static_text(card.query_one(".card-diff", Static))
        assert f"E   ING-4 [telemetry.md § Ingest] {edited}" in items
        assert "500 events" not in items
        assert f"+- **ING-4** {edited}" in diff and "500 events" not in diff
    spec = (ws / "specs" / "telemetry.md").read_text(encoding="utf-8")
    edits = [r for r in ledger_records(ws) if r.get("kind") == "edit"]
    assert [r["text"] for r in edits] == [edited]
    assert f'- **ING-4** {edited}\n  > explicit ({edits[0]["id"]}): "{edited}"' in spec
    assert f"“{edited}” ({edits[0]['id']})" in items


async def test_confirm_in_card_accepts_and_confirms_inferred_items(ws: Path, llm: FakeLLM) -> None:
    """c on a card: ONE commit holds the proposal with its inferred item confirmed, citing ONE
    ledger record with the user's note; the card shows the item as confirmed."""
    llm.tool_call("propose_change", PROPOSAL)
    before = head(ws)
    async with running(ws, llm.env()) as (app, pilot):
        await send(pilot, app, MESSAGE)
        card = open_card(app)
        await answer_prompt(pilot, app, "c", "yes, log them", submit="enter")
        assert card.resolved is not None and "confirmed ING-5" in card.resolved
        assert "C   ING-5" in static_text(card.query_one(".card-items", Static))
    assert git(ws, "rev-list", "--count", f"{before}..HEAD").strip() == "1"
    (record,) = [r for r in ledger_records(ws) if r.get("kind") == "confirm"]
    assert (record["text"], record["proposal"]) == ("yes, log them", "p-0001")
    spec = (ws / "specs" / "telemetry.md").read_text(encoding="utf-8")
    assert (
        "- **ING-5** The service SHOULD log each rejected batch.\n"
        f'  > confirmed ({record["id"]}): "yes, log them"' in spec
    )
    assert "Charter-Proposal: p-0001" in git(ws, "log", "-1", "--format=%B")


async def test_confirm_from_spec_tree(ws: Path, llm: FakeLLM) -> None:
    """c on an inferred requirement in the tree records the confirmation and commits it."""
    before = head(ws)
    async with running(ws, llm.env()) as (app, pilot):
        assert app.main is not None
        app.main.action_focus_pane("spec")
        assert app.main.spec_tree.select_requirement("ING-2")
        await answer_prompt(pilot, app, "c", "1 MiB is right", submit="enter")
        found = app.main.spec_tree.spec.find("ING-2")  # type: ignore[union-attr]
        assert found is not None and found[2].provenance.kind.value == "confirmed"  # type: ignore[union-attr]
    assert git(ws, "rev-list", "--count", f"{before}..HEAD").strip() == "1"
    assert "Charter-Intent" in git(ws, "log", "-1", "--format=%B")


async def test_pending_proposal_reappears_after_restart(ws: Path, llm: FakeLLM) -> None:
    """Quit with a proposal awaiting review; the next start shows the same card; a accepts it."""
    llm.tool_call("propose_change", PROPOSAL)
    async with running(ws, llm.env()) as (first, pilot):
        await send(pilot, first, MESSAGE)
        pid = open_card(first).proposal.id
    before = head(ws)
    notes = Notes()
    async with running(ws, llm.env(), notes) as (second, pilot):
        card = open_card(second)
        assert card.proposal.id == pid
        assert second.focused is card
        assert f"Proposal {pid} from an earlier run" in notes.text()
        await pilot.press("a")
        await settle(pilot, second)
    assert git(ws, "rev-list", "--count", f"{before}..HEAD").strip() == "1"


async def test_without_a_model_setup_screen_then_browsing_works(ws: Path) -> None:
    """No model: the setup screen says what to set; browsing spec, history and chat still works,
    and a typed message is refused with a notification: it is saved in the ledger first (not
    answered yet) and stays in the input."""
    notes = Notes()
    async with running(ws, {}, notes) as (app, pilot):
        assert isinstance(app.screen, SetupScreen)
        text = static_text(app.screen.query_one("#setup-text", Static))
        for needed in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "CHARTER_MODEL", "[model]"):
            assert needed in text
        await pilot.press("escape")
        await pilot.pause()
        main = app.main
        assert main is not None and app.screen is main
        assert main.spec_tree.spec is not None and main.spec_tree.spec.find("ING-3")
        assert main.history.highlighted_sha() == head(ws)
        first = next(iter(main_of(app).query(UserMessage)))
        assert static_text(first).startswith("devices send")
        main.chat_input.focus()
        await type_text(pilot, "hello")
        await pilot.press("enter")
        await pilot.pause()
        await wait_for(pilot, lambda: "saved in the ledger as m-" in notes.text())
        assert main.chat_input.text == "hello"
        assert "No model is configured" in notes.text()
        kept = [r for r in ledger_records(ws) if r["role"] == "user" and r["text"] == "hello"]
        assert len(kept) == 1 and ledger_records(ws)[-1]["kind"] == "held"
        assert main_of(app).query_one(StatusBar).info.model == "not configured"


async def test_another_process_holding_the_lock_makes_it_read_only(ws: Path, llm: FakeLLM) -> None:
    """A second writer holds the lock: the status bar says read-only and names it; sending and
    building are refused with a notification; the typed message is kept in the spool (no
    ledger write without the lock) and answered once the lock is free."""
    holder = subprocess.Popen(
        [sys.executable, "-m", "tests.lockholder", str(ws), "charter say"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "won"
        records = len(ledger_records(ws))
        notes = Notes()
        async with running(ws, llm.env(), notes) as (app, pilot):
            info = main_of(app).query_one(StatusBar).info
            assert f"pid {holder.pid}" in info.read_only and "charter say" in info.read_only
            assert app.main is not None
            app.main.chat_input.focus()
            await type_text(pilot, "add a rate limit")
            await pilot.press("enter")
            await wait_for(pilot, lambda: ".charter/held/" in notes.text())
            assert app.main.chat_input.text == "add a rate limit"
            app.main.action_build("head")
            await pilot.pause()
            assert "Read-only" in notes.text() and "No build was started" in notes.text()
        assert len(ledger_records(ws)) == records
        assert not llm.chat_requests
    finally:
        holder.stdin.close()  # type: ignore[union-attr]
        holder.wait(10)
    llm.reply("Noted: a rate limit.")
    again = run_charter("say", "--again", cwd=ws, env=llm.env())
    assert again.code == 0, again.err
    assert [r["text"] for r in ledger_records(ws)].count("add a rate limit") == 1


async def test_endpoint_error_is_a_notification_and_the_message_is_kept(
    ws: Path, llm: FakeLLM
) -> None:
    """A 500 from the endpoint: a notification naming the cause; the message is in the ledger
    and shown with its ID; the app keeps running and the next turn works."""
    llm.fault("500")
    llm.reply("Back again.")
    notes = Notes()
    async with running(ws, llm.env(), notes) as (app, pilot):
        await send(pilot, app, "add a rate limit")
        assert "HTTP 500" in notes.text() and "saved in the ledger as m-0005" in notes.text()
        titles = [str(w.border_title) for w in main_of(app).query(UserMessage)]
        assert titles[-1] == "you · m-0005"
        await send(pilot, app, "try again")
        assert "Back again." in [r["text"] for r in ledger_records(ws)]
    assert [r["text"] for r in ledger_records(ws) if r["role"] == "user"][-2:] == [
        "add a rate limit",
        "try again",
    ]


async def test_input_newline_history_and_large_paste(ws: Path, llm: FakeLLM) -> None:
    """ctrl+j inserts a newline, Enter sends the text exactly; Up recalls it; a 200 kB paste
    goes to the ledger byte for byte."""
    llm.reply("One.")
    llm.reply("Two.")
    paste = "".join(f"line {n}\twith  spaces [x]\n" for n in range(8000))
    async with running(ws, llm.env()) as (app, pilot):
        await send(pilot, app, "first line\nsecond line ")
        chat = main_of(app).query_one(ChatInput)
        assert chat.text == ""
        await pilot.press("up")
        assert chat.text == "first line\nsecond line "
        await pilot.press("down")
        assert chat.text == ""
        app.post_message(events.Paste(paste))  # as the terminal driver delivers a paste
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot, app)
    users = [r["text"] for r in ledger_records(ws) if r["role"] == "user"]
    assert users[-2:] == ["first line\nsecond line ", paste]


async def test_requirement_jumps_to_its_commits(ws: Path) -> None:
    """h on a requirement narrows History to the commits that touched it."""
    async with running(ws, {}) as (app, pilot):
        await pilot.press("escape")  # the setup screen
        assert app.main is not None
        app.main.action_focus_pane("spec")
        app.main.spec_tree.select_requirement("ING-1")
        await pilot.press("h")
        await settle(pilot, app)
        history = app.main.history
        assert history.req_filter == "ING-1"
        assert history.highlighted_sha() == head(ws)
        await settle(pilot, app)
        body = static_text(history.query_one("#commit-body", Static))
        assert "spec: the telemetry service" in body and "+- **ING-1**" in body


async def test_long_session_mounts_a_window_and_loads_earlier(tmp_path: Path) -> None:
    """200 messages: only the last 40 are mounted; "load earlier" adds 40 more."""
    ws = make_workspace(tmp_path / "ws", messages=200)
    async with running(ws, {}) as (app, pilot):
        await pilot.press("escape")
        assert app.main is not None
        assert len(main_of(app).query(UserMessage)) <= 40
        app.main.action_load_earlier()
        await settle(pilot, app)
        shown = [static_text(w) for w in main_of(app).query(UserMessage)]
        assert len(shown) == 80 and shown[-1] == "extra message 199"
    assert len(ledger_records(ws)) == 204


async def test_outside_a_workspace_it_offers_to_initialise(tmp_path: Path) -> None:
    """In a plain directory the app offers Init; i makes it a workspace and opens it."""
    plain = tmp_path / "plain"
    plain.mkdir()
    app = CharterApp(plain, env={})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.screen.id == "init-offer"
        await pilot.press("i")
        await settle(pilot, app)
        assert app.main is not None
    assert (plain / "charter.toml").is_file() and (plain / ".git").is_dir()


async def test_outside_a_workspace_quit_changes_nothing(tmp_path: Path) -> None:
    """q on the init offer leaves the directory untouched."""
    plain = tmp_path / "plain"
    plain.mkdir()
    app = CharterApp(plain, env={})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
    assert list(plain.iterdir()) == []


async def test_build_head_from_the_builds_pane(ws: Path, llm: FakeLLM) -> None:
    """Build HEAD launches `charter build` as its own process; the pane shows its log and the
    finished task table read from the build's record."""
    plan = {
        "tasks": [task("T1", ["ING-1", "ING-2", "ING-3", "REP-1"], ["app.txt"], "test -f app.txt")],
        "not_built": [],
    }
    llm.handler(Script(plan, lambda tid, prompt: result([{"path": "app.txt", "content": "ok\n"}])))
    notes = Notes()
    async with running(ws, llm.env(), notes) as (app, pilot):
        main = main_of(app)
        main.action_focus_pane("builds")
        await pilot.pause()
        await pilot.press("B")
        await wait_for(pilot, lambda: "finished with status" in notes.text(), timeout=60)
        await settle(pilot, app)
        assert "Build of HEAD finished with status 0." in notes.text()
        pane = main.query_one(BuildsPane)
        (build,) = pane.builds.values()
        assert build.status == "done" and build.rev == head(ws)
        assert [(t.id, t.state) for t in build.tasks] == [("T1", "done")]
        log = "\n".join(line.text for line in main.query_one("#build-log", RichLog).lines)
        assert "$ charter build HEAD" in log and "exited with status 0" in log


async def test_command_palette_offers_every_available_action(ws: Path, llm: FakeLLM) -> None:
    """The palette lists the pane, build, session and help actions; review actions only while a
    proposal awaits review."""
    llm.tool_call("propose_change", PROPOSAL)
    async with running(ws, llm.env()) as (app, pilot):
        main = main_of(app)

        async def titles() -> list[str]:
            provider = CharterCommands(main)
            return [str(hit.text) async for hit in provider.discover()]

        before = await titles()
        for title in ("Help", "Focus chat", "Focus history", "Build HEAD", "New session"):
            assert title in before
        assert "Accept proposal" not in before
        await send(pilot, app, MESSAGE)
        during = await titles()
        assert {"Accept proposal", "Reject proposal", "Edit proposal"} <= set(during)
        hits = [hit async for hit in CharterCommands(main).search("accept")]
        assert hits and str(hits[0].text) == "Accept proposal"


async def test_typing_stays_responsive_while_the_scribe_replies(ws: Path, llm: FakeLLM) -> None:
    """While a slow reply is on its way the input takes keys, and the next message waits in it."""
    llm.reply("A slow answer.", delay=2.0)
    async with running(ws, llm.env()) as (app, pilot):
        main = main_of(app)
        main.chat_input.focus()
        await type_text(pilot, "first")
        await pilot.press("enter")
        await wait_for(pilot, lambda: main.turn_running)
        await type_text(pilot, "next thought")
        assert main.turn_running and main.chat_input.text == "next thought"
        await settle(pilot, app)
        assert main.chat_input.text == "next thought"
        assert "A slow answer." in [r["text"] for r in ledger_records(ws)]


async def test_a_message_the_ledger_refuses_stays_in_the_input(ws: Path, llm: FakeLLM) -> None:
    """Text the ledger cannot keep verbatim (a NUL character) is not sent: the notification
    says why and the text is back in the input, untouched."""
    text = "binary\x00junk"
    notes = Notes()
    async with running(ws, llm.env(), notes) as (app, pilot):
        main = main_of(app)
        main.chat_input.focus()
        app.post_message(events.Paste(text))
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot, app)
        assert main.chat_input.text == text
        assert "NUL" in notes.text() and "not sent" in notes.text()
        assert not [w for w in main.query(UserMessage) if static_text(w) == text]
    assert text not in [r["text"] for r in ledger_records(ws)]
    assert not llm.chat_requests


def test_charter_reports_a_broken_workspace_without_a_traceback(tmp_path: Path) -> None:
    """`charter` in a workspace whose charter.toml is broken: one line naming the file, exit 2."""
    ws = make_workspace(tmp_path / "ws")
    (ws / "charter.toml").write_text("[model]\ntimeout = 'soon'\n", encoding="utf-8")
    result = run_charter("-C", str(ws), cwd=tmp_path)
    assert result.code == 2
    assert result.err.startswith("charter: ") and "charter.toml" in result.err
    assert "model.timeout" in result.err and "Traceback" not in result.err


async def pick_session(pilot: Pilot[None], app: CharterApp, session: str) -> None:
    """ctrl+p, "switch session", enter; then highlight `session` in the switcher and press enter."""
    await pilot.press("ctrl+p")
    await type_text(pilot, "switch session")

    def offered() -> bool:
        """The palette lists the action first."""
        found = app.screen.query(CommandList)
        return (
            bool(found)
            and found.first().option_count > 0
            and str(found.first().get_option_at_index(0).prompt).startswith("Switch session")
        )

    await wait_for(pilot, offered)
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, SessionPicker))
    options = app.screen.query_one("#session-list", OptionList)
    ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
    options.highlighted = ids.index(session)
    await pilot.press("enter")
    await settle(pilot, app)


async def test_switch_session_reloads_the_chat_and_its_pending_proposal(
    ws: Path, llm: FakeLLM
) -> None:
    """The palette's Switch session lists the sessions (current marked); picking one reloads the
    chat with that session's messages and the proposal awaiting review there; the next message
    goes to that session."""
    llm.tool_call("propose_change", PROPOSAL)
    llm.reply("Noted.")
    async with running(ws, llm.env()) as (app, pilot):
        main = main_of(app)
        main.action_new_session()
        await settle(pilot, app)
        fresh = main.session
        assert fresh is not None and fresh != SESSION
        await send(pilot, app, MESSAGE)
        pid = open_card(app).proposal.id
        await pilot.press("escape")
        main.chat_input.focus()
        await pick_session(pilot, app, SESSION)
        assert main.session == SESSION and main.chat_log.open_card() is None
        shown = [static_text(w) for w in main.query(UserMessage)]
        assert shown[0].startswith("devices send batches") and MESSAGE not in shown
        assert str(main.chat_log.border_title) == f"chat · {SESSION}"
        await send(pilot, app, "back in the first session")
        await pick_session(pilot, app, fresh)
        assert main.session == fresh
        assert open_card(app).proposal.id == pid
        assert [static_text(w) for w in main.query(UserMessage)] == [MESSAGE]
    assert "back in the first session" in [r["text"] for r in ledger_records(ws)]


async def test_session_switcher_lists_sessions_newest_first(ws: Path, llm: FakeLLM) -> None:
    """The switcher shows each session with its record count; the current one is marked."""
    async with running(ws, llm.env()) as (app, pilot):
        main = main_of(app)
        main.action_new_session()
        await settle(pilot, app)
        main.action_switch_session()
        await wait_for(pilot, lambda: isinstance(app.screen, SessionPicker))
        options = app.screen.query_one("#session-list", OptionList)
        lines = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert lines[0].startswith(main.session or "?") and lines[0].endswith("(current)")
        assert lines[1].startswith(f"{SESSION}  4 records")
        await pilot.press("escape")
        await settle(pilot, app)
        assert app.screen is main and main.session != SESSION
