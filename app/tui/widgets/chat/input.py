"""The chat's multi-line input: Enter sends, ctrl+j (or shift+enter) inserts a newline (the rule
of every `TextField`). Up on the first line and Down on the last line walk the input history;
pastes of any size go in as typed.

While a proposal awaits review (`review_pending`) and the input is empty, the review keys (a, r,
e, c) act on the proposal instead of being typed (`ReviewKey`); any other first key starts a
message as usual, after which every key is text.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.message import Message

from charter.app.tui.widgets.chat.review_card import REVIEW_KEYS
from charter.app.tui.widgets.text_field import TextField


class ChatInput(TextField):
    """The chat's TextField, with the input history and the review keys."""

    DEFAULT_CSS = """
    ChatInput {
        height: auto;
        min-height: 3;
        max-height: 12;
    }
    """

    @dataclass
    class ReviewKey(Message):
        """A review key pressed in the empty input while a proposal awaits review."""

        action: str

    def __init__(self, *, id: str | None = None, placeholder: str = "") -> None:
        """An empty input with soft wrapping and no line numbers."""
        super().__init__("", id=id, placeholder=placeholder)
        self.sent: list[str] = []
        self.review_pending = False
        """Whether a proposal awaits review (set by the chat pane)."""
        self._history_pos: int | None = None
        self._draft = ""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """F6 and F7 belong to the screen (audit pane, pane width), not to TextArea's line and
        all selection: leaving those out also keeps the footer's F-keys in order."""
        if action in ("select_line", "select_all"):
            return False
        return super().check_action(action, parameters)

    async def _on_key(self, event: events.Key) -> None:
        """A review key in the empty input while a proposal awaits review acts on it; every
        other key as in any TextField."""
        if self.review_pending and not self.text and event.character in REVIEW_KEYS:
            event.stop()
            event.prevent_default()
            self.post_message(self.ReviewKey(REVIEW_KEYS[event.character]))
            return
        await super()._on_key(event)

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
