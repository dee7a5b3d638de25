"""What the CLI and the TUI both do, written once: the audit (`audit`), where a requirement came
from (`why`), the build verdicts of a commit (`verdicts`), and the bundled example workspace
(`example`)."""
