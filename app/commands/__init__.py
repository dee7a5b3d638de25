"""Command groups of the `charter` CLI; each module owns its commands and registers them here.

Registration is lazy: `COMMANDS` says which module holds each command, and the root group
(`LazyGroup`) imports a module only when one of its commands is looked up, so `charter status`
never imports the build or scribe machinery. A name missing from the table makes the group load
every module before giving up, so a command added to a module without a table entry still works
(and tests/test_cli_conventions.py fails until the table names it).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

import typer
from typer.core import TyperGroup

if TYPE_CHECKING:
    from typer._click import Command, Context

# Each module exposes `register(cli: typer.Typer) -> None`.
MODULES = (
    "workspace",
    "spec",
    "transcript",
    "history",
    "scribe",
    "sessions",
    "handedits",
    "build",
    "audit",
    "coverage",
    "tui",
)
# Command (or command group) name → the module that registers it.
COMMANDS: dict[str, str] = {
    "init": "workspace",
    "status": "workspace",
    "validate": "spec",
    "transcript": "transcript",
    "reindex": "transcript",
    "log": "history",
    "show": "history",
    "why": "history",
    "say": "scribe",
    "pending": "scribe",
    "accept": "scribe",
    "reject": "scribe",
    "confirm": "scribe",
    "answer": "scribe",
    "session": "sessions",
    "handedits": "handedits",
    "build": "build",
    "builds": "build",
    "questions": "build",
    "audit": "audit",
    "coverage": "coverage",
    "tui": "tui",
}


def load_module(name: str) -> typer.Typer | None:
    """A Typer holding the commands of one command module, or None if the module is absent."""
    try:
        module = importlib.import_module(f"charter.app.commands.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"charter.app.commands.{name}":
            raise
        return None
    holder = typer.Typer(rich_markup_mode=None)
    module.register(holder)
    return holder


class LazyGroup(TyperGroup):
    """The root command group: commands are imported and converted on first lookup."""

    def _load(self, module: str) -> None:
        """Import one command module and add its commands to this group."""
        loaded: set[str] = self.__dict__.setdefault("_loaded", set())
        if module in loaded:
            return
        loaded.add(module)
        holder = load_module(module)
        if holder is None:
            return
        group = typer.main.get_group(holder)
        for name, command in group.commands.items():
            self.commands.setdefault(name, command)

    def load_all(self) -> None:
        """Import every command module (for help, completion and unknown names)."""
        for module in MODULES:
            self._load(module)

    def list_commands(self, ctx: Context) -> list[str]:
        """Every command name, loading the modules so that help can show their summaries."""
        self.load_all()
        return sorted(self.commands)

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        """The command called `cmd_name`, importing only the module that holds it."""
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self._load(COMMANDS[cmd_name])
        if cmd_name not in self.commands:
            self.load_all()
        return self.commands.get(cmd_name)
