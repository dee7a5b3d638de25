"""Running the spec's examples against a build's workspace, with no model (DESIGN §4, §7).

After the tasks finish, every example of every requirement runs once, in its own shell, from
the workspace root, in the build's jail (`tasks.run_command`, the same jail and limits as verify
commands). Its actual transcript (commands, output, `[N]` exit statuses) is compared with the
expected one line by line (exact, `(re)` or `(glob)`, as `specs.session` reads them); a
difference is a failure with a unified diff. Results and the per-requirement verdicts go to
`examples.json` in the build directory; report.md is rendered from that file.
"""

from __future__ import annotations

import difflib
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from charter.graphs.build.cache import atomic_write
from charter.graphs.build.sandbox import Outcome
from charter.graphs.build.verdicts import RequirementVerdict, requirement_verdicts
from charter.specs import Example, Spec, Step, line_matches, parse_session

if TYPE_CHECKING:
    from charter.graphs.build.context import BuildContext

Runner = Callable[[str, Path], Outcome]
"""Runs a shell script from the workspace root, its output logged at the path given."""

EXAMPLES_FILE = "examples.json"
MAX_OUTPUT = 1024 * 1024
# Fixed settings for reproducible output (as prysk/cram do); the sandbox's own environment
# (allow-listed, private HOME and TMPDIR) is kept.
_PRELUDE = "export TZ=GMT COLUMNS=80 CDPATH= PYTHONDONTWRITEBYTECODE=1\n"


class ExampleResult(BaseModel):
    """One example's run: where it is, whether it passed, and the diff when it did not."""

    name: str = Field(description="e.g. `CLI-1 example 2`")
    requirement: str
    index: int = Field(description="1-based position among the requirement's examples")
    file: str
    line: int
    passed: bool
    diff: str = ""
    expected: str
    actual: str = ""
    error: str | None = None
    duration_s: float = 0.0


class ExamplesRun(BaseModel):
    """`examples.json`: every example's result and every requirement's verdict."""

    examples: list[ExampleResult] = Field(default_factory=list)
    requirements: list[RequirementVerdict] = Field(default_factory=list)

    def first_failure(self) -> ExampleResult | None:
        """The first failing example in spec order (the one blocker to fix first)."""
        return next((e for e in self.examples if not e.passed), None)


def examples_path(build_root: Path) -> Path:
    """Where a build keeps its examples' results."""
    return build_root / EXAMPLES_FILE


def read_examples(build_root: Path) -> ExamplesRun | None:
    """A build's examples' results, or None when the examples never ran (or the file is bad)."""
    path = examples_path(build_root)
    try:
        return ExamplesRun.model_validate_json(path.read_bytes())
    except (OSError, ValueError):
        return None


def run_examples(ctx: BuildContext) -> ExamplesRun:
    """Run every example of the build's spec, compute the verdicts, write examples.json."""
    from charter.graphs.build.tasks import run_command

    spec: Spec = ctx.view.spec
    results: list[ExampleResult] = []
    for f in spec.files:
        for req in f.requirements():
            for index, example in enumerate(req.examples, start=1):
                name = f"{req.id} example {index}"
                log = ctx.bdir.logs / f"example-{req.id}-{index}.log"
                results.append(
                    run_example(
                        example,
                        name=name,
                        requirement=req.id,
                        index=index,
                        file=f.path,
                        run=lambda script, log: run_command(ctx, script, log),
                        log_path=log,
                    )
                )
    record = ctx.journal.snapshot()
    run = ExamplesRun(examples=results)
    run.requirements = requirement_verdicts(spec, record, results, ctx.bdir.workspace)
    atomic_write(examples_path(ctx.bdir.root), run.model_dump_json(indent=2).encode("utf-8"))
    failed = sum(not r.passed for r in results)
    ctx.journal.build(f"examples: {len(results) - failed} passed, {failed} failed")
    return run


def run_example(
    example: Example,
    *,
    name: str,
    requirement: str,
    index: int,
    file: str,
    run: Runner,
    log_path: Path,
) -> ExampleResult:
    """Run one example in the sandbox and compare its transcript with the expected one."""
    base = {
        "name": name,
        "requirement": requirement,
        "index": index,
        "file": file,
        "line": example.line,
        "expected": example.body,
    }
    steps, errors = parse_session(example.body)
    if errors:
        first = errors[0]
        return ExampleResult(
            **base,
            passed=False,
            error=f"malformed example (body line {first.line + 1}): {first.message}",
        )
    salt = f"CHARTER-EXAMPLE-{secrets.token_hex(8)}"
    script = [_PRELUDE]
    for i, step in enumerate(steps):
        script.append(step.command + "\n")
        script.append(f'echo "{salt} {i} $?"\n')
    result = run("".join(script), log_path)
    raw = log_path.read_bytes()[:MAX_OUTPUT].decode("utf-8", errors="replace")
    outputs, codes = _split_output(raw, salt, len(steps))
    actual = _actual_transcript(steps, outputs, codes)
    expected_lines = example.body.split("\n")
    diff = "\n".join(
        difflib.unified_diff(expected_lines, actual, "expected", "actual", lineterm="")
    )
    error = None
    if result.limit == "sandbox":
        error = f"not run: {result.output.strip()}"
    elif result.limit is not None:
        error = result.note
    elif len(codes) < len(steps):
        error = f"the shell stopped after {len(codes)} of {len(steps)} command(s)"
    return ExampleResult(
        **base,
        passed=not diff and error is None,
        diff=diff,
        actual="\n".join(actual),
        error=error,
        duration_s=round(result.duration, 3),
    )


def _split_output(raw: str, salt: str, count: int) -> tuple[list[list[str]], list[int]]:
    """Each command's output lines and exit status, from the marked output of one shell run."""
    outputs: list[list[str]] = [[] for _ in range(count)]
    codes: list[int] = []
    current: list[str] = outputs[0] if count else []
    for line in raw.splitlines():
        before, marker, rest = line.partition(salt)
        if not marker:
            current.append(line)
            continue
        if before:  # the command's last line had no newline
            current.append(before + " (no-eol)")
        fields = rest.split()
        codes.append(int(fields[1]) if len(fields) == 2 and fields[1].isdigit() else -1)
        current = outputs[len(codes)] if len(codes) < count else []
    return outputs, codes


def _actual_transcript(steps: list[Step], outputs: list[list[str]], codes: list[int]) -> list[str]:
    """The session as it really ran, lines that satisfy their expectation shown as expected."""
    lines: list[str] = []
    for i, step in enumerate(steps):
        first, *more = step.command.split("\n")
        lines.append("$ " + first)
        lines += ["> " + x for x in more]
        for k, got in enumerate(outputs[i]):
            want = step.expected[k] if k < len(step.expected) else None
            lines.append(want if want is not None and line_matches(want, got) else got)
        if i < len(codes):
            code = codes[i]
            if code != 0 or step.exit_stated:
                lines.append(f"[{code}]")
    return lines
