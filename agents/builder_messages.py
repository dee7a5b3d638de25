"""The builder's messages: planner, coder and fixer requests from exactly what each may see.

The planner, coder and fixer prompts live in `agents/prompts/{planner,coder,fixer}.md` (each with
a `version:` line, read by `agents.prompts`). A task prompt holds only the task, its requirements
verbatim, the LOCKED items, the conventions and the upstream files it declares; callers pass all
of it in, which is what keeps builds isolated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from charter.agents.builder_schemas import PlannedTask
from charter.agents.prompts import load_prompt
from charter.specs import parse_file

BUILDER_ROLES = ("planner", "coder", "fixer")


def prompt_versions() -> dict[str, str]:
    """The versions of the builder's prompts (part of every task's input hash)."""
    return {name: load_prompt(name).version for name in BUILDER_ROLES}


Message = dict[str, str]


@dataclass
class TaskBrief:
    """Everything a task prompt may hold, already rendered as text."""

    task: PlannedTask
    requirements: list[str]
    locked: list[str]
    conventions: list[str]
    upstream: list[tuple[str, str | None]] = field(default_factory=list)
    referenced: list[str] = field(default_factory=list)


def fence(content: str, info: str = "") -> str:
    """Wrap `content` in a code fence longer than any backtick run inside it."""
    longest = run = 0
    for ch in content:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    ticks = "`" * max(3, longest + 1)
    body = content if content.endswith("\n") or not content else content + "\n"
    return f"{ticks}{info}\n{body}{ticks}"


def _bullets(items: Sequence[str], empty: str) -> str:
    """Rendered requirement items one after another, or `empty` when there are none."""
    return "\n".join(item.rstrip("\n") for item in items) if items else empty


def _task_header(brief: TaskBrief) -> list[str]:
    """The task part of a coder or fixer prompt."""
    task = brief.task
    parts = [f"# Task {task.id}: {task.title}", ""]
    if task.notes.strip():
        parts += [task.notes.strip(), ""]
    outputs = ", ".join(f"`{p}`" for p in task.outputs) or "(none declared)"
    parts += [
        f"- Outputs: {outputs}",
        f"- Verify command (run from the workspace root): `{task.verify}`",
        f"- Depends on: {', '.join(task.depends_on) or 'nothing'}",
        "",
        "## Requirements of this task",
        "",
        _bullets(brief.requirements, "(none: see the notes)"),
        "",
    ]
    if brief.referenced:
        parts += ["## Requirements they reference", "", _bullets(brief.referenced, ""), ""]
    parts += [
        "## LOCKED items of the specification",
        "",
        _bullets(brief.locked, "(none)"),
        "",
        "## Conventions (LOCKED)",
        "",
        _bullets(brief.conventions, "(none)"),
        "",
    ]
    return parts


def _files_block(title: str, files: Sequence[tuple[str, str | None]], empty: str) -> list[str]:
    """A heading and one fenced block per file (or a note that it does not exist)."""
    parts = [f"## {title}", ""]
    if not files:
        return [*parts, empty, ""]
    for path, content in files:
        parts.append(f"### `{path}`")
        parts.append("")
        parts.append(fence(content) if content is not None else "(this file does not exist)")
        parts.append("")
    return parts


def coder_messages(brief: TaskBrief) -> list[Message]:
    """The coder's messages: the bootstrap prompt, then the task brief."""
    body = _task_header(brief) + _files_block(
        "Upstream files", brief.upstream, "(this task depends on no other task)"
    )
    return [
        {"role": "system", "content": load_prompt("coder").text},
        {"role": "user", "content": "\n".join(body).rstrip() + "\n"},
    ]


def fixer_messages(
    brief: TaskBrief, current: Sequence[tuple[str, str | None]], failure: str
) -> list[Message]:
    """The fixer's messages: fresh context with the task, its files and the failure output."""
    body = _task_header(brief)
    body += _files_block("Upstream files", brief.upstream, "(this task depends on no other task)")
    body += _files_block("Current files of this task", current, "(no file was written)")
    body += ["## Verify failure", "", fence(failure), ""]
    return [
        {"role": "system", "content": load_prompt("fixer").text},
        {"role": "user", "content": "\n".join(body).rstrip() + "\n"},
    ]


def planner_messages(
    spec_files: Sequence[tuple[str, str]],
    conventions: Sequence[str],
    conventions_ids: Sequence[str],
    *,
    previous: str | None = None,
    problems: Sequence[str] = (),
) -> list[Message]:
    """The planner's messages: the whole spec; with `previous`, one repair round of problems."""
    body = ["# Specification", ""]
    for path, text in spec_files:
        body += [f"## File `{path}`", "", fence(text, "markdown"), ""]
    with_examples = _requirements_with_examples(spec_files)
    body += ["# Requirements with examples (Charter runs them after the build)", ""]
    body += [", ".join(with_examples) if with_examples else "(none)", ""]
    body += ["# Conventions (LOCKED, apply to every task; do not plan them)", ""]
    body += [_bullets(conventions, "(none)"), ""]
    if conventions_ids:
        body += [f"Convention IDs: {', '.join(conventions_ids)}", ""]
    messages: list[Message] = [
        {"role": "system", "content": load_prompt("planner").text},
        {"role": "user", "content": "\n".join(body).rstrip() + "\n"},
    ]
    if previous is not None:
        messages.append(repair_message("plan", previous, problems))
    return messages


def repair_message(what: str, previous: str, problems: Sequence[str]) -> Message:
    """The repair round's request: the problems code found in `previous` (JSON), then it."""
    repair = [
        f"Your {what} (below) was checked by code and has these problems:",
        "",
        *[f"- {p}" for p in problems],
        "",
        fence(previous, "json"),
        "",
        f"Send the whole corrected {what}.",
    ]
    return {"role": "user", "content": "\n".join(repair) + "\n"}


def _requirements_with_examples(spec_files: Sequence[tuple[str, str]]) -> list[str]:
    """IDs of the requirements that carry at least one example, in spec order."""
    ids: list[str] = []
    for path, text in spec_files:
        parsed, _ = parse_file(text, path)
        ids += [r.id for r in parsed.requirements() if r.examples]
    return ids
