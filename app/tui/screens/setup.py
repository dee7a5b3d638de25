"""The setup screen, shown when no model is configured: exactly what to set, and that browsing the
spec, history and ledger works without a model."""

from __future__ import annotations

from typing import ClassVar

import tomli_w
from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Static

from charter.app.tui.clients.workspace import ModelStatus

EXAMPLE_MODEL = "gpt-4o-mini"
EXAMPLE_LOCAL_URL = "http://localhost:11434/v1"


def setup_text(status: ModelStatus) -> Group:
    """The instructions, naming what is missing right now."""
    key_env = status.key_env
    head = Text()
    head.append("No model is configured for the scribe.\n", style="bold")
    if status.missing:
        head.append("Missing: ", style="bold red")
        head.append(", ".join(status.missing))
    elif status.message:
        head.append(status.message, style="red")
    head.append("\n\nSet these in the shell that starts charter, then start it again:")
    exports = Table.grid(padding=(0, 2))
    exports.add_column(no_wrap=True, style="bold cyan")
    exports.add_column(style="dim")
    exports.add_row(f"  export {key_env}=sk-…", "the key: environment only, never stored")
    exports.add_row("  export OPENAI_BASE_URL=https://…/v1", "any OpenAI-compatible server")
    exports.add_row(f"  export CHARTER_MODEL={EXAMPLE_MODEL}", "the model name")
    toml_snippet = tomli_w.dumps({"model": {"name": EXAMPLE_MODEL, "base_url": EXAMPLE_LOCAL_URL}})
    middle = Text("or put the model (never the key) in charter.toml:\n")
    for line in toml_snippet.splitlines():
        middle.append(f"  {line}\n", style="cyan")
    middle.append(
        "A local server (Ollama, vLLM, LM Studio, llama.cpp) needs no key: set its base_url."
    )
    tail = Text(
        "\nWithout a model you can still browse the spec, its history and the ledger.",
        style="bold",
    )
    return Group(head, exports, middle, tail)


class SetupScreen(Screen[None]):
    """Instructions plus two ways out: browse without a model, or quit."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,b", "browse", "Browse without a model"),
        Binding("ctrl+q", "app.quit", "Quit", priority=True),
    ]

    def __init__(self, status: ModelStatus) -> None:
        """A setup screen explaining `status`."""
        super().__init__(id="setup")
        self.status = status

    def compose(self) -> ComposeResult:
        """The instructions and the two buttons."""
        with VerticalScroll(id="setup-box") as box:
            box.border_title = "Set up a model"
            yield Static(setup_text(self.status), id="setup-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Browse without a model", id="browse", variant="primary", compact=True)
                yield Button("Quit", id="quit", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        """Focus the browse button, keeping the instructions' first lines in view."""
        self.query_one("#browse").focus(scroll_visible=False)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Browse closes the screen; Quit quits."""
        event.stop()
        if event.button.id == "browse":
            self.action_browse()
        else:
            self.app.exit()

    def action_browse(self) -> None:
        """Back to the main screen (read-only as far as the model is concerned)."""
        self.dismiss(None)
