"""Exporting and diffing builds from the Builds pane, through Pilot: x writes the selected build's
generated files into a directory, g commits them as a new branch, d diffs the selected build
with another one picked from a list (the spec by requirement ID, then the files). Builds are made
by the real `charter build` against the scripted model server; refusals are notifications.
"""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from charter.app.tui.app import CharterApp
from charter.app.tui.screens.build_actions import DiffView
from charter.app.tui.screens.dialogs import Picker, TextPrompt
from tests.buildkit import commit_spec
from tests.conftest import run_charter
from tests.fakellm import FakeLLM
from tests.test_tui_builds import CONTENT, builds_pane, two_tasks
from tests.tui_support import SPEC, Notes, git, main_of, make_workspace, running, settle, wait_for


def build_head(ws: Path, llm: FakeLLM) -> None:
    """`charter build HEAD`, as a user would run it."""
    run_charter("-C", str(ws), "build", "HEAD", cwd=ws, env=llm.env(), timeout=120)


async def prompt_answer(pilot: Pilot[None], app: CharterApp, key: str, text: str | None) -> None:
    """Press `key`; in the text prompt it opens, replace the text (None: keep it); Enter."""
    await pilot.press(key)
    await wait_for(pilot, lambda: isinstance(app.screen, TextPrompt))
    if text is not None:
        app.screen.query_one("#prompt-text", Input).value = text
    await pilot.press("enter")
    await settle(pilot, app)


async def test_export_to_dir_and_branch_and_diff_two_builds(tmp_path: Path, llm: FakeLLM) -> None:
    """Two builds of two revisions: export the newer to a directory and to a branch, refuse a
    non-empty directory, and diff it with the older one."""
    ws = make_workspace(tmp_path / "ws")
    llm.handler(two_tasks())
    build_head(ws, llm)
    commit_spec(ws, {"telemetry.md": SPEC.replace("per device.", "per device and day.")})
    build_head(ws, llm)
    notes = Notes()
    async with running(ws, llm.env(), notes) as (app, pilot):
        pane = await builds_pane(pilot, app)
        newest = pane.selected
        assert newest is not None and len(pane.builds) == 2
        older = next(b for b in pane.builds if b != newest)
        pane.query_one("#build-list").focus()

        await prompt_answer(pilot, app, "x", "out")
        assert f"Exported 2 file(s) of build {newest}" in notes.text()
        assert (ws / "out" / "app.txt").read_text(encoding="utf-8") == CONTENT
        assert (ws / "out" / "rep.txt").read_text(encoding="utf-8") == CONTENT

        await prompt_answer(pilot, app, "x", "out")  # not empty now: refused, nothing written
        assert "Could not export the build" in notes.text() and "is not empty" in notes.text()

        before = git(ws, "rev-parse", "HEAD")
        await prompt_answer(pilot, app, "g", None)  # the offered name: build/<id>
        assert f"to branch build/{newest}" in notes.text()
        assert git(ws, "show", f"build/{newest}:app.txt") == CONTENT
        assert git(ws, "rev-parse", "HEAD") == before  # HEAD stays where it was

        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, Picker))
        await pilot.press("enter")  # the only other build
        await wait_for(pilot, lambda: isinstance(app.screen, DiffView))
        text = app.screen.query_one("#diff-text", TextArea).text
        assert text.startswith(f"build {older} -> {newest}")
        assert "~ REP-1" in text
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, DiffView)

        main_of(app).action_diff_builds()  # the palette's "Diff builds" opens the same picker
        await wait_for(pilot, lambda: isinstance(app.screen, Picker))
        await pilot.press("escape")  # cancelled: nothing computed
        await pilot.pause()
        assert app.screen is main_of(app)
