"""Dialogs of the builds pane's export and diff: pick the other build of a diff, and read the
diff. Enter picks, Escape cancels or closes, as every dialog."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import TextArea
from textual.widgets.option_list import Option

from charter.app.tui.screens.dialogs import Picker
from charter.app.tui.views import BuildView


def build_picker(title: str, explanation: str, builds: list[BuildView]) -> Picker:
    """Pick a build (the other side of a diff); enter picks, escape cancels (None)."""
    from charter.app.tui.widgets.builds import build_prompt

    return Picker(title, explanation, [Option(build_prompt(b), id=b.id) for b in builds])


class DiffView(ModalScreen[None]):
    """A build diff, verbatim in a read-only text area; escape (or enter) closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("enter", "close", "Close", show=False),
    ]

    def __init__(self, title: str, text: str) -> None:
        """Show `text` (never read as markup) under `title`."""
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.text = text

    def compose(self) -> ComposeResult:
        """The diff."""
        with Vertical(classes="dialog -large") as box:
            box.border_title = self.title_text
            box.border_subtitle = "esc: close"
            yield TextArea(self.text, read_only=True, id="diff-text", soft_wrap=False)

    def on_mount(self) -> None:
        """Focus the text so it scrolls with the keys."""
        self.query_one("#diff-text", TextArea).focus()

    def action_close(self) -> None:
        """Close the view."""
        self.dismiss(None)
