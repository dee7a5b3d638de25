"""The scribe's structured output: a proposal of spec edits, as the model fills it by tool calling.

These pydantic models are the schema of the `propose_change` and `ask_user` tools. They are flat
(optional fields checked per operation) so that small local models can fill them. The edit itself
is `specs.SpecEdit` (the one operation vocabulary); an item adds where it came from. A new
requirement never carries an ID: Charter allocates IDs in code. Each item states where it came
from: `explicit` (message IDs and a verbatim quote, which code verifies later) or `inferred`
(a reason).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

from charter.specs import MSG_ID_RE, OP_MARK, EditOp, SpecEdit

Op = EditOp
__all__ = ["OP_MARK", "Op", "Proposal", "ProposalItem", "Question"]


class ProposalItem(SpecEdit):
    """One spec edit and its provenance."""

    provenance: Literal["explicit", "inferred"]
    messages: list[str] = Field(
        default_factory=list, description="explicit: the user message IDs quoted, e.g. m-0007"
    )
    quote: str | None = Field(
        default=None, description="explicit: the user's words, copied verbatim from a message"
    )
    reason: str | None = Field(default=None, description="inferred: why you propose it")

    @model_validator(mode="after")
    def _check_provenance(self) -> ProposalItem:
        """Require what the provenance needs: messages and a one-line quote, or a reason."""
        if self.provenance == "explicit":
            if not self.messages or not self.quote or not self.quote.strip():
                raise ValueError("an explicit item needs messages and a non-empty quote")
            if "\n" in self.quote or "\r" in self.quote:
                raise ValueError("quote one line of the user's words: no line breaks")
            bad = [m for m in self.messages if not MSG_ID_RE.match(m)]
            if bad:
                raise ValueError(f"not message IDs: {', '.join(bad)} (expected e.g. m-0007)")
        elif not self.reason or not self.reason.strip():
            raise ValueError("an inferred item needs a reason")
        return self


class Proposal(BaseModel):
    """Propose one coherent change to the spec; nothing changes until the user accepts it."""

    summary: str = Field(description="one line saying what the change does", min_length=1)
    items: list[ProposalItem] = Field(min_length=1)


class Question(BaseModel):
    """Ask the user one short clarifying question instead of guessing."""

    question: str = Field(min_length=1)
