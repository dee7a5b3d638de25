"""Build verdicts in the spec tree, through Pilot: before any build every requirement is marked
not built (·); building HEAD from the Builds pane (the real `charter build`, the scripted model)
marks each requirement from the build's examples: ✓ verified, ✗ failing, ○ built without
examples, · not built, the same verdicts `charter coverage` reports.
"""

from __future__ import annotations

from pathlib import Path

from charter.app.tui.app import CharterApp
from tests.buildkit import Script, commit_spec, result, task
from tests.fakellm import FakeLLM
from tests.test_examples_build import GREET, SPEC
from tests.tui_support import Notes, main_of, make_workspace, running, settle, wait_for


def labels(app: CharterApp) -> dict[str, str]:
    """Each requirement's tree label, by ID."""
    tree = main_of(app).spec_tree
    return {
        node.data.req_id: str(node.label)
        for node in tree.requirement_nodes(tree.root)
        if node.data is not None
    }


async def test_build_verdicts_show_in_the_spec_tree(tmp_path: Path, llm: FakeLLM) -> None:
    """CLI-1's example passes, CLI-2's fails, CLI-3 has none, CLI-4 is not built."""
    ws = make_workspace(tmp_path / "ws")
    (ws / "specs" / "telemetry.md").unlink()
    commit_spec(ws, {"greeter.md": SPEC})
    plan = {
        "tasks": [
            task("T1", ["CLI-1", "CLI-2"], ["greet.sh"], "test -f greet.sh"),
            task("T2", ["CLI-3"], ["bye.sh"], "test -f bye.sh"),
        ],
        "not_built": [{"requirement": "CLI-4", "reason": "nobody knows Klingon"}],
    }

    def coder(tid: str, prompt: str) -> dict[str, object]:
        """T1 writes the half-right greeter, T2 a farewell."""
        if tid == "T1":
            return result([{"path": "greet.sh", "content": GREET}])
        return result([{"path": "bye.sh", "content": "echo bye\n"}])

    llm.handler(Script(plan, coder))
    notes = Notes()
    async with running(ws, llm.env(), notes) as (app, pilot):
        before = labels(app)
        assert sorted(before) == ["CLI-1", "CLI-2", "CLI-3", "CLI-4"]
        assert all(label[4:6] == "· " for label in before.values()), before
        main_of(app).action_focus_pane("builds")
        await pilot.pause()
        await pilot.press("B")
        await wait_for(pilot, lambda: "finished with status" in notes.text(), timeout=90)
        await settle(pilot, app)
        after = labels(app)
    assert after["CLI-1"].startswith("I   ✓ CLI-1 The tool MUST greet"), after
    assert after["CLI-2"].startswith("I   ✗ CLI-2"), after
    assert after["CLI-3"].startswith("I   ○ CLI-3"), after
    assert after["CLI-4"].startswith("I   · CLI-4"), after
