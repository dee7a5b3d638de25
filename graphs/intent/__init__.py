"""The intent turn: the scribe's graph, code's check of a proposal, review and the spec commit.

Public surface (the CLI and the TUI use only these):

- `IntentSession(workspace_root, spec_dir, transcripts_dir, state_dir, checkpoints_db, factory,
  model_name)`: `say(text, on_token=None, prepare=None) -> TurnOutcome`,
  `pending() -> PendingProposal | None`,
  `accept(confirm=(), note=None) -> sha`, `accept_edited({index: text}) -> sha`,
  `accept_reviewed(edits=None, confirm=(), note=None) -> AcceptedProposal`, `reject(reason=None)`,
  `confirm(req_id, note=None) -> sha`, `answer(qid, text, on_token=None) -> TurnOutcome`,
  `new_session()`, `switch_session(id)`, `sessions()`, `records(session=None)`, `close()`.
- The review view (review.py): `TurnOutcome`, `ProposalView`, `PendingProposal`,
  `AcceptedProposal`, `CheckedItem`; `review_items(view) -> list[ReviewItem]` and
  `review_warnings(view)`, what every face renders; `render_proposal(view)` as plain text.
- Hand edits (uncommitted spec changes; a turn refuses over them with `HandEditsPending`):
  `find_hand_edits(root, spec_dir) -> HandEdits`, and on the session `hand_edits()`,
  `commit_hand_edits()`, `set_aside_hand_edits() -> SetAside`, `restore_hand_edits(id)`;
  `set_asides(state_dir)`. The TUI offers the same choice from these.
- Recovery: `IntentSession.recover()` replays the commit journal (`journal_file(state_dir)`)
  a killed process left, and records an accept whose commit landed.
- Messages first: `say`/`answer` write the user's words to the ledger before anything else; a
  refusal before the scribe is asked keeps them unanswered (`MessageHeld`, naming the record),
  `held_message()` finds that record and `say_again(on_token=None)` answers it (`NothingHeld`
  when there is none).
- Errors: `IntentError` (a refused act, one sentence), `NothingPending`, `NothingHeld` and
  `MessageHeld` (subclasses).
"""

from charter.graphs.intent.check import CheckedItem, CheckResult, check_proposal, names_requirement
from charter.graphs.intent.handedits import (
    HandEdits,
    HandEditsPending,
    SetAside,
    find_hand_edits,
    set_asides,
)
from charter.graphs.intent.review import (
    AcceptedProposal,
    PendingProposal,
    ProposalView,
    ReviewItem,
    TurnOutcome,
    item_line,
    render_proposal,
    review_items,
    review_warnings,
    source_line,
)
from charter.graphs.intent.session import IntentSession, MessageHeld, NothingHeld, NothingPending
from charter.graphs.intent.state import IntentError

__all__ = [
    "AcceptedProposal",
    "CheckResult",
    "CheckedItem",
    "HandEdits",
    "HandEditsPending",
    "IntentError",
    "IntentSession",
    "MessageHeld",
    "NothingHeld",
    "NothingPending",
    "PendingProposal",
    "ProposalView",
    "ReviewItem",
    "SetAside",
    "TurnOutcome",
    "check_proposal",
    "find_hand_edits",
    "item_line",
    "names_requirement",
    "render_proposal",
    "review_items",
    "review_warnings",
    "set_asides",
    "source_line",
]
