"""What the chat pane asks before a write: the reason of a rejection, the edited items, the note
of a confirmation, the answer to a builder question. Each opens one dialog (Enter confirms,
Escape cancels) and returns None when the user cancelled; call them from a worker.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.app import App

from charter.app.tui.screens.dialogs import EditProposal, TextPrompt
from charter.app.tui.views import ProposalView, QuestionView, TurnResult

if TYPE_CHECKING:
    from charter.app.tui.clients.scribe import IntentClient


async def review(
    app: App[object],
    intent: IntentClient,
    proposal: ProposalView,
    action: str,
    busy: Callable[[str], None],
) -> TurnResult | None:
    """Carry out `action` (accept, reject, edit, confirm) on `proposal`, saying what runs
    through `busy`; None: the user cancelled."""
    if action == "accept":
        busy(f"committing {proposal.id}…")
        return await intent.accept()
    if action == "reject":
        reason = await app.push_screen_wait(
            TextPrompt(
                f"Reject proposal {proposal.id}",
                "Why? Your words are recorded verbatim and given to the scribe "
                "(leave empty to reject without a reason).",
                ok_label="Reject",
            )
        )
        return None if reason is None else await intent.reject(reason)
    if action == "edit":
        edited = await app.push_screen_wait(
            EditProposal(proposal.id, proposal.edit_text, intent.edit_help)
        )
        if edited is None:
            return None
        busy(f"checking your edit of {proposal.id}…")
        return await intent.accept_edited(proposal, edited)
    if action == "confirm":
        items = ", ".join(i.req_id or f"item {i.index}" for i in proposal.inferred)
        note = await app.push_screen_wait(
            TextPrompt(
                f"Confirm inferred items of {proposal.id}",
                f"You vouch for: {items}. The proposal is accepted and they become "
                "confirmed in the same commit, citing your words (an optional one-line "
                "note below).",
                ok_label="Confirm and accept",
                one_line=True,
            )
        )
        return None if note is None else await intent.confirm_proposal(proposal, note)
    return None


async def confirm_note(app: App[object], req_id: str) -> str | None:
    """The optional note of confirming an inferred requirement; None: cancelled."""
    return await app.push_screen_wait(
        TextPrompt(
            f"Confirm {req_id}",
            "You vouch for this inferred requirement: it becomes confirmed, citing your "
            "words. Add a one-line note (optional).",
            ok_label="Confirm",
            one_line=True,
        )
    )


async def answer(app: App[object], qid: str, question: QuestionView | None) -> str | None:
    """The user's answer to a builder question; None when cancelled or empty."""
    text = await app.push_screen_wait(
        TextPrompt(
            f"Answer {qid}",
            f"The builder asks: {question.text if question else qid}\nYour answer is "
            "recorded verbatim; the scribe then proposes the spec change for review.",
            ok_label="Answer",
        )
    )
    return text if text and text.strip() else None
