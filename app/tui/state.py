"""What every pane of the main screen reads: the workspace's clients, the model and the scribe,
the current session and spec, read-only mode, and the one flag that says a scribe turn runs.

The main screen owns one `ScreenState` and hands it to the panes it composes; panes read it and
run their own workers, and only the scribe's turns (the chat pane) set `turn_running`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from textual.dom import DOMNode

from charter.app.tui.clients.audit import AuditRunner
from charter.app.tui.clients.builds import BuildRunner
from charter.app.tui.clients.workspace import Backend, ModelStatus, SpecSnapshot

if TYPE_CHECKING:
    from charter.app.tui.clients.scribe import IntentClient

Fingerprint = tuple[str, tuple[object, ...], tuple[object, ...]]


def _now() -> str:
    """The current time, as the usage query expects it."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass
class ScreenState:
    """The main screen's shared, mostly read-only state."""

    backend: Backend
    read_only: str = ""
    """Who holds the workspace lock, when this window is read-only."""
    model: ModelStatus | None = None
    intent: IntentClient | None = None
    intent_error: str = ""
    session: str | None = None
    snapshot: SpecSnapshot | None = None
    turn_running: bool = False
    """Set while a scribe turn, review or confirmation runs (one at a time)."""
    fingerprint: Fingerprint | None = None
    started: str = field(default_factory=_now)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once spec, chat and history are shown (the first useful frame)."""
    painted: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once the first frame with spec and chat has been painted."""
    panes_ready: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once the history, builds and audit panes are mounted (after the first frame)."""
    settled: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once the model is checked, the scribe opened and the builds listed."""
    builds: BuildRunner = field(init=False)
    audits: AuditRunner = field(init=False)

    def __post_init__(self) -> None:
        """The build and audit runners of this workspace."""
        self.builds = BuildRunner(self.backend)
        self.audits = AuditRunner(self.backend)

    def write_refusal(self, needs_model: bool = False) -> str | None:
        """Why a write cannot happen now (read-only, no model, busy), or None."""
        if self.read_only:
            return f"Read-only: {self.read_only}. Nothing was changed."
        if needs_model:
            if (refusal := self.model_refusal()) is not None:
                return refusal
            if self.intent is None:
                return self.intent_error or "The scribe is still starting; try again in a moment."
        if self.turn_running:
            return "The scribe is still working on the last request."
        return None

    def model_refusal(self) -> str | None:
        """Why no model call can be made now (still checking, none configured), or None."""
        if self.model is None:
            return "Still checking the model settings; try again in a moment."
        if not self.model.configured:
            return "No model is configured: open Model setup (ctrl+p) to see what to set."
        return None

    async def refresh_fingerprint(self) -> None:
        """Remember what the workspace looks like now, so the poll ignores our own writes."""
        self.fingerprint = await self.backend.run_git(self.backend.fingerprint, self.session)


@contextlib.contextmanager
def reporting(node: DOMNode, what: str) -> Iterator[None]:
    """Turn a failed read into a notification naming what failed, never a crash."""
    try:
        yield
    except Exception as exc:  # any failure of git, files or SQLite: tell the user
        node.notify(f"Could not {what}: {exc}", severity="error", timeout=10, markup=False)
