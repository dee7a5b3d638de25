"""Messages kept but not answered yet: a user's words are on disk before any refusal.

When a turn is refused before the scribe sees the message (uncommitted hand edits, no model
configured, the workspace locked by another process), the message is still kept verbatim:

- with the workspace lock held, it is a normal user record in the ledger, followed by an event
  record of kind `held` (`reply_to` the message) saying why it was not answered;
- without the lock (another process is writing the ledger, so no message ID can be handed out
  safely), it goes to a spool under the private state dir (`held/<name>.json`, fsynced), and the
  next writer moves it into the ledger the same way (`drain_spool`).

`unanswered` finds the newest such message (or one whose turn failed or was killed before the
scribe answered), so the next turn can answer it without a retype.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

from pydantic import BaseModel

from charter.transcripts.jsonl import append_line
from charter.transcripts.ledger import Ledger
from charter.transcripts.model import LedgerError, Record, check_text, now_ts

HELD = "held"
"""The kind of the event record saying a message was kept but not answered."""
SPOOL_DIR = "held"
"""The spool's folder name under the private state dir."""
_ANSWERABLE = ("message", "answer")
_NOT_ANSWERS = (HELD, "error")  # event kinds that reply to a message without answering it


class SpooledMessage(BaseModel):
    """A message typed while the workspace was locked, as kept in the spool."""

    text: str
    ts: str
    kind: str = "message"
    question: str | None = None
    build: str | None = None
    reason: str


def hold(ledger: Ledger, session: str, message: Record, reason: str) -> Record:
    """Record that `message` was kept but not answered (one `held` event after it; a repeated
    refusal of the same message right after it is not recorded twice)."""
    records = ledger.records(session) if ledger.has_session(session) else []
    last = records[-1] if records else None
    if last is not None and last.kind == HELD and last.reply_to == message.id:
        return last
    return ledger.append(
        session, "event", f"not answered yet: {reason}", kind=HELD, reply_to=message.id
    )


def unanswered(records: list[Record]) -> Record | None:
    """The newest user message nothing has answered: one a `held` event kept, or one at the end
    of the session with only `held` or `error` events after it (the turn failed, or the process
    was killed, before the scribe answered)."""
    answered = {r.reply_to for r in records if r.reply_to and r.kind not in _NOT_ANSWERS}
    held = {r.reply_to for r in records if r.kind == HELD}
    tail = True  # nothing but held or error events after this point
    for record in reversed(records):
        waiting = record.role == "user" and record.kind in _ANSWERABLE
        if waiting and record.id not in answered and (tail or record.id in held):
            return record
        if record.kind not in _NOT_ANSWERS:
            tail = False
    return None


def spool(
    state_dir: Path,
    text: str,
    reason: str,
    *,
    kind: str = "message",
    question: str | None = None,
    build: str | None = None,
) -> Path:
    """Keep a message durably outside the ledger (the lock is someone else's); return its file."""
    check_text(text)
    entry = SpooledMessage(
        text=text, ts=now_ts(), kind=kind, question=question, build=build, reason=reason
    )
    folder = Path(state_dir) / SPOOL_DIR
    name = f"{entry.ts.replace(':', '')}-{uuid.uuid4().hex[:8]}.json"
    data = json.dumps(entry.model_dump(mode="json"), sort_keys=True).encode("utf-8")
    target = folder / name
    try:
        append_line(folder / f".{name}.tmp", data)  # written and fsynced, then renamed
        os.replace(folder / f".{name}.tmp", target)
    except OSError as exc:
        raise LedgerError(f"cannot write {target}: {exc.strerror or exc}") from exc
    return target


def drain_spool(ledger: Ledger, state_dir: Path, session: str) -> list[Record]:
    """Move spooled messages into the ledger (oldest first), each followed by its `held` event;
    the caller holds the workspace lock. Returns the messages moved."""
    folder = Path(state_dir) / SPOOL_DIR
    if not folder.is_dir():
        return []
    moved: list[Record] = []
    known = None
    for path in sorted(folder.glob("*.json")):
        try:
            entry = SpooledMessage.model_validate_json(path.read_bytes())
        except (OSError, ValueError):
            continue  # left where it is, for the user to read; never dropped
        if known is None:
            records = ledger.records(session) if ledger.has_session(session) else []
            known = {(r.data or {}).get("spooled") for r in records}
        if path.name not in known:  # moved already by a process killed before the unlink
            record = ledger.append(
                session,
                "user",
                entry.text,
                kind=entry.kind,
                question=entry.question,
                build=entry.build,
                data={"spooled": path.name, "typed": entry.ts},
            )
            hold(ledger, session, record, entry.reason)
            moved.append(record)
        path.unlink()
    return moved
