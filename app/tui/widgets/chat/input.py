"""The chat's multi-line input: Enter sends, ctrl+j (or shift+enter) inserts a newline.

ctrl+j is the documented, reliable newline key: every terminal sends it as a line feed, while
shift+enter only reaches the app in terminals that report modified keys. Up on the first line
and Down on the last line walk the input history; pastes of any size go in as typed.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.message import Message
from textual.widgets import TextArea

NEWLINE_KEYS = ("ctrl+j", "shift+enter", "alt+enter")


class ChatInput(TextArea):
    """A TextArea whose Enter submits; the text is never interpreted as markup."""

    DEFAULT_CSS = """
    ChatInput {
        height: auto;
        min-height: 3;
        max-height: 12;
    }
    """

    @dataclass
    class Submitted(Message):
        """The user pressed Enter: `text` is exactly what is in the input."""

        input: ChatInput
        text: str

        @property
        def control(self) -> ChatInput:
            """The input that was submitted."""
            return self.input

    def __init__(self, *, id: str | None = None, placeholder: str = "") -> None:
        """An empty input with soft wrapping and no line numbers."""
        super().__init__(
            "",
            id=id,
            soft_wrap=True,
            show_line_numbers=False,
            tab_behavior="focus",
            highlight_cursor_line=False,
            placeholder=placeholder,
            compact=True,
        )
        self.sent: list[str] = []
        self._history_pos: int | None = None
        self._draft = ""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """F6 and F7 belong to the screen (audit pane, pane width), not to TextArea's line and
        all selection: leaving those out also keeps the footer's F-keys in order."""
        if action in ("select_line", "select_all"):
            return False
        return super().check_action(action, parameters)

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

    def remember(self, text: str) -> None:
        """Add a sent message to the input history (consecutive duplicates kept once)."""
        if text and (not self.sent or self.sent[-1] != text):
            self.sent.append(text)
        self._history_pos = None

    def action_cursor_up(self, select: bool = False) -> None:
        """On the first line, recall the previous history entry; otherwise move up."""
        if not select and self.cursor_at_first_line and self.sent:
            if self._history_pos is None:
                self._draft = self.text
                self._history_pos = len(self.sent)
            if self._history_pos > 0:
                self._history_pos -= 1
                self._show(self.sent[self._history_pos])
            return
        super().action_cursor_up(select)

    def action_cursor_down(self, select: bool = False) -> None:
        """On the last line while browsing history, recall the next entry (or the draft)."""
        if not select and self.cursor_at_last_line and self._history_pos is not None:
            self._history_pos += 1
            if self._history_pos >= len(self.sent):
                self._history_pos = None
                self._show(self._draft)
            else:
                self._show(self.sent[self._history_pos])
            return
        super().action_cursor_down(select)

    def _show(self, text: str) -> None:
        """Replace the input's text and put the cursor at its end."""
        self.load_text(text)
        self.move_cursor(self.document.end)
