"""Multi-line text where Enter submits and ctrl+j inserts a newline: the chat input and every
dialog's multi-line field follow this one rule.

ctrl+j is the documented, reliable newline key: every terminal sends it as a line feed, while
shift+enter (and alt+enter) only reach the app in terminals that report modified keys.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.message import Message
from textual.widgets import TextArea

NEWLINE_KEYS = ("ctrl+j", "shift+enter", "alt+enter")


class TextField(TextArea):
    """A soft-wrapping TextArea whose Enter submits; the text is never read as markup."""

    @dataclass
    class Submitted(Message):
        """The user pressed Enter: `text` is exactly what is in the field."""

        field: TextField
        text: str

        @property
        def control(self) -> TextField:
            """The field that was submitted."""
            return self.field

    def __init__(self, text: str = "", *, id: str | None = None, placeholder: str = "") -> None:
        """A field holding `text`, soft-wrapped, without line numbers; tab moves the focus."""
        super().__init__(
            text,
            id=id,
            soft_wrap=True,
            show_line_numbers=False,
            tab_behavior="focus",
            highlight_cursor_line=False,
            placeholder=placeholder,
            compact=True,
        )

    async def _on_key(self, event: events.Key) -> None:
        """Enter submits; the newline keys insert a line break; everything else as TextArea."""
        if event.key == "enter" and not self.read_only:
            event.stop()
            event.prevent_default()
            self.post_message(self.Submitted(self, self.text))
            return
        if event.key in NEWLINE_KEYS and not self.read_only:
            event.stop()
            event.prevent_default()
            self.insert_newline()
            return
        await super()._on_key(event)

    def insert_newline(self) -> None:
        """Replace the selection with a line break and put the cursor after it."""
        result = self.replace("\n", *self.selection, maintain_selection_offset=False)
        self.move_cursor(result.end_location)
