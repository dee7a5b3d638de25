"""The one prompt loader: the prompt files beside this module are read here and nowhere else.

A prompt file is `agents/prompts/<name>.md`; its first line is `version: <v>` (the version goes
into cache keys and input hashes, so a changed prompt never reuses an old answer) and the rest is
the text. `{field}` placeholders are filled by `render`. Files ship as package data and are read
through `importlib.resources`, so this works from a wheel as well as from a checkout.

The loader is this package's `__init__` (not an `agents/prompts.py` beside an `agents/prompts/`
folder) because type checkers resolve such a pair to the folder inside a namespace package.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

PACKAGE = "charter.agents.prompts"
SUFFIX = ".md"
VERSION_PREFIX = "version:"


class PromptError(ValueError):
    """A prompt file is missing or lacks its `version:` line; the message names the file."""


@dataclass(frozen=True)
class Prompt:
    """A prompt file: its name, its `version:` line and the text after it."""

    name: str
    version: str
    text: str

    def render(self, /, **fields: str) -> str:
        """The text with its `{field}` placeholders filled in, without the final newline."""
        return self.text.format(**fields).rstrip("\n")


@cache
def load_prompt(name: str) -> Prompt:
    """Read `agents/prompts/<name>.md`, whose first line must be `version: <v>`."""
    where = f"agents/prompts/{name}{SUFFIX}"
    try:
        raw = resources.files(PACKAGE).joinpath(f"{name}{SUFFIX}").read_text("utf-8")
    except FileNotFoundError as exc:
        raise PromptError(f"{where}: no such prompt file") from exc
    first, _, rest = raw.partition("\n")
    if not first.startswith(VERSION_PREFIX):
        raise PromptError(f"{where}: the first line must be `version: <v>`")
    return Prompt(name, first.removeprefix(VERSION_PREFIX).strip(), rest.strip() + "\n")


def render_prompt(name: str, /, **fields: str) -> str:
    """The text of prompt file `name` with its `{field}` placeholders filled in."""
    return load_prompt(name).render(**fields)


def prompt_versions(names: Iterable[str]) -> dict[str, str]:
    """The version of each named prompt (for cache keys and input hashes)."""
    return {name: load_prompt(name).version for name in names}


def prompt_names() -> list[str]:
    """Every prompt file's name, sorted."""
    folder = resources.files(PACKAGE)
    return sorted(
        entry.name.removesuffix(SUFFIX)
        for entry in folder.iterdir()
        if entry.is_file() and entry.name.endswith(SUFFIX)
    )
