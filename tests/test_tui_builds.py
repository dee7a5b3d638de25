"""The TUI's Builds pane beyond launching (see test_tui.py): a build's prompts and responses,
verbatim with tokens and timing, grouped per task; its report.md; and answering a question a
build raised, through the scribe. Builds are made by the real `charter build` against the
scripted model server.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, OptionList, TextArea

from charter.app.tui.app import CharterApp
from charter.app.tui.screens.build_browser import BuildBrowser
from charter.app.tui.screens.main import BUILD_POLL_SECONDS
from charter.app.tui.widgets.builds import BuildsPane
from tests.buildkit import Script, result, task
from tests.conftest import run_charter
from tests.fakellm import FakeLLM
from tests.tui_support import (
    answer_prompt,
    ledger_records,
    make_workspace,
    proposal,
    running,
    settle,
    wait_for,
)

CONTENT = "ok [bold]not markup[/]\n"


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """The telemetry workspace (four ledger records, one commit)."""
    return make_workspace(tmp_path / "ws")


def build(ws: Path, llm: FakeLLM, coder: Script) -> Path:
    """Run `charter build HEAD` as a user would; return the build directory."""
    llm.handler(coder)
    run_charter("-C", str(ws), "build", "HEAD", cwd=ws, env=llm.env(), timeout=120)
    (bdir,) = (ws / ".charter" / "builds").iterdir()
    return bdir


async def builds_pane(pilot: Pilot[None], app: CharterApp) -> BuildsPane:
    """Show the Builds pane (F5) once it has listed the builds, and return it."""
    await pilot.press("f5")
    await settle(pilot, app)
    assert app.main is not None
    return app.main.query_one(BuildsPane)


def two_tasks(question: str | None = None) -> Script:
    """A plan of T1 and T2 (T2 after T1); T1 asks `question` instead of writing, if given."""
    plan = {
        "tasks": [
            task("T1", ["ING-1", "ING-2", "ING-3"], ["app.txt"], "test -f app.txt"),
            task("T2", ["REP-1"], ["rep.txt"], "test -f rep.txt", ["T1"]),
        ],
        "not_built": [],
    }

    def coder(tid: str, prompt: str) -> dict[str, object]:
        """Write the task's file (or ask)."""
        if question is not None and tid == "T1":
            return result(question=question)
        return result([{"path": "app.txt" if tid == "T1" else "rep.txt", "content": CONTENT}])

    return Script(plan, coder)


def browser_text(app: CharterApp) -> str:
    """What the browser's viewer shows."""
    return app.screen.query_one("#call-text", TextArea).text


async def test_prompts_and_responses_of_a_build_per_task(ws: Path, llm: FakeLLM) -> None:
    """p on a task opens the build's calls grouped per task, at that task's call: the prompt and
    the response verbatim (markup-like text literal), with its tokens; report.md is shown as
    written; escape returns to the pane."""
    bdir = build(ws, llm, two_tasks())
    call_file = next((bdir / "calls").glob("*-T2-coder.json"))
    recorded = json.loads(call_file.read_text(encoding="utf-8"))
    async with running(ws, llm.env()) as (app, pilot):
        await pilot.press("f5")
        await settle(pilot, app)
        assert app.main is not None
        table = app.main.query_one("#task-table", DataTable)
        table.focus()
        table.move_cursor(row=1)  # T2
        await pilot.pause(BUILD_POLL_SECONDS * 1.5)  # the pane's refresh keeps the cursor
        assert app.main.query_one(BuildsPane).highlighted_task() == "T2"
        await pilot.press("p")
        await settle(pilot, app)
        assert isinstance(app.screen, BuildBrowser)
        await wait_for(pilot, lambda: call_file.name in browser_text(app))
        text = browser_text(app)
        exchange = recorded["exchanges"][0]
        for message in exchange["messages"]:
            assert message["content"] in text  # the prompt, verbatim
        assert "# Task T2:" in text and "[bold]not markup[/]" in text
        usage = exchange["usage"]
        assert (
            f"{usage['prompt_tokens']} prompt + {usage['completion_tokens']} completion "
            f"= {usage['total_tokens']} tokens" in text
        )
        options = app.screen.query_one("#call-list", OptionList)
        lines = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert lines.index("plan") < lines.index("T1  build T1") < lines.index("T2  build T2")
        assert any("planner" in line for line in lines[lines.index("plan") :])
        options.highlighted = lines.index("report.md")
        report = (bdir / "report.md").read_text(encoding="utf-8")
        await wait_for(pilot, lambda: browser_text(app) == report)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.main


async def test_report_key_opens_report_md(ws: Path, llm: FakeLLM) -> None:
    """m in the Builds pane opens the selected build's report.md."""
    bdir = build(ws, llm, two_tasks())
    async with running(ws, llm.env()) as (app, pilot):
        await pilot.press("f5")
        await settle(pilot, app)
        await pilot.press("m")
        await settle(pilot, app)
        assert isinstance(app.screen, BuildBrowser)
        report = (bdir / "report.md").read_text(encoding="utf-8")
        await wait_for(pilot, lambda: browser_text(app) == report)


async def test_answering_a_build_question_from_the_pane(ws: Path, llm: FakeLLM) -> None:
    """A question a task raised is listed in the pane; enter asks for the answer, which is
    recorded verbatim as an answer to that question and sent to the scribe with the question;
    its proposal is a review card."""
    question = "Which timezone do the daily totals use?"
    build(ws, llm, two_tasks(question))
    answer = "UTC, always [not markup]"
    llm.tool_call(
        "propose_change",
        proposal(
            "daily totals in UTC",
            {
                "op": "add_requirement",
                "file": "telemetry.md",
                "section": "Reports",
                "text": "The service MUST compute daily totals in UTC.",
                "provenance": "explicit",
                "messages": ["m-0005"],
                "quote": "UTC, always",
            },
        ),
    )
    async with running(ws, llm.env()) as (app, pilot):
        pane = await builds_pane(pilot, app)
        (qid,) = pane.questions
        assert pane.questions[qid].text == question
        pane.query_one("#question-list", OptionList).focus()
        await answer_prompt(pilot, app, "enter", answer, submit="ctrl+s")
        assert app.main is not None
        card = app.main.chat_log.open_card()
        assert card is not None and card.proposal.summary == "daily totals in UTC"
    (record,) = [r for r in ledger_records(ws) if r.get("kind") == "answer"]
    assert (record["role"], record["text"], record["question"]) == ("user", answer, qid)
    sent = json.dumps(llm.body(-1), ensure_ascii=False)
    assert question in sent and answer in sent


async def test_an_answered_question_is_no_longer_listed_as_open(ws: Path, llm: FakeLLM) -> None:
    """Once answered, a builder question leaves the pane's open questions, and stays gone when
    Charter starts again (the answer is in the ledger)."""
    build(ws, llm, two_tasks("Which timezone do the daily totals use?"))
    llm.reply("Noted: UTC.")
    async with running(ws, llm.env()) as (app, pilot):
        pane = await builds_pane(pilot, app)
        (qid,) = pane.questions
        pane.query_one("#question-list", OptionList).focus()
        await answer_prompt(pilot, app, "enter", "UTC", submit="enter")
        await wait_for(pilot, lambda: not pane.questions)
        assert not pane.query_one("#question-list", OptionList).display
    async with running(ws, llm.env()) as (app, pilot):
        assert qid not in (await builds_pane(pilot, app)).questions
