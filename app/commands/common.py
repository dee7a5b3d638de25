"""Plumbing every command module shares: one-line errors, byte-exact output, JSON, the workspace.

User words reach stdout as UTF-8 bytes, untouched (no style stripping, no newline translation),
and `--json` documents have a stable key order so scripts and tests can diff them.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from charter.app.workspace import Workspace


def fail(message: str, code: int) -> typer.Exit:
    """Print `charter: message` on stderr and return the Exit (with `code`) to raise."""
    typer.echo(f"charter: {message}", err=True)
    return typer.Exit(code)


def out(text: str) -> None:
    """Write text to stdout as UTF-8 bytes, untouched."""
    sys.stdout.flush()
    sys.stdout.buffer.write(text.encode("utf-8", "backslashreplace"))
    sys.stdout.buffer.flush()


def dump(doc: Any) -> None:
    """Print one JSON document with a stable key order."""
    out(json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def open_ws(*, check_index: bool = True) -> Workspace:
    """The workspace around the current directory, or exit 2 with the reason.

    A damaged `state.db` is reported (the JSONL files are the truth, so work goes on) with the
    command that rebuilds it.
    """
    from charter.app.config import ConfigError
    from charter.app.workspace import WorkspaceError, index_damage, open_workspace

    try:
        ws = open_workspace()
    except (WorkspaceError, ConfigError) as exc:
        raise fail(str(exc), 2) from None
    damage = index_damage(ws) if check_index else None
    if damage is not None:
        typer.echo(
            f"charter: warning: {ws.state_db} is damaged ({damage}); run `charter reindex` to "
            "rebuild it from the transcripts",
            err=True,
        )
    return ws
