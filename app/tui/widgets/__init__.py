"""The TUI's widgets: chat, input, review card, spec tree, requirement detail, history, builds,
audit and the status bar."""
