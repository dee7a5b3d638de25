"""Applying the example operations of a proposal (add, change, remove an example of a requirement).

A mixin of the proposal checker (`graphs.intent.check`): it reuses the checker's lookup of the
requirement, its LOCKED rule and the verified provenance, so an example gets the same treatment
as a requirement: an explicit example's quote is checked against the cited user messages by
code, and an example of a LOCKED requirement changes only when the user's message names it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from charter.specs import Example

if TYPE_CHECKING:
    from charter.agents import ProposalItem
    from charter.specs import Requirement


class ExampleOps:
    """`op_add_example`, `op_modify_example` and `op_remove_example` for the proposal checker."""

    existing: Any
    locked_ok: Any
    provenance: Any
    refuse: Any

    def _example_target(self, item: ProposalItem, checked: Any) -> Requirement | None:
        """The requirement whose examples change, or None (refused)."""
        found = self.existing(checked)
        if found is None or not self.locked_ok(checked, found[2]):
            return None
        r: Requirement = found[2]
        if item.example is not None and item.example > len(r.examples):
            self.refuse(
                checked,
                "unknown-example",
                f"{r.id} has {len(r.examples)} example(s); there is no example {item.example}",
            )
            return None
        return r

    def op_add_example(self, item: ProposalItem, checked: Any) -> None:
        """Append an example (a shell session) under a requirement."""
        r = self._example_target(item, checked)
        if r is None:
            return
        body = (item.session or "").strip("\n")
        r.examples.append(Example(body=body, provenance=self.provenance(checked)))
        checked.old_text, checked.text = None, body

    def op_modify_example(self, item: ProposalItem, checked: Any) -> None:
        """Replace one example's session (and its provenance)."""
        r = self._example_target(item, checked)
        if r is None or item.example is None:
            return
        old = r.examples[item.example - 1]
        body = (item.session or "").strip("\n")
        r.examples[item.example - 1] = Example(
            body=body, info=old.info, provenance=self.provenance(checked)
        )
        checked.old_text, checked.text = old.body, body

    def op_remove_example(self, item: ProposalItem, checked: Any) -> None:
        """Remove one example of a requirement."""
        r = self._example_target(item, checked)
        if r is None or item.example is None:
            return
        old = r.examples.pop(item.example - 1)
        checked.old_text, checked.text = old.body, None
