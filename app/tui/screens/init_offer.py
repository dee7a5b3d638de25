"""Outside a workspace, `charter` offers to make the directory one (Init) or to leave (Quit)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Static


def offer_text(path: Path) -> Text:
    """What Init will do, in plain words."""
    out = Text()
    out.append(str(path), style="bold")
    out.append(" is not inside a Charter workspace.\n\n")
    out.append("Init makes it one (the same as `charter init`):\n")
    for line in (
        "git init, if it is not a repository yet (existing history and files are untouched)",
        "a specs/ directory for the spec and a transcripts/ directory for your words",
        "charter.toml with the settings (never secrets)",
        ".charter/ for private state, added to .gitignore",
    ):
        out.append(f"  • {line}\n")
    out.append("\nNothing is committed.")
    return out


class InitOfferScreen(Screen[bool]):
    """Init or Quit; dismisses True when the user chose Init."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("i", "choose(True)", "Init"),
        Binding("q,escape", "choose(False)", "Quit"),
    ]

    def __init__(self, path: Path) -> None:
        """Offer to initialise `path`."""
        super().__init__(id="init-offer")
        self.path = path

    def compose(self) -> ComposeResult:
        """The explanation and the two buttons."""
        with Vertical(id="init-box") as box:
            box.border_title = "Not a workspace"
            yield Static(offer_text(self.path), id="init-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Init (i)", id="init", variant="primary", compact=True)
                yield Button("Quit (q)", id="quit", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        """Focus Init."""
        self.query_one("#init").focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Map buttons to the choice."""
        event.stop()
        self.action_choose(event.button.id == "init")

    def action_choose(self, init: bool) -> None:
        """Report the choice."""
        self.dismiss(init)
