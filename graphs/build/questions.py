"""Questions tasks raised: stored per build in `questions.json` (+ `questions.md`), listed across
builds for `charter questions` and `charter answer`.
"""

from __future__ import annotations

import json
from pathlib import Path

from charter.graphs.build.records import BUILD_ID_PREFIX, BuildQuestion


def read_questions(path: Path) -> list[BuildQuestion]:
    """The questions stored in a build's questions.json (empty when absent)."""
    try:
        return [BuildQuestion.model_validate(q) for q in json.loads(path.read_bytes())]
    except (OSError, ValueError):
        return []


def render_questions(questions: list[BuildQuestion]) -> str:
    """questions.md."""
    lines = ["# Questions", ""]
    if not questions:
        lines += ["No task raised a question.", ""]
    for q in questions:
        reqs = ", ".join(q.requirements) or "none"
        lines += [f"## {q.id} (task {q.task}; requirements: {reqs})", "", q.text.strip(), ""]
        lines += [f'Answer with: `charter answer {q.id} "..."`', ""]
    return "\n".join(lines)


def list_questions(builds_dir: Path) -> list[BuildQuestion]:
    """Every question raised by any build under `builds_dir`, oldest build first."""
    out: list[BuildQuestion] = []
    if not builds_dir.is_dir():
        return out
    for child in sorted(builds_dir.iterdir()):
        if child.is_dir() and child.name.startswith(BUILD_ID_PREFIX):
            out.extend(read_questions(child / "questions.json"))
    return out


def find_question(builds_dir: Path, qid: str) -> BuildQuestion | None:
    """The question with ID `qid` from any build, or None."""
    return next((q for q in list_questions(builds_dir) if q.id == qid), None)
