"""Checks of one example under a requirement: its kind, its session body, its provenance line.

Locations assume the canonical layout (`specs.render`): the body starts on the line after the
opening fence and is indented like the fence. The provenance's own fields are checked by the
validator like a requirement's.
"""

from __future__ import annotations

from charter.specs.model import EXAMPLE_INFO, Example, Finding, Requirement, Severity
from charter.specs.session import parse_session


def check_example(r: Requirement, e: Example) -> list[Finding]:
    """Findings about one example of `r` (file left empty: the validator fills it in)."""
    out: list[Finding] = []

    def bad(code: str, message: str, line: int, column: int) -> None:
        """Record one ERROR at a file location."""
        out.append(
            Finding(
                severity=Severity.ERROR,
                code=code,
                message=message,
                file="",
                line=line,
                column=column,
                req_id=r.id,
            )
        )

    if e.info != EXAMPLE_INFO:
        bad(
            "unknown-example-kind",
            f"an example of {r.id} is a ```{EXAMPLE_INFO} block (a shell session); "
            f"found {e.info or 'no info string'!r}",
            e.line,
            e.column + 3,
        )
    else:
        _steps, errors = parse_session(e.body)
        for err in errors:
            line = e.line + 1 + err.line if e.line else 0
            column = e.column + err.column - 1
            bad("malformed-example", f"example of {r.id}: {err.message}", line, column)
    if e.provenance is None:
        closing = e.line + e.body.count("\n") + 2 if e.line else 0
        bad(
            "example-without-provenance",
            f"an example of {r.id} has no provenance line under its closing fence "
            '(`  > explicit (m-0001): "…"` or `  > inferred: reason`)',
            closing,
            e.column if closing else 0,
        )
    return out
