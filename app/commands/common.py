"""Plumbing every command module shares: one-line errors, byte-exact output, JSON, the workspace,
and the global verbosity (`-q` drops summaries, `-v` adds notes on stderr).

User words reach stdout as UTF-8 bytes, untouched (no style stripping, no newline translation),
and `--json` documents have a stable key order so scripts and tests can diff them.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from charter.app.workspace import Workspace


# -1 with --quiet (results and errors only), 0 by default, 1 with --verbose (notes on stderr).
_VERBOSITY = [0]


def set_verbosity(level: int) -> None:
    """Set the global verbosity from `-q` (-1) or `-v` (1); 0 is the default."""
    _VERBOSITY[0] = level


def is_quiet() -> bool:
    """Whether `--quiet` was given (progress and summaries are left out)."""
    return _VERBOSITY[0] < 0


def note(text: str) -> None:
    """Print a summary line on stdout (what was done); `--quiet` leaves it out."""
    if _VERBOSITY[0] >= 0:
        typer.echo(text)


def verbose(text: str) -> None:
    """Print `charter: text` on stderr, with `--verbose` only (where things are, timings)."""
    if _VERBOSITY[0] > 0:
        typer.echo(f"charter: {text}", err=True)


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


def open_ws(
    *, check_index: bool = True, keep: Callable[[Path, str], str] | None = None
) -> Workspace:
    """The workspace around the current directory, or exit 2 with the reason.

    A damaged `state.db` is reported (the JSONL files are the truth, so work goes on) with the
    command that rebuilds it. When `charter.toml` cannot be read, `keep(state_dir, reason)` (if
    given) saves the user's words first and returns a sentence saying where.
    """
    from charter.app.config import ConfigError
    from charter.app.workspace import (
        STATE_DIR,
        WorkspaceError,
        find_root,
        index_damage,
        open_workspace,
    )

    try:
        ws = open_workspace()
    except ConfigError as exc:
        root = find_root()
        kept = f" {keep(root / STATE_DIR, str(exc))}" if keep and root else ""
        raise fail(f"{exc}{kept}", 2) from None
    except WorkspaceError as exc:
        raise fail(str(exc), 2) from None
    damage = index_damage(ws) if check_index else None
    if damage is not None:
        typer.echo(
            f"charter: warning: {ws.state_db} is damaged ({damage}); run `charter reindex` to "
            "rebuild it from the transcripts",
            err=True,
        )
    verbose(f"workspace {ws.root} (spec {ws.spec_dir}, state {ws.state_db})")
    replay_commit(ws)
    return ws


def replay_commit(ws: Workspace) -> None:
    """Finish or drop a spec commit a killed process left (see `specs.git.journal`), when no
    other process holds the workspace (a holder may be mid-commit; it finishes its own)."""
    from charter.specs import journal_file

    journal = journal_file(ws.state_dir)
    if not journal.exists():
        return
    from charter.app.lock import LockedError, WorkspaceLock
    from charter.specs import HistoryError, replay_journal

    try:
        lock = WorkspaceLock(ws.lock_path).acquire("charter recovery")
    except LockedError:
        return
    try:
        note = replay_journal(ws.root, journal)
    except HistoryError as exc:
        typer.echo(f"charter: {exc}", err=True)
        return
    finally:
        lock.release()
    if note:
        typer.echo(f"charter: {note}", err=True)
