"""The TUI's screens: main, setup, help, init offer, and small dialogs."""
