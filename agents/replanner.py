"""The planner's amendment call: after a spec change, only the changed requirements and the
tasks they touch go to the model (`amend_messages`); the rest of the plan is code's (see
`graphs/build/carryover.py`). The prompt is `agents/prompts/replanner.md` (versioned)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from charter.agents.builder_messages import Message, fence, repair_message
from charter.agents.builder_schemas import PlannedTask
from charter.agents.prompts import load_prompt

PROMPT = "replanner"


def _lines(items: Sequence[str], empty: str) -> str:
    """Items one per line, or `empty` when there are none."""
    return "\n".join(i.rstrip("\n") for i in items) if items else empty


def _outline(task: PlannedTask) -> str:
    """One line saying what a kept task is, without its notes or verify command."""
    reqs = ", ".join(task.requirements) or "none"
    outs = ", ".join(f"`{o}`" for o in task.outputs) or "none"
    deps = ", ".join(task.depends_on) or "nothing"
    return f"- {task.id}: {task.title} (requirements {reqs}; writes {outs}; depends on {deps})"


def amend_messages(
    requirements: Sequence[str],
    affected: Sequence[PlannedTask],
    kept: Sequence[PlannedTask],
    conventions_ids: Sequence[str],
    *,
    previous: str | None = None,
    problems: Sequence[str] = (),
) -> list[Message]:
    """The amendment request: changed and new requirements verbatim, the tasks that may be
    amended in full, the kept tasks in outline; with `previous`, one repair round."""
    body = ["# Requirements to plan (changed or new)", "", _lines(requirements, "(none)"), ""]
    body += ["# Tasks you may amend", ""]
    if affected:
        for task in affected:
            body += [fence(json.dumps(task.model_dump(), indent=2), "json"), ""]
    else:
        body += ["(none: every requirement to plan is new)", ""]
    body += ["# Kept tasks (outline; never change them)", ""]
    body += [_lines([_outline(t) for t in kept], "(none)"), ""]
    if conventions_ids:
        body += [f"Conventions (apply to every task; do not plan): {', '.join(conventions_ids)}"]
    messages: list[Message] = [
        {"role": "system", "content": load_prompt(PROMPT).text},
        {"role": "user", "content": "\n".join(body).rstrip() + "\n"},
    ]
    if previous is not None:
        messages.append(repair_message("amendment", previous, problems))
    return messages
