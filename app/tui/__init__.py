"""Charter's Textual TUI: one main screen (chat, spec, history, builds, audit), setup, help and
init-offer screens. `CharterApp` is the app; `app.commands.tui.open_tui` starts it."""
