"""Requirement-level differences between two versions of a spec.

Used wherever code, not a model, must say what a change did: the `Changes:` block of a spec
commit, and reviews of hand edits.
"""

from __future__ import annotations

from charter.specs.git.message import Change, ChangeKind
from charter.specs.model import ProvenanceKind, Requirement, Spec


def _signature(req: Requirement) -> tuple[object, ...]:
    """What makes two versions of a requirement the same (location is ignored)."""
    prov = req.provenance
    return (
        req.text,
        req.locked,
        prov and (prov.kind, tuple(prov.messages), prov.quote, prov.reason),
        tuple(
            (e.body, e.info, e.provenance and e.provenance.model_dump(exclude={"line"}))
            for e in req.examples
        ),
    )


def requirement_changes(old: Spec, new: Spec) -> list[Change]:
    """Changes from `old` to `new`: added, modified, confirmed and removed requirements, in order.

    A requirement whose provenance went from inferred to confirmed, text unchanged, is reported as
    confirmed; any other difference in text, LOCKED flag or provenance as modified.
    """
    before = {r.id: r for r in old.requirements()}
    after = {r.id: r for r in new.requirements()}
    changes: list[Change] = []
    for req in new.requirements():
        prov = req.provenance.kind.value if req.provenance else None
        was = before.get(req.id)
        if was is None:
            kind = ChangeKind.ADDED
        elif _signature(was) == _signature(req):
            continue
        elif (
            was.text == req.text
            and was.provenance is not None
            and was.provenance.kind == ProvenanceKind.INFERRED
            and prov == ProvenanceKind.CONFIRMED
        ):
            kind = ChangeKind.CONFIRMED
        else:
            kind = ChangeKind.MODIFIED
        changes.append(Change(kind=kind, req_id=req.id, provenance=prov, text=req.text))
    for req in old.requirements():
        if req.id not in after:
            prov = req.provenance.kind.value if req.provenance else None
            changes.append(
                Change(kind=ChangeKind.REMOVED, req_id=req.id, provenance=prov, text=req.text)
            )
    return changes
