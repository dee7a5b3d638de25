"""A scripted model that plans like a real one: every plan names and orders its tasks afresh.

The spec has 40 sections ("Area 1" ... "Area 40") of two requirements each; a whole plan groups
them into 16 tasks (task k builds areas k, k+16 and k+32; tasks 9-16 depend on tasks 1-8) with
random IDs and titles in a random order, so nothing but code can make two plans line up. An
amendment request (the replanner's `# Requirements to plan`) is answered by returning each task
it may amend with a new random title. Coders write one file per task holding their
requirements' text; every call is logged by role and task for the tests and the bench.
"""

from __future__ import annotations

import json
import random
import re
import threading
from typing import Any

from tests.fakellm import ScriptedReply

AREAS, TASKS = 40, 16
TASK_RE = re.compile(r"^# Task (\S+):", re.MULTILINE)
REQ_RE = re.compile(r"^- \*\*(A\d+-\d)\*\* (.*)$", re.MULTILINE)
JSON_BLOCK = re.compile(r"^```+json\n(.*?)\n```+$", re.MULTILINE | re.DOTALL)


def requirement(area: int, n: int, variant: str = "") -> str:
    """The text of requirement n of an area."""
    return f"The service MUST handle case {n} of area {area}{variant} and log its outcome."


def spec_sections(changed: dict[str, str] | None = None) -> dict[str, list[tuple[str, str]]]:
    """The 40 sections as (ID, text) pairs; `changed` maps an ID to a new text."""
    changed = changed or {}
    return {
        f"Area {a}": [
            (rid, changed.get(rid, requirement(a, n))) for n in (1, 2) for rid in [f"A{a}-{n}"]
        ]
        for a in range(1, AREAS + 1)
    }


def group_areas(k: int) -> list[int]:
    """The areas task group k (1-based) builds."""
    return [a for a in (k, k + TASKS, k + 2 * TASKS) if a <= AREAS]


class RandomPlanner:
    """The fake server's handler: random whole plans, amendments, and coders."""

    def __init__(self, seed: int = 0, delay: float = 0.0) -> None:
        """`delay` is each reply's simulated latency."""
        self.rng = random.Random(seed)
        self.delay = delay
        self.calls: list[tuple[str, str]] = []
        self.prompts: list[tuple[str, str]] = []
        self.lock = threading.RLock()

    def _id(self) -> str:
        """A random task ID."""
        return f"K{self.rng.randrange(16**6):06x}"

    def _title(self) -> str:
        """A random title."""
        verbs = ("Build", "Write", "Implement", "Add", "Create", "Make")
        return f"{self.rng.choice(verbs)} part {self.rng.randrange(10_000)}"

    def whole_plan(self, present: set[str]) -> dict[str, Any]:
        """A plan covering every requirement in `present`, named and ordered afresh."""
        ids = {k: self._id() for k in range(1, TASKS + 1)}
        reqs = {k: [f"A{a}-{n}" for a in group_areas(k) for n in (1, 2)] for k in ids}
        reqs = {k: [r for r in group if r in present] for k, group in reqs.items()}
        tasks = []
        for k in range(1, TASKS + 1):
            if not reqs[k]:
                continue
            tasks.append(
                {
                    "id": ids[k],
                    "title": self._title(),
                    "requirements": reqs[k],
                    "sections": [f"Area {a}" for a in group_areas(k)],
                    "depends_on": [ids[k - 8]] if k > 8 and reqs[k - 8] else [],
                    "outputs": [f"group{k}.txt"],
                    "verify": f"test -s group{k}.txt",
                    "notes": f"note {self.rng.randrange(10_000)}",
                }
            )
        self.rng.shuffle(tasks)
        return {"tasks": tasks, "not_built": []}

    def amendment(self, prompt: str) -> dict[str, Any]:
        """Each task the planner may amend, back with a new title; new requirements get a task."""
        tasks = []
        for block in JSON_BLOCK.findall(prompt.split("# Kept tasks")[0]):
            task = json.loads(block)
            task["title"] = self._title()
            tasks.append(task)
        section = prompt.split("# Requirements to plan", 1)[1].split("# Tasks you may amend")[0]
        named = {r for t in tasks for r in t["requirements"]}
        new = [rid for rid, _ in REQ_RE.findall(section) if rid not in named]
        if new:
            tid = self._id()
            tasks.append(
                {
                    "id": tid,
                    "title": self._title(),
                    "requirements": new,
                    "sections": [],
                    "depends_on": [],
                    "outputs": [f"extra-{tid}.txt"],
                    "verify": "true",
                    "notes": "",
                }
            )
        return {"tasks": tasks, "not_built": []}

    def __call__(self, body: dict[str, Any]) -> ScriptedReply | None:
        """Answer one chat request by what it asks for."""
        messages = body.get("messages", [])
        system = str(messages[0].get("content", "")) if messages else ""
        prompt = "\n".join(str(m.get("content", "")) for m in messages[1:])
        if "Charter's planner" in system:
            with self.lock:
                if "# Requirements to plan" in prompt:
                    self._log("amend", "", prompt)
                    plan = self.amendment(prompt)
                else:
                    self._log("planner", "", prompt)
                    plan = self.whole_plan({rid for rid, _ in REQ_RE.findall(prompt)})
            return ScriptedReply.tools([("Plan", plan)], delay=self.delay)
        found = TASK_RE.search(prompt)
        if found is None:
            return None
        tid = found.group(1)
        self._log("coder", tid, prompt)
        outputs = re.search(r"^- Outputs: (.*)$", prompt, re.MULTILINE)
        assert outputs is not None
        paths = re.findall(r"`([^`]+)`", outputs.group(1))
        own = prompt.split("## Requirements of this task", 1)[1].split("## ", 1)[0]
        content = "".join(f"{rid}: {text}\n" for rid, text in REQ_RE.findall(own))
        files = [{"path": p, "content": content} for p in paths]
        args = {"files": files, "assumptions": [], "deviations": [], "notes": ""}
        return ScriptedReply.tools([("TaskResult", args)], delay=self.delay)

    def _log(self, role: str, tid: str, prompt: str) -> None:
        """Remember a call and what it was sent."""
        with self.lock:
            self.calls.append((role, tid))
            self.prompts.append((role, prompt))

    def count(self, role: str) -> int:
        """How many calls `role` got."""
        return sum(1 for r, _ in self.calls if r == role)
