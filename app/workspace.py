"""The workspace: finding it on disk, its paths, its settings, making one (DESIGN §3), and the
wiring of an opened workspace (its model factory and the scribe's IntentSession).

A workspace is a git repository with a `charter.toml` at its root. Everything Charter keeps
privately lives in the git-ignored `.charter/` directory.

`init_workspace` decides what `charter init DIR` means:
- DIR (created if missing) becomes the workspace root and must be the top level of its git
  repository. Without a repository, `git init` makes one. Inside another repository's work tree
  it refuses and names both ways out (init at the top level, or `git init DIR` first), because a
  workspace is a repository (DESIGN §1) and everything downstream (spec commits, builds from a
  commit's tree) relies on the spec paths being relative to the repository's top level.
- Existing history, files and the index are never touched and nothing is committed; the result
  lists what the user may want to commit (`charter.toml`, `.gitignore`).
- It is idempotent: on a complete workspace it changes nothing; a missing piece of the layout
  (say the empty spec dir after a fresh clone) is re-created and reported.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from charter.app.config import CONFIG_NAME, Config, ConfigError, load_config, write_config

if TYPE_CHECKING:
    from charter.agents import ModelFactory
    from charter.graphs.intent import IntentSession

STATE_DIR = ".charter"
GITIGNORE = ".gitignore"
# Lines of a `.gitignore` that already ignore the state dir at the workspace root.
_IGNORE_LINES = {".charter", ".charter/", "/.charter", "/.charter/"}


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
    # Spec commits, builds and every printed path are relative to the root: refuse, in one
    # line naming the field, a directory that lies outside it.
    _inside(root, ws.config.workspace.spec_dir, "spec_dir")
    _inside(root, ws.config.workspace.transcripts_dir, "transcripts_dir")
    if ws.state_dir.exists() and not ws.state_dir.is_dir():
        raise WorkspaceError(
            f"{ws.state_dir} is a file, but Charter keeps its private state in a directory "
            f"there: move the file away (for example to {STATE_DIR}.bak) and run the command again."
        )
    try:
        ws.state_dir.mkdir(exist_ok=True)
    except OSError as exc:
        raise WorkspaceError(f"cannot create {ws.state_dir}: {exc.strerror or exc}.") from exc
    return ws


def index_damage(ws: Workspace) -> str | None:
    """Why the workspace's `state.db` is unusable, or None (a cheap check of its header)."""
    from charter.transcripts import Ledger

    return Ledger(ws.transcripts_dir, ws.state_db).index_damage()


class InitResult(BaseModel):
    """What `init_workspace` found and did; paths are relative to the workspace root."""

    root: Path
    created_repo: bool = Field(description="whether `git init` was run")
    already: bool = Field(description="whether DIR was a complete workspace (nothing changed)")
    created: list[str] = Field(default_factory=list, description="files and dirs made")
    changed: list[str] = Field(default_factory=list, description="existing files edited")
    to_commit: list[str] = Field(default_factory=list, description="what the user may commit")


def _repo_top(path: Path) -> Path | None:
    """The top level of the work tree holding `path`, None outside any repository."""
    from charter.specs import HistoryError, probe_repo

    try:
        found = probe_repo(path)
    except HistoryError as exc:
        raise WorkspaceError(f"git cannot read {path}: {exc}.") from None
    if found.kind == "bare":
        raise WorkspaceError(
            f"{path} is a bare git repository, which has no working tree to hold a spec; "
            "clone it and run charter init in the clone."
        )
    if found.kind == "git-dir":
        raise WorkspaceError(
            f"{path} is inside a .git directory; run charter init in the working tree instead."
        )
    return found.top


def _nearest_existing(path: Path) -> Path:
    """`path` itself or its closest existing ancestor."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path(path.anchor)


def _check_writable(directory: Path) -> None:
    """Refuse a directory we cannot create files in (a real probe, so it also holds for root)."""
    try:
        with tempfile.TemporaryFile(dir=directory, prefix=".charter-probe-"):
            pass
    except OSError as exc:
        raise WorkspaceError(
            f"cannot write to {directory}: {exc.strerror or exc}; choose a directory you can write."
        ) from exc


def _inside(root: Path, rel: str, what: str) -> Path:
    """Resolve a configured directory and refuse one outside the workspace root."""
    target = (root / rel).resolve()
    if target != root and root not in target.parents:
        raise WorkspaceError(f"{root / CONFIG_NAME}: {what} {rel!r} is outside the workspace.")
    return target


def _needs_ignore_line(root: Path) -> bool:
    """Whether the root `.gitignore` lacks a line ignoring `.charter/`."""
    path = root / GITIGNORE
    if not path.exists():
        return True
    lines = path.read_bytes().decode("utf-8", "replace").splitlines()
    return not any(line.strip() in _IGNORE_LINES for line in lines)


def _add_ignore_line(root: Path) -> bool:
    """Append `.charter/` to the root `.gitignore`; return True when the file was created."""
    path = root / GITIGNORE
    existed = path.exists()
    old = path.read_bytes() if existed else b""
    prefix = b"" if not old or old.endswith(b"\n") else b"\n"
    with path.open("ab") as fh:
        fh.write(prefix + f"{STATE_DIR}/\n".encode())
    return not existed


def init_workspace(path: Path) -> InitResult:
    """Make `path` a Charter workspace (see the module docstring) or raise WorkspaceError."""
    from charter.app.lock import WorkspaceLock  # lazy: app.lock imports this module

    root = Path(os.path.abspath(path.expanduser()))
    if root.exists() and not root.is_dir():
        raise WorkspaceError(f"{root} is a file, not a directory; give charter init a directory.")
    probe_from = _nearest_existing(root)
    if not probe_from.is_dir():
        raise WorkspaceError(f"cannot create {root}: {probe_from} is a file, not a directory.")
    top = _repo_top(probe_from)
    root = root.resolve() if root.exists() else probe_from.resolve() / root.relative_to(probe_from)
    if top is not None and top != root:
        raise WorkspaceError(
            f"{root} is inside the git repository at {top}, and a workspace must be a "
            f"repository's top level: run charter init {top}, or git init {root} first to give "
            "it a repository of its own."
        )
    config_path = root / CONFIG_NAME
    had_config = config_path.is_file()
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        raise WorkspaceError(f"{exc}; fix it before running charter init again.") from exc
    spec_dir = _inside(root, config.workspace.spec_dir, "spec_dir")
    transcripts_dir = _inside(root, config.workspace.transcripts_dir, "transcripts_dir")
    state_dir = root / STATE_DIR
    dirs = [d for d in (spec_dir, transcripts_dir) if not d.is_dir()]
    needs_ignore = not root.exists() or _needs_ignore_line(root)
    if top is not None and had_config and not dirs and state_dir.is_dir() and not needs_ignore:
        return InitResult(root=root, created_repo=False, already=True)

    if not root.exists():
        _check_writable(probe_from)
        try:
            root.mkdir(parents=True)
        except OSError as exc:
            raise WorkspaceError(f"cannot create {root}: {exc.strerror or exc}.") from exc
    _check_writable(root)
    for d in (spec_dir, transcripts_dir, state_dir):
        if d.exists() and not d.is_dir():
            raise WorkspaceError(f"{d} is a file, but Charter needs a directory there.")

    result = InitResult(root=root, created_repo=top is None, already=False)
    if top is None:
        from charter.specs import HistoryError, init_repo

        try:
            init_repo(root)
        except HistoryError as exc:
            raise WorkspaceError(f"git init failed in {root}: {exc}.") from None
    if not state_dir.is_dir():
        state_dir.mkdir()
        result.created.append(f"{STATE_DIR}/")
    with WorkspaceLock(state_dir).acquire("charter init"):
        if not had_config:
            write_config(config_path, config)
            result.created.append(CONFIG_NAME)
        for d in dirs:
            d.mkdir(parents=True, exist_ok=True)
            result.created.append(f"{d.relative_to(root).as_posix()}/")
        if needs_ignore:
            (result.created if _add_ignore_line(root) else result.changed).append(GITIGNORE)
    result.to_commit = [p for p in (CONFIG_NAME, GITIGNORE) if p in result.created + result.changed]
    return result


# -- the wiring: what a command or the TUI needs on an opened workspace -------------------------
# The CLI commands, the audit service and the TUI all wire these the same way: usage recorded in
# the workspace's `state.db`, checkpoints in `.charter/checkpoints.db`, the ledger indexed in
# `state.db`, builder questions read from `.charter/builds/`.


def model_factory(
    ws: Workspace, *, env: Mapping[str, str] | None = None, context: str | None = None
) -> ModelFactory:
    """The per-role model factory for `ws`, recording usage in its state.db."""
    from charter.agents import ModelFactory

    return ModelFactory(
        ws.config.model,
        env=env,
        usage_db=ws.state_db,
        context=context,
        max_proposal_bytes=ws.config.scribe.max_proposal_bytes,
    )


def intent_session(ws: Workspace, factory: ModelFactory, model_name: str) -> IntentSession:
    """An IntentSession on `ws` whose scribe comes from `factory` (named `model_name`)."""
    from charter.graphs.intent import IntentSession

    return IntentSession(
        ws.root,
        ws.spec_dir,
        ws.transcripts_dir,
        ws.state_dir,
        ws.checkpoints_db,
        factory,
        model_name,
        index_db=ws.state_db,
        builds_dir=ws.builds_dir,
        run_hooks=ws.config.git.run_hooks,
    )


def open_intent_session(
    ws: Workspace, *, need_model: bool, env: Mapping[str, str] | None = None
) -> IntentSession:
    """An IntentSession on `ws`; with `need_model`, raise ModelConfigError before anything is
    recorded when the scribe's model or key is missing (checked without calling the model)."""
    from charter.agents import ModelConfigError

    factory = model_factory(ws, env=env)
    try:
        name = factory.resolve("scribe").name
        if need_model:
            factory.chat("scribe")  # builds the client: checks the key too
    except ModelConfigError:
        if need_model:
            raise
        name = ""
    return intent_session(ws, factory, name)
