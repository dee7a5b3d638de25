"""The body of an example: a shell session in the cram/prysk transcript form (DESIGN §4).

A line starting `$ ` is a command; a line starting `> ` right after a command continues it; the
lines after a command are its expected output; a last line `[N]` states the command's exit
status (none means 0). An output line ending ` (re)` is a Python regular expression and one
ending ` (glob)` a glob (`*`, `?`), as in prysk 0.20.0. One home for reading that form: the
validator reports its errors with locations, and the build's example runner executes it.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field

COMMAND_PREFIX = "$ "
CONTINUATION_PREFIX = "> "
_EXIT_RE = re.compile(r"\[(\d+)\]$")
RE_SUFFIX = " (re)"
GLOB_SUFFIX = " (glob)"


@dataclass
class Step:
    """One command of a session with its expected output lines and exit status."""

    command: str
    line: int = 0  # 0-based index of the `$ ` line in the body
    expected: list[str] = field(default_factory=list)
    exit_code: int = 0
    exit_stated: bool = False  # the session has an explicit `[N]` line for this command


@dataclass(frozen=True)
class SessionError:
    """A malformed line of a session body: 0-based body line, 1-based column, message."""

    line: int
    column: int
    message: str


def parse_session(body: str) -> tuple[list[Step], list[SessionError]]:
    """Read a session body into steps, with an error for every line that does not fit the form."""
    steps: list[Step] = []
    errors: list[SessionError] = []
    exit_seen = False
    for index, text in enumerate(body.split("\n")):
        if text.startswith(COMMAND_PREFIX) or text == "$":
            command = text[len(COMMAND_PREFIX) :]
            if not command.strip():
                errors.append(SessionError(index, 1, "a `$ ` line needs a command after it"))
            steps.append(Step(command=command, line=index))
            exit_seen = False
            continue
        if not steps:
            errors.append(
                SessionError(index, 1, "expected output before the first `$ ` command line")
            )
            continue
        step = steps[-1]
        if text.startswith(CONTINUATION_PREFIX) and not step.expected and not exit_seen:
            step.command += "\n" + text[len(CONTINUATION_PREFIX) :]
            continue
        if exit_seen:
            errors.append(
                SessionError(index, 1, "the exit status `[N]` must be the last line of a command")
            )
            continue
        m = _EXIT_RE.match(text)
        if m:
            code = int(m.group(1))
            if code > 255:
                errors.append(SessionError(index, 2, f"exit status {code} is over 255"))
            step.exit_code = code
            step.exit_stated = exit_seen = True
            continue
        if text.endswith(RE_SUFFIX):
            try:
                re.compile(text[: -len(RE_SUFFIX)])
            except re.error as exc:
                column = (exc.pos or 0) + 1
                errors.append(SessionError(index, column, f"invalid regular expression: {exc.msg}"))
        step.expected.append(text)
    if not steps and not errors:
        errors.append(SessionError(0, 1, "an example needs at least one `$ ` command line"))
    return steps, errors


def line_matches(expected: str, actual: str) -> bool:
    """Whether an actual output line satisfies an expected one (exact, `(re)` or `(glob)`)."""
    if expected == actual:
        return True
    if expected.endswith(RE_SUFFIX):
        try:
            return re.fullmatch(expected[: -len(RE_SUFFIX)], actual) is not None
        except re.error:
            return False
    if expected.endswith(GLOB_SUFFIX):
        return fnmatch.fnmatchcase(actual, expected[: -len(GLOB_SUFFIX)])
    return False
