"""Each requirement's build verdict, decided by code from the build's record and its examples.

`verified` needs a task that implements the requirement to be done AND every example of the
requirement to pass; tests the model wrote never verify a requirement on their own (they are
listed next to it, as evidence to read, not as a verdict). A requirement whose task did not
finish (or that no task implements) is `not built`; built with no example, `built without
examples`; built with a failing example, `failing`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import Protocol

from pydantic import BaseModel, Field

from charter.graphs.build.records import BuildRecord, TaskState
from charter.specs import Spec

MAX_TEST_FILE = 512 * 1024
_TEST_DIRS = {"test", "tests", "spec", "__tests__", "t"}
_TEST_NAME_RE = re.compile(r"(^test_|^test\.|_test\.|\.test\.|\.spec\.|_spec\.|Test\.)")


class Verdict(StrEnum):
    """What the latest build says about one requirement."""

    VERIFIED = "verified"
    FAILING = "failing"
    NO_EXAMPLES = "built without examples"
    NOT_BUILT = "not built"


class _Result(Protocol):
    """What a verdict needs from an example's result."""

    requirement: str
    passed: bool


class RequirementVerdict(BaseModel):
    """One row of the report's requirement table."""

    id: str
    verdict: Verdict
    built_by: list[str] = Field(default_factory=list, description="tasks implementing it")
    examples_passed: int = 0
    examples_failed: int = 0
    tests: list[str] = Field(
        default_factory=list, description="`path:line` of model-written tests naming it"
    )
    assumptions: list[str] = Field(default_factory=list)
    deviations: list[str] = Field(default_factory=list)


def requirement_verdicts(
    spec: Spec, record: BuildRecord, results: Sequence[_Result], workspace: Path
) -> list[RequirementVerdict]:
    """The verdict of every requirement of the spec, in spec order."""
    test_files = _test_files(record, workspace)
    rows: list[RequirementVerdict] = []
    for req in spec.requirements():
        tasks = [t for t in record.tasks.values() if req.id in t.requirements]
        built = bool(tasks) and all(t.state is TaskState.DONE for t in tasks)
        mine = [r for r in results if r.requirement == req.id]
        failed = sum(not r.passed for r in mine)
        if not built:
            verdict = Verdict.NOT_BUILT
        elif not req.examples:
            verdict = Verdict.NO_EXAMPLES
        elif failed or len(mine) < len(req.examples):
            verdict = Verdict.FAILING
        else:
            verdict = Verdict.VERIFIED
        mention = _mention_re(req.id)
        rows.append(
            RequirementVerdict(
                id=req.id,
                verdict=verdict,
                built_by=[f"{t.id} ({t.state.value})" for t in tasks],
                examples_passed=len(mine) - failed,
                examples_failed=failed,
                tests=[
                    f"{path}:{n}"
                    for path, text in test_files
                    for n, line in enumerate(text.split("\n"), start=1)
                    if mention.search(line)
                ],
                assumptions=[
                    a
                    for t in tasks
                    for a in t.assumptions
                    if len(t.requirements) == 1 or mention.search(a)
                ],
                deviations=[
                    f"{d.get('departure', '')} (why: {d.get('why', '')})"
                    for t in tasks
                    for d in t.deviations
                    if d.get("requirement") == req.id
                ],
            )
        )
    return rows


def _mention_re(req_id: str) -> re.Pattern[str]:
    """A requirement ID as a whole word (`CLI-1` but not `CLI-10`)."""
    return re.compile(rf"(?<![A-Za-z0-9_-]){re.escape(req_id)}(?![0-9])")


def is_test_path(path: str) -> bool:
    """Whether a generated file looks like a test (by its directory or its name)."""
    pure = PurePosixPath(path)
    in_test_dir = bool(_TEST_DIRS & {p.lower() for p in pure.parts[:-1]})
    return in_test_dir or bool(_TEST_NAME_RE.search(pure.name))


def _test_files(record: BuildRecord, workspace: Path) -> list[tuple[str, str]]:
    """The text of every test file the build's tasks wrote (the model's own tests)."""
    out: list[tuple[str, str]] = []
    paths = sorted({p for t in record.tasks.values() for p in t.files if is_test_path(p)})
    for rel in paths:
        target = workspace / rel
        try:
            if target.is_symlink() or not target.is_file():
                continue
            data = target.read_bytes()[:MAX_TEST_FILE]
        except OSError:
            continue
        out.append((rel, data.decode("utf-8", errors="replace")))
    return out
