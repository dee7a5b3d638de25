"""The chat pane: its message log, its input and the review cards of proposals."""
