"""The intent turn's shared vocabulary: its state, its run context, its error, and the small
ledger and history look-ups the nodes and the session runner both use."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from charter.agents import ModelFactory, TokenCallback
from charter.graphs.intent.check import CheckResult
from charter.graphs.intent.commit import CommitSettings
from charter.specs import recent_commits, spec_log
from charter.transcripts import Ledger, Record

if TYPE_CHECKING:
    from charter.graphs.intent.payloads import Payloads

CHECK_REPAIRS = 1
"""Rounds the scribe gets to fix a proposal that code refused."""


class IntentError(Exception):
    """A turn or review act was refused; the message is one sentence for the user."""


@dataclass
class TurnContext:
    """What the nodes need that is not state: paths, the ledger, the model, the token callback."""

    root: Path
    spec_dir: Path
    transcripts_dir: Path
    ledger: Ledger
    factory: ModelFactory
    model_name: str
    commit: CommitSettings
    payloads: Payloads
    on_token: TokenCallback | None = None
    model_ms: float = 0.0


class TurnState(TypedDict, total=False):
    """One turn's state; every value is JSON-able. `convo`, `result`, `check` and `view` (and
    the outcome's `text` and `proposal`) hold payload references (`payloads.py`), so the
    checkpoint of each step stays small."""

    session: str
    message_id: str
    extra: str | None
    convo: list[dict[str, Any]] | None
    result: dict[str, Any] | None
    check: dict[str, Any] | None
    repairs: int
    repair: bool
    view: dict[str, Any] | None
    outcome: dict[str, Any] | None
    decision: dict[str, Any] | None
    commit: str | None
    # extra commit trailers, e.g. [["Charter-Finding", "A-3f2c1a"]]
    trailers: list[list[str]] | None


def fresh_state(
    session: str,
    message_id: str,
    extra: str | None = None,
    trailers: list[tuple[str, str]] | None = None,
) -> TurnState:
    """The input of a new turn: every key reset, so nothing leaks from the previous turn."""
    return TurnState(
        trailers=[[key, value] for key, value in trailers or []],
        session=session,
        message_id=message_id,
        extra=extra,
        convo=None,
        result=None,
        check=None,
        repairs=0,
        repair=False,
        view=None,
        outcome=None,
        decision=None,
        commit=None,
    )


# -- helpers ------------------------------------------------------------------------------------


def next_proposal_id(ledger: Ledger) -> str:
    """The next workspace-unique proposal ID (`p-0001`), derived from every session's records."""
    highest = 0
    for info in ledger.sessions():
        if not ledger.has_session(info.id):
            continue
        for record in ledger.records(info.id):
            if record.proposal and record.proposal.startswith("p-"):
                number = record.proposal[2:]
                if number.isdigit():
                    highest = max(highest, int(number))
    return f"p-{highest + 1:04d}"


def spec_text_for_prompt(files: dict[str, bytes]) -> str:
    """The spec's Markdown files concatenated with their paths (only used when small)."""
    parts = [
        f"<file path={path!r}>\n{data.decode('utf-8', errors='replace')}</file>"
        for path, data in sorted(files.items())
        if path.endswith(".md")
    ]
    return "\n".join(parts) if parts else "(the spec is empty: no files yet)"


def repair_text(check: CheckResult) -> str:
    """The tool result that sends code's refusal back to the scribe."""
    lines = ["Charter refused this proposal; nothing was changed. Problems:"]
    lines += [f"- {f.message} ({f.location()})" for f in check.findings if f.severity == "ERROR"]
    lines.append("Fix them and call propose_change again, or ask_user if you cannot.")
    return "\n".join(lines)


def locked_trigger(message: Record) -> str:
    """The words that may name a LOCKED requirement: only a user's own message counts.

    A turn started by Charter (e.g. `audit fix`) records an event whose text quotes a model's
    finding; an ID named there is the auditor's word, not the user's explicit request.
    """
    return message.text if message.role == "user" else ""


def turn_message(ledger: Ledger, session: str, message_id: str) -> tuple[list[Record], Record]:
    """The session's records before the turn's message, and the message itself."""
    records = ledger.records(session)
    for index, record in enumerate(records):
        if record.id == message_id:
            return records[:index], record
    raise IntentError(f"message {message_id} is not in session {session}")


def find_record(
    records: list[Record], kind: str, proposal: str, item: int | None = None
) -> Record | None:
    """A review record of `proposal` already in the ledger (for an accept that is re-run)."""
    for record in records:
        same = record.kind == kind and record.proposal == proposal
        if same and (item is None or (record.data or {}).get("item") == item):
            return record
    return None


def committed_sha(root: Path, spec_dir: Path, pid: str) -> str | None:
    """The sha of a recent spec commit made for proposal `pid`, if there is one."""
    recent = {c.sha: c for c in recent_commits(root, 5)}  # also one that changes no file
    for info in [*recent.values(), *spec_log(root, spec_dir, limit=5)]:
        if ("Charter-Proposal", pid) in [tuple(t) for t in info.trailers]:
            return info.sha
    return None


def stale_message(pid: str, paths: list[str]) -> str:
    """The refusal when the spec changed on disk between proposal and accept."""
    return (
        f"The spec changed on disk since {pid} was proposed ({', '.join(paths)}): "
        "reject it and send your message again."
    )
