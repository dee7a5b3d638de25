"""Command groups of the `charter` CLI; each module owns its commands and registers them here."""

from __future__ import annotations

import importlib

import typer

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


def register_all(cli: typer.Typer) -> None:
    """Mount every command module that exists onto the root app."""
    for name in MODULES:
        try:
            module = importlib.import_module(f"charter.app.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"charter.app.commands.{name}":
                raise
            continue
        module.register(cli)
