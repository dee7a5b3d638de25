"""The scribe's reply while it streams in: Textual's Markdown widget fed by a MarkdownStream.

Kept apart from the chat module because Textual's Markdown (with its parser plugins) is slow to
import; it is loaded on the first streamed reply, after the first frame.
"""

from __future__ import annotations

from textual.widgets import Markdown
from textual.widgets.markdown import MarkdownStream


class ScribeMessage(Markdown):
    """A provisional reply, replaced by the ledger's record once the turn ends."""

    def __init__(self, title: str) -> None:
        """An empty reply titled `title`."""
        super().__init__("", classes="msg scribe provisional", open_links=False)
        self.border_title = title

    def stream(self) -> MarkdownStream:
        """A stream that appends fragments as fast as the widget can render them."""
        return Markdown.get_stream(self)
