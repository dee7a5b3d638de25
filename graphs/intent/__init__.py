"""The intent turn: the scribe's graph, code's check of a proposal, review and the spec commit.

Public surface (the CLI and the TUI use only these):

- `IntentSession(workspace_root, spec_dir, transcripts_dir, state_dir, checkpoints_db, factory,
  model_name)`: `say(text, on_token=None) -> TurnOutcome`, `pending() -> PendingProposal | None`,
  `accept(confirm=(), note=None) -> sha`, `accept_edited({index: text}) -> sha`,
  `accept_reviewed(edits=None, confirm=(), note=None) -> AcceptedProposal`, `reject(reason=None)`,
  `confirm(req_id, note=None) -> sha`, `answer(qid, text, on_token=None) -> TurnOutcome`,
  `new_session()`, `switch_session(id)`, `sessions()`, `records(session=None)`, `close()`.
- The views: `TurnOutcome`, `ProposalView`, `PendingProposal`, `AcceptedProposal`,
  `CheckedItem`, and `render_proposal(view)` for the plain-text review.
- Errors: `IntentError` (a refused act, one sentence), `NothingPending` (a subclass).
"""

from charter.graphs.intent.check import CheckedItem, CheckResult, check_proposal, names_requirement
from charter.graphs.intent.graph import IntentError
from charter.graphs.intent.session import IntentSession, NothingPending
from charter.graphs.intent.view import (
    AcceptedProposal,
    PendingProposal,
    ProposalView,
    TurnOutcome,
    item_line,
    render_proposal,
    source_line,
)

__all__ = [
    "AcceptedProposal",
    "CheckResult",
    "CheckedItem",
    "IntentError",
    "IntentSession",
    "NothingPending",
    "PendingProposal",
    "ProposalView",
    "TurnOutcome",
    "check_proposal",
    "item_line",
    "names_requirement",
    "render_proposal",
    "source_line",
]
