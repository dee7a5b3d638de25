"""What the CLI and the TUI both do, written once: the audit (`audit`), where a requirement came
from (`why`), and the bundled example workspace (`example`)."""
