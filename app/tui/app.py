"""The Charter Textual app: opens the workspace around a start directory (or offers to create
one), takes the single-writer lock (read-only when another process holds it), and shows the main
screen. Model settings come from `env` when given (tests pass it) instead of the process
environment.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType

from charter.app.config import ConfigError
from charter.app.lock import LockedError, WorkspaceLock
from charter.app.tui.clients.workspace import Backend
from charter.app.tui.commands import CharterCommands
from charter.app.tui.screens.init_offer import InitOfferScreen
from charter.app.tui.screens.main import MainScreen
from charter.app.tui.widgets.chat.log import WINDOW as CHAT_WINDOW
from charter.app.workspace import WorkspaceError, find_root, init_workspace, open_workspace

LOCK_RETRY_SECONDS = 3.0


class CharterApp(App[None]):
    """Charter's terminal UI."""

    CSS_PATH = "styles.tcss"
    TITLE = "Charter"
    COMMANDS = App.COMMANDS | {CharterCommands}
    COMMAND_PALETTE_BINDING = "ctrl+p"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(
        self,
        start: Path | None = None,
        *,
        env: Mapping[str, str] | None = None,
        take_lock: bool = True,
    ) -> None:
        """Open on the workspace around `start` (default: the current directory)."""
        super().__init__()
        self.start_path = (start or Path.cwd()).resolve()
        self.env = dict(env) if env is not None else None
        self.take_lock = take_lock
        self.lock: WorkspaceLock | None = None
        self.backend: Backend | None = None
        self.main: MainScreen | None = None
        self.error: str | None = None
        # Find the workspace and start reading it now, while Textual starts up.
        self.root = find_root(self.start_path)
        if self.root is not None:
            self.backend = self.open_backend(self.root)

    def open_backend(self, root: Path) -> Backend | None:
        """Open the workspace and start reading what the first frame shows (None: unusable)."""
        try:
            workspace = open_workspace(root)
        except (WorkspaceError, ConfigError) as exc:
            self.error = str(exc)
            return None
        backend = Backend(workspace, self.env)
        backend.read_ahead(CHAT_WINDOW)
        return backend

    def on_mount(self) -> None:
        """Main screen inside a workspace; the init offer outside one."""
        if self.error is not None:
            self.exit(return_code=2)
        elif self.root is None:
            self.push_screen(InitOfferScreen(self.start_path), self.init_chosen)
        else:
            self.open_main(self.root)

    def open_main(self, root: Path) -> None:
        """Show the main screen on the workspace at `root`, taking the lock if it is free."""
        backend = self.backend or self.open_backend(root)
        if backend is None:
            self.exit(return_code=2)
            return
        read_only = self.acquire_lock(backend.workspace.lock_path)
        self.backend = backend
        main = MainScreen(backend, read_only=read_only)
        self.main = main
        self.push_screen(main)
        if read_only:
            self.set_interval(LOCK_RETRY_SECONDS, self.retry_lock, name="lock-retry")

    def acquire_lock(self, path: Path) -> str:
        """Take the workspace lock; return "" or a sentence naming the holder."""
        if not self.take_lock:
            return ""
        lock = WorkspaceLock(path)
        try:
            lock.acquire("charter tui")
        except LockedError as exc:
            holder = exc.holder.describe() if exc.holder else "another process"
            return f"locked by {holder}"
        self.lock = lock
        return ""

    def retry_lock(self) -> None:
        """While read-only, take the lock as soon as its holder is gone."""
        if self.lock is not None or self.backend is None:
            return
        reason = self.acquire_lock(self.backend.workspace.lock_path)
        if not reason and self.main is not None:
            self.main.set_read_only("")
            self.notify("The workspace lock is free: Charter can write again.", markup=False)

    def init_chosen(self, init: bool | None) -> None:
        """After the init offer: create the workspace, or quit."""
        if not init:
            self.exit()
            return
        self.init_workspace()

    @work(group="init", exclusive=True)
    async def init_workspace(self) -> None:
        """Run `charter init` on the start directory (off the UI thread), then open it."""
        try:
            result = await asyncio.to_thread(init_workspace, self.start_path)
        except WorkspaceError as exc:
            self.notify(str(exc), title="Init failed", severity="error", timeout=15, markup=False)
            self.push_screen(InitOfferScreen(self.start_path), self.init_chosen)
            return
        self.notify(
            f"Initialised {result.root}. You may want to commit charter.toml.", markup=False
        )
        self.open_main(result.root)

    async def wait_ready(self, settled: bool = True) -> None:
        """Wait until the main screen has painted its panes, and with `settled` until the model
        is checked, the scribe is open and a pending proposal is shown (tests, benchmarks)."""
        while self.main is None:
            self._raise_if_failed()
            await asyncio.sleep(0.01)
        event = self.main.settled if settled else self.main.painted
        waiter = asyncio.ensure_future(event.wait())
        try:
            while not event.is_set():
                self._raise_if_failed()
                await asyncio.wait([waiter], timeout=0.05)
        finally:
            waiter.cancel()

    def _raise_if_failed(self) -> None:
        """Re-raise the exception that stopped the app, if one did (tests see the cause)."""
        if self._exception is not None:
            raise self._exception

    def release(self) -> None:
        """Release the lock and stop the backend's thread."""
        if self.lock is not None:
            self.lock.release()
            self.lock = None
        if self.backend is not None:
            self.backend.close()

    async def on_unmount(self) -> None:
        """Leave the workspace as we found it: no lock held."""
        self.release()
