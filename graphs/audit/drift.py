"""Intent-aware checks decided in code: unconfirmed inferences, drift candidates, LOCKED changes.

Code chooses and quotes; the model only judges. Drift candidates are later user messages that share
terms with an explicit (or confirmed) requirement and its quote; the model says whether each pair
contradicts, and the finding quotes both messages verbatim from the ledger, never the model's
paraphrase. LOCKED changes come from the spec's commit history: a commit that changed or removed a
LOCKED requirement when the user's message for it never named that requirement.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from charter.graphs.audit.findings import AuditFinding, Evidence, FindingKind, make_finding
from charter.specs import (
    Intent,
    ProvenanceKind,
    Requirement,
    Severity,
    Spec,
    SpecFile,
    names_requirement,
)
from charter.transcripts import Record

MAX_CANDIDATES = 3
"""Later messages judged per requirement (the best-scoring ones)."""
MIN_SHARED_TERMS = 2
"""Distinct shared terms that make a later message a drift candidate."""

_WORD_RE = re.compile(r"[a-z0-9]+")
# Words too common to tie a message to a requirement (RFC 2119 keywords among them).
_STOPWORDS = frozenset(
    """a an and any are as at be been but by can could do does for from had has have how i if
    in into is it its it's just let lets like make may me might must my no not of on or our
    please shall should so some than that the their them then there these they this those to
    too up us use want was we were what when where which while who will with would you your
    yes also all each every only other such via new one two service system""".split()  # noqa: SIM905
)
_STRONG = frozenset({"MUST", "MUST NOT"})


def terms(text: str) -> set[str]:
    """Content words of `text`: lower-cased, stopwords dropped, a plural `s` trimmed."""
    out: set[str] = set()
    for word in _WORD_RE.findall(text.lower()):
        if len(word) < 3 or word in _STOPWORDS:
            continue
        out.add(word[:-1] if len(word) > 4 and word.endswith("s") else word)
    return out


# -- inferred, never confirmed -----------------------------------------------------------------


def unconfirmed(spec: Spec) -> list[AuditFinding]:
    """One finding per inferred requirement the user never confirmed (WARNING when binding)."""
    out: list[AuditFinding] = []
    for f in spec.files:
        for req in f.requirements():
            prov = req.provenance
            if prov is None or prov.kind is not ProvenanceKind.INFERRED:
                continue
            binding = req.locked or req.keyword in _STRONG
            reason = f" (the scribe's reason: {prov.reason})" if prov.reason else ""
            out.append(
                make_finding(
                    FindingKind.UNCONFIRMED,
                    Severity.WARNING if binding else Severity.INFO,
                    [req.id],
                    f"{req.id} is inferred and was never confirmed by the user{reason}",
                    fix=f"confirm it (`charter confirm {req.id}`) or ask the scribe to change it",
                    file=f.path,
                    line=req.line,
                    source="code",
                )
            )
    return out


# -- intent drift ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DriftPair:
    """An explicit requirement, the user's words it cites, and one later user message."""

    req_id: str
    requirement: str
    quote: str
    cited: tuple[Record, ...]
    later: Record
    file: str
    line: int
    binding: bool


def drift_candidates(spec: Spec, user_records: Sequence[Record]) -> list[DriftPair]:
    """Pairs worth asking the model about: later user messages sharing terms with a requirement.

    `user_records` are the ledger's user messages (any session); they are ordered by number, which
    orders records across sessions. A message that names the requirement's ID is always a candidate.
    """
    by_id = {r.id: r for r in user_records}
    ordered = sorted(user_records, key=lambda r: r.number)
    message_terms = {r.id: terms(r.text) for r in ordered}
    pairs: list[DriftPair] = []
    for f in spec.files:
        for req in f.requirements():
            prov = req.provenance
            if prov is None or prov.kind is ProvenanceKind.INFERRED:
                continue
            cited = tuple(by_id[m] for m in prov.messages if m in by_id)
            if not cited:
                continue
            pairs += _pairs_for(req, cited, ordered, message_terms, f.path)
    return pairs


def _pairs_for(
    req: Requirement,
    cited: tuple[Record, ...],
    ordered: list[Record],
    message_terms: dict[str, set[str]],
    path: str,
) -> list[DriftPair]:
    """The best later messages for one requirement, most shared terms first, then the latest."""
    quote = (req.provenance.quote or "") if req.provenance else ""
    wanted = terms(f"{req.text} {quote}")
    last = max(r.number for r in cited)
    scored: list[tuple[int, int, Record]] = []
    for rec in ordered:
        if rec.number <= last:
            continue
        shared = len(wanted & message_terms[rec.id])
        named = req.id.lower() in rec.text.lower()
        if named or shared >= MIN_SHARED_TERMS:
            scored.append((shared + (100 if named else 0), rec.number, rec))
    scored.sort(key=lambda t: (-t[0], -t[1]))
    binding = req.locked or req.keyword in _STRONG
    return [
        DriftPair(req.id, req.text, quote, cited, rec, path, req.line, binding)
        for _, _, rec in scored[:MAX_CANDIDATES]
    ]


def _evidence(rec: Record, note: str) -> Evidence:
    """A verbatim quotation of one ledger record."""
    return Evidence(message=rec.id, session=rec.session, role=rec.role, text=rec.text, note=note)


def drift_finding(pair: DriftPair, explanation: str) -> AuditFinding:
    """The finding for a pair the model judged contradictory; it quotes both messages verbatim."""
    cited = pair.cited[-1]
    later = pair.later
    message = (
        f'{pair.req_id} cites {cited.id}: "{cited.text}"; later {later.id} says: "{later.text}"'
        f" — {explanation.strip()}"
    )
    evidence = [_evidence(r, f"cited by {pair.req_id}") for r in pair.cited]
    evidence.append(_evidence(later, f"later than {cited.id}"))
    return make_finding(
        FindingKind.DRIFT,
        Severity.ERROR if pair.binding else Severity.WARNING,
        [pair.req_id],
        message,
        fix=f"ask the scribe to bring {pair.req_id} in line with {later.id}, or tell it that "
        f"{pair.req_id} still stands (it then cites your newer words)",
        file=pair.file,
        line=pair.line,
        source="model+code",
        evidence=evidence,
    )


# -- LOCKED items changed by a commit ----------------------------------------------------------


@dataclass(frozen=True)
class LockedChange:
    """A LOCKED requirement that one commit changed, unlocked or removed."""

    commit: str
    req_id: str
    before: str
    after: str | None
    """The requirement's text after the commit (None: removed); LOCKED state appended."""
    intent: tuple[str, ...]
    """The commit's intent message IDs."""
    named: bool
    """Whether the user's intent text named the requirement (an explicit request to change it)."""
    file: str = ""
    """The spec file that held the requirement before the commit."""

    def to_dict(self) -> dict[str, object]:
        """A JSON-able form for the per-commit store."""
        return {
            "commit": self.commit,
            "req_id": self.req_id,
            "before": self.before,
            "after": self.after,
            "intent": list(self.intent),
            "named": self.named,
            "file": self.file,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> LockedChange:
        """Rebuild from `to_dict`."""
        return cls(
            commit=str(data["commit"]),
            req_id=str(data["req_id"]),
            before=str(data["before"]),
            after=None if data["after"] is None else str(data["after"]),
            intent=tuple(str(m) for m in data["intent"]),  # type: ignore[union-attr]
            named=bool(data["named"]),
            file=str(data.get("file", "")),
        )


def requirement_state(req: Requirement) -> str:
    """What a LOCKED comparison looks at: the flag and the normalised text."""
    return ("LOCKED " if req.locked else "") + " ".join(req.text.split())


def locked_changes(
    commit: str, before: Spec, after: Spec, intent: Sequence[Intent]
) -> list[LockedChange]:
    """LOCKED requirements of `before` that `after` changed, unlocked or removed.

    `intent` is the user's verbatim words the commit quotes; naming a requirement's ID there is
    what makes the change an explicit request (the scribe's LOCKED rule).
    """
    out: list[LockedChange] = []
    for spec_file in before.files:
        out += _locked_in_file(commit, spec_file, after, intent)
    return out


def _locked_in_file(
    commit: str, spec_file: SpecFile, after: Spec, intent: Sequence[Intent]
) -> list[LockedChange]:
    """The LOCKED changes to one file's requirements."""
    out: list[LockedChange] = []
    for req in spec_file.requirements():
        if not req.locked:
            continue
        found = after.find(req.id)
        now = requirement_state(found[2]) if found else None
        was = requirement_state(req)
        if now == was:
            continue
        named = any(names_requirement(r.text, req.id) for r in intent)
        ids = tuple(r.id for r in intent)
        out.append(LockedChange(commit, req.id, was, now, ids, named, spec_file.path))
    return out


def locked_findings(spec: Spec, changes: Sequence[LockedChange]) -> list[AuditFinding]:
    """Findings for unrequested LOCKED changes whose result is still what the spec says."""
    out: list[AuditFinding] = []
    for change in changes:
        if change.named:
            continue
        found = spec.find(change.req_id)
        current = requirement_state(found[2]) if found else None
        if current != change.after:
            continue  # changed again since: that later change is what stands now
        what = "removed" if change.after is None else "changed"
        asked = ", ".join(change.intent) or "no recorded message"
        message = (
            f"LOCKED {change.req_id} was {what} by commit {change.commit[:12]} although the "
            f"user's message ({asked}) never named it"
        )
        out.append(
            make_finding(
                FindingKind.LOCKED_CHANGED,
                Severity.WARNING,
                [change.req_id],
                message,
                fix=f"check {change.req_id} against the user's intent; restore it through the "
                "scribe if the change was not wanted",
                file=found[0].path if found else change.file,
                line=found[2].line if found else 0,
                source="code",
                commit=change.commit,
            )
        )
    return out
