"""Plan carry-over with a planner that never plans the same way twice (random IDs, titles and
order): after a spec change only the affected task reaches the model, the planner sees only the
changed requirements, removed requirements shrink the plan in code, and `--replan` starts over.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from tests.buildkit import builds, commit_spec, record, set_build, spec_text, tree
from tests.conftest import run_charter
from tests.fakellm import FakeLLM
from tests.randomplanner import AREAS, RandomPlanner, requirement, spec_sections


def spec(changed: dict[str, str] | None = None, drop: frozenset[str] = frozenset()) -> dict:
    """The 40-section spec, with some requirements reworded or removed."""
    sections = {
        title: [(rid, text) for rid, text in reqs if rid not in drop]
        for title, reqs in spec_sections(changed).items()
    }
    return {"service.md": spec_text("Service", sections)}


def plan_tasks(bdir: Path) -> dict[str, dict]:
    """plan.toml's tasks by ID."""
    data = tomllib.loads((bdir / "plan.toml").read_text(encoding="utf-8"))
    return {t["id"]: t for t in data["tasks"]}


def build(workspace: Path, llm: FakeLLM, *args: str) -> dict:
    """`charter build --json ARGS`, which must succeed; its summary."""
    out = run_charter("build", "--json", *args, cwd=workspace, env=llm.env())
    bdir = builds(workspace)[-1]
    logs = {p.name: p.read_text() for p in (bdir / "logs").glob("*.log")}
    failed = {t: s for t, s in record(bdir)["tasks"].items() if s["state"] != "done"}
    assert out.code == 0, (out.err[:3000], failed, logs)
    return json.loads(out.out)


def test_one_changed_requirement_reaches_only_its_task(workspace: Path, llm: FakeLLM) -> None:
    """Change A16-1 (built by a task nothing depends on): the planner is asked about A16-1
    alone, one coder call rebuilds that task, and the other 15 keep their IDs and are reused."""
    set_build(workspace, max_fix_attempts=0)
    planner = RandomPlanner(seed=1)
    llm.handler(planner)
    commit_spec(workspace, spec())
    first = build(workspace, llm)
    assert len(first["tasks"]) == 16 and planner.count("coder") == 16
    (b1,) = builds(workspace)

    commit_spec(workspace, spec({"A16-1": requirement(16, 1, " in UTC")}), "reword A16-1")
    second = build(workspace, llm)
    assert planner.count("planner") == 1 and planner.count("amend") == 1
    assert planner.count("coder") == 17  # exactly one more
    _, b2 = builds(workspace)
    old, new = plan_tasks(b1), plan_tasks(b2)
    assert set(new) == set(old)  # the same task IDs, whatever the planner would call them now
    (changed,) = [t for t in new if "A16-1" in new[t]["requirements"]]
    for tid in set(old) - {changed}:
        assert new[tid] == old[tid]  # kept exactly: outputs, verify, notes, title
        assert second["tasks"][tid]["reused_from"] == b1.name
    assert second["tasks"][changed]["reused_from"] is None
    assert planner.calls[-1] == ("coder", changed)

    amend = next(p for role, p in planner.prompts if role == "amend")
    assert requirement(16, 1, " in UTC") in amend
    others = [requirement(a, n) for a in range(1, AREAS + 1) for n in (1, 2)]
    assert [t for t in others if t in amend] == []  # no unchanged requirement's text
    carry = record(b2)["carryover"]
    assert carry["delta"]["changed"] == ["A16-1"] and carry["planner_asked"] == ["A16-1"]
    assert carry["from"] == f"build {b1.name}" and len(carry["kept"]) == 15
    text = (b2 / "workspace" / "group16.txt").read_text()
    assert "in UTC" in text
    assert tree(b2 / "workspace")["group1.txt"] == tree(b1 / "workspace")["group1.txt"]


def test_removed_requirements_shrink_and_drop_tasks_without_a_planner(
    workspace: Path, llm: FakeLLM
) -> None:
    """Removing every requirement of one task drops it and removing one of another shrinks it,
    in code: no planner call. `--replan` then asks for a whole plan on purpose."""
    set_build(workspace, max_fix_attempts=0)
    planner = RandomPlanner(seed=2)
    llm.handler(planner)
    commit_spec(workspace, spec())
    build(workspace, llm)
    (b1,) = builds(workspace)
    gone = frozenset({"A15-1", "A15-2", "A31-1", "A31-2", "A14-2"})  # task 15's areas: 15, 31
    commit_spec(workspace, spec(drop=gone), "drop A15, A31, A14-2")
    second = build(workspace, llm)
    assert planner.count("planner") == 1 and planner.count("amend") == 0
    _, b2 = builds(workspace)
    old, new = plan_tasks(b1), plan_tasks(b2)
    assert len(new) == 15 and set(new) < set(old)
    shrunk = next(t for t in new if "A14-1" in new[t]["requirements"])
    assert "A14-2" not in new[shrunk]["requirements"]
    assert second["tasks"][shrunk]["reused_from"] is None
    assert all(not (set(t["requirements"]) & gone) for t in new.values())
    assert planner.count("coder") == 16 + 1  # only the shrunk task is rebuilt

    third = build(workspace, llm, "--replan")
    assert planner.count("planner") == 2
    _, _, b3 = builds(workspace)
    assert not set(plan_tasks(b3)) & set(new)  # a fresh plan: fresh IDs
    assert record(b3)["options"]["replan"] is True and record(b3)["carryover"] is None
    assert third["status"] == "done"


def test_an_edited_plan_for_an_older_revision_is_carried_over(
    workspace: Path, llm: FakeLLM
) -> None:
    """A plan.toml the user edited for one revision, built at a later one with --plan: the
    user's edit is kept and only the new requirement goes to the planner."""
    set_build(workspace, max_fix_attempts=0)
    planner = RandomPlanner(seed=3)
    llm.handler(planner)
    commit_spec(workspace, spec())
    out = run_charter("build", "--plan-only", cwd=workspace, env=llm.env())
    assert out.code == 0, out.err + out.out
    (b1,) = builds(workspace)
    edited = workspace / "edited.toml"
    text = (b1 / "plan.toml").read_text(encoding="utf-8")
    edited.write_text(text.replace('notes = "note', 'notes = "edited by hand: note', 1))
    sections = spec_sections()
    sections["Area 41"] = [("A41-1", "The service MUST answer pings.")]
    commit_spec(workspace, {"service.md": spec_text("Service", sections)}, "add A41-1")
    build(workspace, llm, "--plan", str(edited))
    amend = next(p for role, p in planner.prompts if role == "amend")
    assert "A41-1" in amend and requirement(1, 1) not in amend
    _, b2 = builds(workspace)
    new = plan_tasks(b2)
    assert sum("edited by hand" in t["notes"] for t in new.values()) == 1
    assert any(t["requirements"] == ["A41-1"] for t in new.values())
    assert record(b2)["options"]["plan_base"] == f"plan file {edited}"
