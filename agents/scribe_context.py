"""What the scribe sees in a turn: its prompt, a spec outline, recent turns and the new message.

The request is kept small on purpose: the spec is shown as a compact outline (or whole, when it
is small), and the session's older records are only counted, never pasted; the ledger keeps every
original, and the scribe can search it or ask the user. The latest review acts (reject reasons
above all) are repeated in plain words so the next proposal can respect them.
"""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from charter.agents.prompts import load_prompt
from charter.transcripts import Record

WINDOW = 24
"""How many of the session's most recent records are shown verbatim."""
INLINE_SPEC_CHARS = 4000
"""A spec whose Markdown is at most this long is shown whole instead of as an outline."""
REVIEW_KINDS = ("accept", "reject", "edit", "confirm", "supersede")


def describe(record: Record, *, accepted_by: str | None = None, lines: bool = True) -> str:
    """One record as the scribe reads it: `[m-0003] user reject p-0001: the words`.

    `accepted_by` folds the accept record of a proposal into its line; `lines=False` leaves
    out a proposal's item lines (an accepted proposal's items are in the spec now)."""
    head = f"[{record.id}] {record.role}"
    if record.kind != "message":
        head += f" {record.kind}"
    for link in (record.proposal, record.question):
        if link:
            head += f" {link}"
    if accepted_by:
        head += f" (accepted in {accepted_by})"
    text = record.text
    if lines and record.kind in ("proposal", "refused") and record.data:
        text = "\n".join([text] + [f"  - {line}" for line in record.data.get("lines", [])])
    return f"{head}: {text}"


def describe_window(records: Sequence[Record]) -> list[str]:
    """The shown records, one entry each, condensed where nothing is lost to the scribe.

    An accept record folds into the line of the proposal it accepts, and an accepted proposal
    keeps its item lines only when it is the newest proposal shown: its items are in the spec,
    where the read tools show them as they are now. Every user message stays verbatim."""
    proposals = {r.proposal: r.id for r in records if r.kind == "proposal" and r.proposal}
    accepts = {
        r.proposal: r.id
        for r in records
        if r.kind == "accept" and r.proposal and r.proposal in proposals
    }
    newest = next((r.id for r in reversed(records) if r.kind in ("proposal", "refused")), None)
    out = []
    for record in records:
        if record.kind == "accept" and record.proposal in accepts:
            continue
        accepted_by = accepts.get(record.proposal) if record.kind == "proposal" else None
        out.append(
            describe(record, accepted_by=accepted_by, lines=not accepted_by or record.id == newest)
        )
    return out


def latest_review(records: Sequence[Record]) -> str | None:
    """A plain sentence about the most recent review act, so the scribe cannot miss it."""
    for record in reversed(records):
        if record.kind not in REVIEW_KINDS:
            continue
        what = record.proposal or "the proposal"
        if record.kind == "reject":
            said = f': "{record.text}"' if record.role == "user" and record.text else ""
            return (
                f"The user rejected {what} ({record.id}){said}. Respect this in your next proposal."
            )
        if record.kind == "supersede":
            return f"{what} was dropped unreviewed when the user sent a new message."
        if record.kind == "edit":
            return f'The user rewrote an item of {what} ({record.id}) as: "{record.text}".'
        if record.kind == "accept":
            return None  # shown on the proposal's line in the conversation
        return f"The user's last review act: {record.kind} {what} ({record.id})."
    return None


def scribe_messages(
    *,
    history: Sequence[Record],
    message: Record,
    spec_text: str,
    spec_outline: str,
    extra: str | None = None,
    window: int = WINDOW,
) -> list[BaseMessage]:
    """Build the request: the system prompt, then one user message holding the turn's context.

    `history` is the session's records before `message`; `spec_text` is the whole spec's
    Markdown (only pasted when short) and `spec_outline` its compact outline.
    """
    prompt = load_prompt("scribe").text
    parts: list[str] = []
    if len(spec_text) <= INLINE_SPEC_CHARS:
        parts.append("The whole spec (file paths are relative to the spec dir):\n\n" + spec_text)
    else:
        parts.append(
            "Spec outline (read sections or requirements with the tools before changing them):\n"
            + spec_outline
        )
    shown = list(history)[-window:]
    hidden = len(history) - len(shown)
    if shown or hidden:
        note = (
            f" {hidden} earlier records are not shown: use search_messages or ask the user."
            if hidden
            else ""
        )
        parts.append(
            f"Conversation so far, oldest first.{note}\n" + "\n".join(describe_window(shown))
        )
    review = latest_review(shown)
    if review:
        parts.append(review)
    if extra:
        parts.append(extra)
    if message.role == "user":
        head = f"New message {message.id} from the user (cite {message.id} for explicit items):"
    else:  # a request Charter makes on the user's behalf (e.g. `charter audit fix`)
        head = f"New request {message.id} from Charter, not the user's words (never cite it):"
    parts.append(head + "\n" + message.text)
    return [SystemMessage(prompt), HumanMessage("\n\n".join(parts))]
