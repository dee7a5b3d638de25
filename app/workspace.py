"""The workspace: finding it on disk, its paths, and its settings (DESIGN §3).

A workspace is a git repository with a `charter.toml` at its root. Everything Charter keeps
privately lives in the git-ignored `.charter/` directory.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.config import CONFIG_NAME, Config, load_config

STATE_DIR = ".charter"


class WorkspaceError(Exception):
    """A workspace could not be found, created or opened; the message says what to do."""


@dataclass(frozen=True)
class Workspace:
    """An opened workspace: its root, its settings and the paths derived from them."""

    root: Path
    config: Config

    @property
    def spec_dir(self) -> Path:
        """Directory holding the spec's Markdown files."""
        return self.root / self.config.workspace.spec_dir

    @property
    def transcripts_dir(self) -> Path:
        """Directory holding the ledger's JSONL files."""
        return self.root / self.config.workspace.transcripts_dir

    @property
    def state_dir(self) -> Path:
        """The git-ignored private directory `.charter/`."""
        return self.root / STATE_DIR

    @property
    def state_db(self) -> Path:
        """SQLite index of the ledger, proposals, audits, builds and model calls."""
        return self.state_dir / "state.db"

    @property
    def checkpoints_db(self) -> Path:
        """LangGraph checkpoints."""
        return self.state_dir / "checkpoints.db"

    @property
    def builds_dir(self) -> Path:
        """Where each isolated build gets its own directory."""
        return self.state_dir / "builds"

    @property
    def lock_path(self) -> Path:
        """The single-writer lock file."""
        return self.state_dir / "lock"


def find_root(start: Path | None = None) -> Path | None:
    """Walk up from `start` (default: cwd) to the nearest directory holding `charter.toml`."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / CONFIG_NAME).is_file():
            return candidate
    return None


def open_workspace(start: Path | None = None) -> Workspace:
    """Open the workspace containing `start` (default: cwd) or raise WorkspaceError."""
    root = find_root(start)
    if root is None:
        where = (start or Path.cwd()).resolve()
        raise WorkspaceError(
            f"{where} is not inside a Charter workspace (no {CONFIG_NAME} found); "
            "run `charter init` to make it one."
        )
    ws = Workspace(root=root, config=load_config(root / CONFIG_NAME))
    ws.state_dir.mkdir(exist_ok=True)
    return ws
