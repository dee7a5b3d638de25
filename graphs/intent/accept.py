"""The one accept check: from a proposal and the user's review to the `CommitPlan` to commit.

`plan_accept` refuses a spec changed on disk since the proposal, re-checks the proposal with the
user's edits, confirms the inferred items the user vouches for, validates them, and lays out the
commit message. The session runs it first as a dry run, with placeholder ledger IDs standing in
for records not yet written (so a refusal records nothing); the commit node runs the very same
function with the real records and commits its plan. `plan_confirm` does the same for confirming
one requirement of the committed spec (`charter confirm`). Every plan is committed by
`commit.commit_plan`, the one commit path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from pydantic import BaseModel

from charter.agents import Proposal
from charter.graphs.intent.check import (
    CheckResult,
    Edit,
    MessageText,
    check_proposal,
)
from charter.graphs.intent.commit import CommitPlan, changes_of, confirm_items, intents_of
from charter.graphs.intent.review import ProposalView
from charter.graphs.intent.specdir import changed_since, load_spec, parse_spec_text, read_spec_dir
from charter.graphs.intent.state import IntentError, stale_message
from charter.specs import (
    EDITABLE_OPS,
    Change,
    ChangeKind,
    CommitMessage,
    Intent,
    Provenance,
    ProvenanceKind,
    Severity,
    Spec,
    SpecFile,
    render_file,
    validate,
)

PLACEHOLDER_BASE = 90_000_000
"""Message numbers no real ledger reaches: the dry run's stand-ins for records not yet written."""


def placeholder(offset: int = 0) -> str:
    """A stand-in ledger ID for the dry run."""
    return f"m-{PLACEHOLDER_BASE + offset}"


class AcceptRequest(BaseModel):
    """The user's review of a proposal, checked as input: real edits and confirmed items."""

    edits: dict[int, str]
    confirm: list[int]
    note: str | None = None


def one_line_or_fail(text: str, what: str) -> str:
    """Refuse text that cannot be quoted on a provenance line (empty or multi-line)."""
    if not text.strip():
        raise ValueError(f"the {what} is empty")
    if "\n" in text or "\r" in text:
        raise ValueError(f"the {what} must be one line (it is quoted on the provenance line)")
    return text


def accept_request(
    view: ProposalView, edits: Mapping[int, str], confirm: Sequence[int], note: str | None
) -> AcceptRequest:
    """Check the review's input against the proposal; drop edits that change nothing."""
    items = {item.index: item for item in view.items}
    changed: dict[int, str] = {}
    for index, text in edits.items():
        item = items.get(int(index))
        if item is None:
            raise ValueError(f"{view.id} has no item {index}")
        if item.op not in EDITABLE_OPS:
            raise ValueError(f"item {index} ({item.op}) has no requirement text to edit")
        one_line_or_fail(text, f"edited text of item {index}")
        if text != item.text:
            changed[int(index)] = text
    indexes = sorted({int(i) for i in confirm})
    if indexes and note is not None:
        one_line_or_fail(note, "note")
    edited = [i for i in indexes if i in changed]
    if edited:
        raise ValueError(f"item {edited[0]} is edited: your text is explicit already")
    return AcceptRequest(edits=changed, confirm=indexes, note=note if indexes else None)


def _errors_about(files: Mapping[str, bytes], ids: set[str], message_text: MessageText) -> str:
    """ERROR findings of the spec `files` about the requirements `ids`, as one sentence."""
    errors = [
        f
        for f in validate(load_spec(files), message_text=message_text)
        if f.severity is Severity.ERROR and f.req_id in ids
    ]
    return "; ".join(f"{f.location()} {f.message}" for f in errors)


def plan_accept(
    spec_dir: Path,
    *,
    view: ProposalView,
    proposal: Proposal,
    check: CheckResult,
    trigger_text: str,
    edits: Mapping[int, Edit],
    confirm: Sequence[int],
    confirm_record: str | None,
    note: str | None,
    message_text: MessageText,
    model: str,
    trailers: Sequence[tuple[str, str]] = (),
) -> CommitPlan:
    """The commit an accept makes, or IntentError saying why it cannot be made."""
    spec_path = spec_dir
    stale = changed_since(spec_path, check.base)
    if stale:
        raise IntentError(stale_message(view.id, stale))
    if edits:
        check = check_proposal(
            spec_path,
            proposal,
            trigger_id=view.message_id,
            trigger_text=trigger_text,
            message_text=message_text,
            edits=edits,
        )
        if check.refused:
            problems = "; ".join(f.message for f in check.findings if f.severity == "ERROR")
            raise IntentError(f"Your edits would make the spec invalid: {problems}")
    if confirm:
        try:
            check = confirm_items(check, confirm, confirm_record or placeholder(), note)
        except ValueError as exc:
            raise IntentError(f"Cannot confirm: {exc} ({view.id})") from None
        files = read_spec_dir(spec_path)
        files.update({path: text.encode("utf-8") for path, text in check.files.items()})
        ids = {item.req_id for item in check.items if item.index in confirm and item.req_id}
        problems = _errors_about(files, ids, message_text)
        if problems:
            raise IntentError(problems)
    message = CommitMessage(
        subject=view.summary,
        intents=intents_of(view.message_id, check.items, message_text),
        changes=changes_of(check.items),
        session=view.session,
        proposal=view.id,
        model=view.model or model,
        trailers=list(trailers),
    )
    return CommitPlan(check=check, message=message)


def _confirmed_file(f: SpecFile, req_id: str, record: str, note: str | None) -> str:
    """The file's text with `req_id`'s provenance set to confirmed (citing `record`)."""
    copy = f.model_copy(deep=True)
    for section in copy.sections:
        for r in section.requirements:
            if r.id == req_id:
                r.provenance = Provenance(
                    kind=ProvenanceKind.CONFIRMED, messages=[record], quote=note
                )
    return render_file(copy)


def plan_confirm(
    files: Mapping[str, bytes],
    req_id: str,
    *,
    record: str,
    text: str,
    note: str | None,
    session: str,
    message_text: MessageText,
) -> CommitPlan:
    """The commit confirming the inferred requirement `req_id` (citing ledger `record`, whose
    words are `text`), or IntentError when it is not inferred or would not validate."""
    spec = load_spec(files)
    found = spec.find(req_id)
    if found is None:
        raise IntentError(f"No requirement {req_id} in the spec.")
    f, _, req = found
    if req.provenance is None or req.provenance.kind is not ProvenanceKind.INFERRED:
        kind = req.provenance.kind.value if req.provenance else "without provenance"
        raise IntentError(f"{req_id} is {kind}, not inferred: nothing to confirm.")
    new_text = _confirmed_file(f, req_id, record, note)
    parsed, findings = parse_spec_text(f.path, new_text)
    changed = Spec(files=[parsed if x.path == f.path and parsed else x for x in spec.files])

    def lookup(msg_id: str) -> str | None:
        """Ledger text, or the confirm's own words under its (maybe placeholder) ID."""
        return text if msg_id == record else message_text(msg_id)

    findings += [x for x in validate(changed, message_text=lookup) if x.file == f.path]
    errors = [x for x in findings if x.severity is Severity.ERROR and x.req_id == req_id]
    if errors:
        raise IntentError("; ".join(f"{x.location()} {x.message}" for x in errors))
    check = CheckResult(files={f.path: new_text}, old_files={f.path: files[f.path].decode("utf-8")})
    message = CommitMessage(
        subject=f"confirm {req_id}",
        intents=[Intent(id=record, text=text)],
        changes=[
            Change(kind=ChangeKind.CONFIRMED, req_id=req_id, provenance="confirmed", text=req.text)
        ],
        session=session,
    )
    return CommitPlan(check=check, message=message)
