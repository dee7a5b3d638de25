"""Helpers for the TUI tests: a deterministic workspace and waiting for the app to settle.

Setup only (a user's spec, ledger and commit, made with the real `init_workspace`, ledger and
git) and observation; everything under test runs through the app and Pilot.
"""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from rich.text import Text
from textual.message import Message
from textual.notifications import Notification, Notify
from textual.pilot import Pilot
from textual.widgets import Static

from charter.app.config import load_config, write_config
from charter.app.tui.app import CharterApp
from charter.app.tui.screens.dialogs import TextPrompt
from charter.app.tui.screens.main import MainScreen
from charter.app.tui.widgets.chat.review_card import ReviewCard
from charter.app.workspace import init_workspace
from charter.transcripts import Ledger
from tests.fakellm import FakeLLM, ScriptedReply

SIZE = (120, 40)
SESSION = "s-20260101-01"
FIXED_DATE = "2026-01-01T12:00:00+00:00"

SPEC = """# Telemetry service

Devices send batches of events; the service reports daily totals.

## Ingest

- **ING-1** The service MUST accept `POST /events` with a JSON array of events.
  > explicit (m-0001): "devices send batches of events as JSON"
- **ING-2** The service MUST reply 413 to a request body over 1 MiB.
  > inferred: the user asked for small payloads; 1 MiB is the scribe's choice
- **ING-3** LOCKED The service MUST NOT store client IP addresses.
  > confirmed (m-0003): "yes, never keep IPs"

## Reports

- **REP-1** The service SHOULD report daily totals per device.
  > inferred: the intro says so
"""

MESSAGES = (
    ("user", "message", "devices send batches of events as JSON [bold]really[/]"),
    ("scribe", "reply", "I propose an **Ingest** section with `POST /events`."),
    ("user", "message", "yes, never keep IPs"),
    ("scribe", "reply", "Noted: ING-3 is now *confirmed* and LOCKED."),
)


def fix_git_dates(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every commit's dates fixed, so SHAs (shown in the status bar) are stable."""
    monkeypatch.setenv("GIT_AUTHOR_DATE", FIXED_DATE)
    monkeypatch.setenv("GIT_COMMITTER_DATE", FIXED_DATE)


def git(root: Path, *args: str) -> str:
    """Run git in `root` and return its stdout."""
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, check=True, text=True)
    return done.stdout


def make_workspace(root: Path, messages: int = 0, timeout: float = 10.0) -> Path:
    """A workspace with the telemetry spec, a short ledger session and one commit.

    `messages` adds that many extra user/scribe exchanges (for the chat window tests).
    """
    init_workspace(root)
    config = load_config(root / "charter.toml")
    config.model.timeout = timeout
    config.model.max_retries = 0
    write_config(root / "charter.toml", config)
    ledger = Ledger(
        root / "transcripts", root / ".charter" / "state.db", state_dir=root / ".charter"
    )
    for role, kind, text in MESSAGES:
        ledger.append(SESSION, role, text, kind=kind)
    for n in range(messages):
        ledger.append(SESSION, "user", f"extra message {n}")
    ledger.switch_session(SESSION)
    ledger.close()
    (root / "specs" / "telemetry.md").write_text(SPEC, encoding="utf-8")
    # Only the spec and settings: the ledger's timestamps would make the SHA differ per run.
    git(root, "add", "specs", "charter.toml", ".gitignore")
    git(root, "commit", "-q", "-m", "spec: the telemetry service")
    return root


def head(root: Path) -> str:
    """HEAD's full SHA."""
    return git(root, "rev-parse", "HEAD").strip()


def ledger_records(root: Path) -> list[dict[str, Any]]:
    """Every record of the test session, in file order."""
    path = root / "transcripts" / f"{SESSION}.jsonl"
    return [json.loads(line) for line in path.read_bytes().split(b"\n") if line.strip()]


def add_item(text: str, quote: str | None = None, msg: str = "m-0005") -> dict[str, Any]:
    """A propose_change item adding a requirement to Ingest (explicit when quoted)."""
    item: dict[str, Any] = {
        "op": "add_requirement",
        "file": "telemetry.md",
        "section": "Ingest",
        "text": text,
    }
    if quote is not None:
        item.update(provenance="explicit", messages=[msg], quote=quote)
    else:
        item.update(provenance="inferred", reason="operators need to see rejections")
    return item


def proposal(summary: str, *items: dict[str, Any]) -> dict[str, Any]:
    """propose_change arguments."""
    return {"summary": summary, "items": list(items)}


PROPOSAL = proposal(
    "reject oversized batches",
    add_item("The service MUST reject a batch of more than 500 events.", "more than 500 events"),
    add_item("The service SHOULD log each rejected batch."),
)
"""The scribe's proposal most review tests answer: one explicit item, one inferred."""


async def settle(pilot: Pilot[None], app: CharterApp, timeout: float = 60.0) -> None:
    """Wait until no scribe turn or review is running and the screen has caught up (a turn under
    the full suite's load, beside a LangGraph server and PostgreSQL starting, can take seconds)."""
    await app.wait_ready()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while app.main is not None and app.main.turn_running:
        if loop.time() > deadline:
            raise TimeoutError("the scribe turn did not finish")
        await asyncio.sleep(0.02)
    await app.workers.wait_for_complete()
    await pilot.pause()


async def wait_for(
    pilot: Pilot[None], predicate: Callable[[], bool], timeout: float = 30.0
) -> None:
    """Pause until `predicate()` holds (what a user would wait to see), or fail."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError("the app never reached the expected state")
        await pilot.pause(0.05)


@asynccontextmanager
async def running(
    ws: Path, env: Mapping[str, str], notes: Notes | None = None
) -> AsyncIterator[tuple[CharterApp, Pilot[None]]]:
    """Start the app on `ws` at the tests' terminal size and wait until it has settled."""
    app = CharterApp(ws, env=env)
    async with app.run_test(size=SIZE, message_hook=notes) as pilot:
        await settle(pilot, app)
        yield app, pilot


def main_of(app: CharterApp) -> MainScreen:
    """The main screen."""
    assert app.main is not None
    return app.main


def open_card(app: CharterApp) -> ReviewCard:
    """The review card awaiting review."""
    card = main_of(app).chat_log.open_card()
    assert card is not None, "no open review card"
    return card


async def answer_prompt(
    pilot: Pilot[None], app: CharterApp, key: str, text: str, submit: str
) -> None:
    """Press `key`, check it opened a text prompt, type `text`, submit with `submit`; settle."""
    await pilot.press(key)
    await pilot.pause()
    assert isinstance(app.screen, TextPrompt)
    await type_text(pilot, text)
    await pilot.press(submit)
    await settle(pilot, app)


async def type_text(pilot: Pilot[None], text: str) -> None:
    """Type `text` key by key into the focused widget (newlines as ctrl+j)."""
    for ch in text:
        await pilot.press("ctrl+j" if ch == "\n" else ch)


def static_text(widget: Static) -> str:
    """The plain text a Static shows."""
    content = widget.content
    if isinstance(content, Text):
        return content.plain
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(content)
    return console.export_text()


class Notes:
    """A `run_test(message_hook=...)` that records every notification the app raises."""

    def __init__(self) -> None:
        """No notifications yet."""
        self.seen: list[Notification] = []

    def __call__(self, message: Message) -> None:
        """Keep Notify messages."""
        if isinstance(message, Notify):
            self.seen.append(message.notification)

    def text(self) -> str:
        """Every notification's title and message, one per line."""
        return "\n".join(f"{n.severity}: {n.title} {n.message}" for n in self.seen)


CONTRADICTION = {
    "kind": "contradiction",
    "severity": "ERROR",
    "requirements": ["ING-1", "ING-2"],
    "message": "ING-1 accepts any JSON array of events while ING-2 rejects large bodies "
    "[bold]without[/] saying which wins.",
    "fix": "Say whether ING-2's limit applies to the batches ING-1 accepts.",
}


def script_auditor(llm: FakeLLM, sections: dict[str, list[dict[str, Any]]]) -> None:
    """Answer the auditor's requests by content: `sections` maps a section title to the
    findings reported for it; the outline and drift pairs get none. Scribe requests fall
    through to the queue."""

    def handle(body: dict[str, Any]) -> ScriptedReply | None:
        """The scripted answer for one auditor request (None: not the auditor's)."""
        names = [t["function"]["name"] for t in body.get("tools") or []]
        if "report_verdicts" in names:
            return ScriptedReply.tools([("report_verdicts", {"verdicts": []})])
        if "report_findings" not in names:
            return None
        text = str(body["messages"][1]["content"])
        found: list[dict[str, Any]] = []
        if not text.startswith("##"):
            title = text.split("\n")[1].removeprefix("Section: ")
            found = sections.get(title, [])
        return ScriptedReply.tools([("report_findings", {"findings": found})])

    llm.handler(handle)


def auditor_requests(llm: FakeLLM) -> int:
    """How many requests the auditor model received so far."""
    return sum(
        1
        for r in llm.chat_requests
        if any(
            t["function"]["name"] in ("report_findings", "report_verdicts")
            for t in r.body.get("tools") or []
        )
    )
