"""Checking a proposal in code before anyone reviews it: provenance, IDs, LOCKED items, validity.

Nothing the model claims is trusted here:

- An explicit item's quote must occur verbatim in a cited user message (looked up in the ledger);
  otherwise the item is downgraded to inferred with the reason `not found verbatim in m-0007:
  "<quote>"`, and the view shows it so.
- IDs of new requirements are allocated by code from the ID register (section prefix + number,
  never reusing a retired number).
- LOCKED rule: modifying, removing or moving a LOCKED requirement (also by removing its
  section) is refused unless the user's message that started the turn names that requirement by
  its ID (e.g. "change ING-3 to ..."); naming it is what makes the message explicitly about it.
- The resulting spec is validated; ERROR findings that the spec did not already have refuse the
  proposal, as do items that do not apply (unknown ID, file or section).

The check works on the spec files as they are on disk at proposal time and records their hashes,
so that an accept can refuse when the files changed in between (`specdir` reads and hashes them).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path

from pydantic import BaseModel, Field

from charter.agents import Proposal, ProposalItem
from charter.graphs.intent.specdir import (
    fingerprint,
    load_spec,
    parse_spec_text,
    read_spec_dir,
    unreadable_files,
)
from charter.specs import (
    REGISTER_NAME,
    Applied,
    EditError,
    Finding,
    Forbidden,
    IdRegister,
    Provenance,
    ProvenanceKind,
    Requirement,
    Section,
    Severity,
    Spec,
    SpecFile,
    SpecWork,
    names_requirement,
    render_file,
    section_prefix,
    validate,
)

MessageText = Callable[[str], str | None]
REGISTER = REGISTER_NAME


class Edit(BaseModel):
    """A user's replacement text for one item, and the ledger record holding it verbatim."""

    record: str
    text: str


class CheckedItem(BaseModel):
    """One proposal item after code checked it: resolved IDs and verified provenance."""

    index: int = Field(description="1-based position in the proposal")
    op: str
    req_id: str | None = None
    file: str | None = None
    section: str | None = None
    text: str | None = Field(default=None, description="the requirement text after the change")
    old_text: str | None = None
    locked: bool = False
    new_title: str | None = None
    provenance: str = Field(description="explicit or inferred, after verification")
    messages: list[str] = Field(default_factory=list)
    quote: str | None = None
    reason: str | None = None
    downgraded: str | None = Field(
        default=None, description="why an item claimed explicit is shown as inferred"
    )
    edit: str | None = Field(default=None, description="ledger ID of the user's edit, if any")
    removed: dict[str, str] = Field(
        default_factory=dict, description="remove_section: the requirements removed with it"
    )

    @property
    def badge(self) -> str:
        """E, I or C, plus L when the requirement is LOCKED."""
        letter = {"explicit": "E", "inferred": "I", "confirmed": "C"}[self.provenance]
        return letter + ("L" if self.locked else "")


class CheckResult(BaseModel):
    """The checked proposal: items, the changed files' old and new text, and the findings."""

    items: list[CheckedItem] = Field(default_factory=list)
    files: dict[str, str] = Field(
        default_factory=dict, description="changed spec files (spec-dir relative) → new text"
    )
    old_files: dict[str, str] = Field(default_factory=dict, description="their text before")
    ids_toml: str | None = Field(default=None, description="new .ids.toml text, if it changed")
    old_ids_toml: str | None = Field(default=None, description=".ids.toml text before")
    base: dict[str, str] = Field(
        default_factory=dict, description="sha256 of every spec file and the register at check"
    )
    findings: list[Finding] = Field(default_factory=list)

    @property
    def refused(self) -> bool:
        """Whether an ERROR finding refuses the proposal."""
        return any(f.severity is Severity.ERROR for f in self.findings)


# -- the LOCKED rule ----------------------------------------------------------------------------


# -- applying items -----------------------------------------------------------------------------


class _Checker:
    """Applies the items of one proposal to a working copy of the spec, collecting findings."""

    def __init__(
        self,
        spec: Spec,
        register: IdRegister,
        *,
        spec_dir_name: str,
        trigger_id: str,
        trigger_text: str,
        message_text: MessageText,
    ) -> None:
        """Prepare to apply items to `spec`, allocating from `register` (raised to `spec`'s IDs)."""
        register.observe(spec)
        self.work = SpecWork(spec, spec_dir_name)
        self.register = register
        self.trigger_id = trigger_id
        self.trigger_text = trigger_text
        self.message_text = message_text
        self.findings: list[Finding] = []

    def refuse(self, item: CheckedItem, code: str, message: str, file: str | None = None) -> None:
        """Record why an item cannot be applied."""
        where = f"item {item.index} ({item.op}{' ' + item.req_id if item.req_id else ''})"
        self.findings.append(
            Finding(
                severity=Severity.ERROR,
                code=code,
                message=f"{where}: {message}",
                file=file or item.file or ".",
                req_id=item.req_id,
            )
        )

    def verify(self, item: ProposalItem, checked: CheckedItem) -> None:
        """Keep an explicit claim only if its quote is verbatim in a cited user message."""
        if item.provenance == "inferred":
            checked.provenance, checked.reason = "inferred", " ".join((item.reason or "").split())
            return
        quote = item.quote or ""
        found = [m for m in dict.fromkeys(item.messages) if quote in (self.message_text(m) or "")]
        if found:
            checked.provenance, checked.messages, checked.quote = "explicit", found, quote
            return
        cited = ", ".join(item.messages)
        checked.provenance = "inferred"
        checked.reason = f'not found verbatim in {cited}: "{" ".join(quote.split())}"'
        checked.downgraded = checked.reason

    def provenance(self, checked: CheckedItem) -> Provenance:
        """The provenance line a changed requirement gets."""
        if checked.provenance == "explicit":
            return Provenance(
                kind=ProvenanceKind.EXPLICIT, messages=checked.messages, quote=checked.quote
            )
        return Provenance(kind=ProvenanceKind.INFERRED, reason=checked.reason)

    def allocate(self, spec: Spec, path: str, title: str) -> str:
        """A new requirement's ID: the section's prefix, the register's next number."""
        prefix = section_prefix(spec, path, title, reserved=self.register.highest)
        # The register observed the base spec and every ID added since came from it, so the spec
        # holds no higher number: an empty spec spares `allocate` a scan of every requirement.
        return self.register.allocate(prefix, Spec())

    def apply(self, index: int, item: ProposalItem, edit: Edit | None) -> CheckedItem:
        """Apply one item (with the user's edit, when given) and return it checked."""
        if edit is not None:
            item = item.model_copy(
                update={
                    "text": edit.text,
                    "provenance": "explicit",
                    "messages": [edit.record],
                    "quote": edit.text,
                    "reason": None,
                }
            )
        checked = CheckedItem(
            index=index,
            op=item.op,
            req_id=item.id,
            file=item.file,
            section=item.section,
            text=item.text,
            new_title=item.new_title,
            provenance=item.provenance,
            edit=edit.record if edit else None,
        )
        self.verify(item, checked)

        def locked_ok(r: Requirement) -> bool:
            """The LOCKED rule: a LOCKED requirement changes only when the user named it."""
            if not r.locked or names_requirement(self.trigger_text, r.id):
                return True
            self.refuse(
                checked,
                "locked",
                f"{r.id} is LOCKED and the user's message {self.trigger_id} does not name it; "
                "leave it unchanged, or ask the user to name it",
            )
            return False

        try:
            applied = self.work.apply(item, self.provenance(checked), self.allocate, locked_ok)
        except EditError as exc:
            _resolve(checked, exc.applied)
            if not isinstance(exc, Forbidden):
                self.refuse(checked, exc.code, str(exc))
            return checked
        _resolve(checked, applied)
        return checked


def _resolve(checked: CheckedItem, applied: Applied | None) -> None:
    """Copy what the edit resolved to (IDs, places, texts) onto the checked item."""
    if applied is None:
        return
    checked.req_id, checked.file, checked.section = applied.req_id, applied.file, applied.section
    checked.text, checked.old_text, checked.locked = applied.text, applied.old_text, applied.locked
    checked.new_title, checked.removed = applied.new_title, applied.removed


# -- the whole check ----------------------------------------------------------------------------


def _outline(f: SpecFile) -> list[tuple[str, list[tuple[str, bool, str | None]]]]:
    """A file's titles, requirement IDs, LOCKED flags and provenance kinds, in order."""
    sections = [(f"{'#' * s.level} {s.title}", _reqs(s)) for s in f.sections]
    return [(f"# {f.title}", []), *sections]


def _reqs(s: Section) -> list[tuple[str, bool, str | None]]:
    """One section's requirements as (ID, LOCKED, provenance kind)."""
    return [
        (r.id, r.locked, r.provenance.kind.value if r.provenance else None) for r in s.requirements
    ]


def _key(f: Finding) -> tuple[str, str, str | None]:
    """What makes two findings 'the same problem' across line shifts."""
    return (f.code, f.file, f.req_id)


def check_proposal(
    spec_dir: Path,
    proposal: Proposal,
    *,
    trigger_id: str,
    trigger_text: str,
    message_text: MessageText,
    edits: Mapping[int, Edit] | None = None,
) -> CheckResult:
    """Check and apply `proposal` against the spec on disk; nothing is written.

    `trigger_id`/`trigger_text` are the user's message that started the turn (for the LOCKED
    rule); `message_text(id)` returns a user message's verbatim text or None; `edits` maps a
    1-based item index to the user's replacement text.
    """
    on_disk = read_spec_dir(spec_dir)
    base_spec = load_spec(on_disk)
    register = IdRegister.from_bytes(on_disk.get(REGISTER), source=str(spec_dir / REGISTER))
    checker = _Checker(
        base_spec,
        register,
        spec_dir_name=spec_dir.name,
        trigger_id=trigger_id,
        trigger_text=trigger_text,
        message_text=message_text,
    )
    items = [
        checker.apply(i, item, (edits or {}).get(i))
        for i, item in enumerate(proposal.items, start=1)
    ]
    work = checker.work
    # A file that cannot be parsed (invalid UTF-8, too large, empty) is not in the model: never
    # let a proposal recreate or overwrite it, and show where it is broken on every review.
    broken = unreadable_files(on_disk)
    aimed_at = work.touched | {f.file for f in checker.findings}
    findings = [f for f in checker.findings if f.file not in broken]
    for path, finding in sorted(broken.items()):
        touched = path in aimed_at
        findings.append(
            finding.model_copy(
                update={
                    "severity": Severity.ERROR if touched else Severity.WARNING,
                    "message": f"{finding.message}; the scribe cannot change this file "
                    "until it is fixed",
                }
            )
        )
    result = CheckResult(items=items, base=fingerprint(on_disk), findings=findings)
    new_files: dict[str, SpecFile] = {}
    for path in sorted(work.touched - broken.keys()):
        text = render_file(work.files[path])
        old = on_disk.get(path, b"").decode("utf-8", errors="replace")
        if text == old:
            continue
        parsed, parse_findings = parse_spec_text(path, text)
        new_files[path] = parsed
        result.files[path] = text
        result.old_files[path] = old
        result.findings += [f for f in parse_findings if f.severity is Severity.ERROR]
        if parsed is not None and _outline(parsed) != _outline(work.files[path]):
            # The items' words, written out and read back, made headings, IDs or LOCKED flags
            # that code did not apply (e.g. a text starting with "LOCKED"): never trust them.
            result.findings.append(
                Finding(
                    severity=Severity.ERROR,
                    code="text-changes-structure",
                    message=(
                        "a text or title reads back as a different heading, ID or LOCKED flag "
                        "(do not start a text with LOCKED or an ID; set `locked` instead)"
                    ),
                    file=path,
                )
            )
    if not result.files and not result.refused:
        result.findings.append(
            Finding(
                severity=Severity.ERROR,
                code="no-change",
                message="the proposal does not change the spec",
                file=".",
            )
        )
    if result.refused:
        return result
    new_spec = Spec(files=[new_files.get(p, work.files[p]) for p in sorted(work.files)])
    new_findings = validate(new_spec, message_text=message_text)
    if any(f.severity is Severity.ERROR for f in new_findings):
        before = Counter(_key(f) for f in validate(base_spec, message_text=message_text))
        for f in new_findings:
            if f.severity is Severity.ERROR and before[_key(f)] > 0:
                before[_key(f)] -= 1
            elif f.severity is Severity.ERROR or f.file in result.files:
                result.findings.append(f)
    else:
        result.findings += [f for f in new_findings if f.file in result.files]
    new_register = register.to_bytes()  # observed the base, plus what was allocated
    if new_register != on_disk.get(REGISTER):
        result.ids_toml = new_register.decode("utf-8")
        old = on_disk.get(REGISTER)
        result.old_ids_toml = old.decode("utf-8", errors="replace") if old is not None else None
    return result
