"""Committing an accepted change: the spec files, the ID register and the ledger in ONE commit.

The message is assembled here by code (DESIGN §6): the subject from the scribe's summary, the
user's messages quoted verbatim from the ledger, one `Changes:` line per requirement changed, and
the Charter trailers. `specs.commit_spec_change` makes the commit without touching the user's
other work, and refuses when a file changed on disk since the change was computed.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from charter.graphs.intent.check import REGISTER, CheckedItem, CheckResult
from charter.specs import (
    Change,
    ChangeKind,
    CommitMessage,
    Intent,
    Provenance,
    ProvenanceKind,
    commit_spec_change,
    kill_point,
    parse_bytes,
    render_file,
)


@dataclass(frozen=True)
class CommitSettings:
    """How spec commits are made: the journal file (None: none) and whether the user's git
    hooks run (from `[git] run_hooks`)."""

    journal: Path | None
    run_hooks: bool


_KIND = {
    "add_requirement": ChangeKind.ADDED,
    "modify_requirement": ChangeKind.MODIFIED,
    "remove_requirement": ChangeKind.REMOVED,
    "move_requirement": ChangeKind.MODIFIED,
}


def changes_of(items: Iterable[CheckedItem]) -> list[Change]:
    """The `Changes:` lines: one per requirement added, modified, moved or removed."""
    out: list[Change] = []
    for item in items:
        if item.op in _KIND and item.req_id:
            text = item.text if item.text is not None else item.old_text or ""
            if item.op == "move_requirement":
                text = f"(moved to {item.file} § {item.section}) {text}"
            out.append(
                Change(
                    kind=_KIND[item.op], req_id=item.req_id, provenance=item.provenance, text=text
                )
            )
        for req_id, text in item.removed.items():
            out.append(
                Change(
                    kind=ChangeKind.REMOVED, req_id=req_id, provenance=item.provenance, text=text
                )
            )
    return out


def intents_of(
    first: str, items: Iterable[CheckedItem], user_text: Callable[[str], str | None]
) -> list[Intent]:
    """The user's messages behind a change, verbatim: the turn's message, then every cited one."""
    ids = [first] + [m for item in items for m in item.messages]
    out: list[Intent] = []
    for msg_id in dict.fromkeys(ids):
        text = user_text(msg_id)
        if text is not None:
            out.append(Intent(id=msg_id, text=text))
    return out


def confirm_text(pid: str, indexes: Iterable[int]) -> str:
    """The ledger text of confirming items without a note: `confirmed items 2, 3 of p-0004`."""
    numbers = sorted(set(indexes))
    noun = "item" if len(numbers) == 1 else "items"
    return f"confirmed {noun} {', '.join(str(n) for n in numbers)} of {pid}"


def confirm_items(
    check: CheckResult, indexes: Collection[int], record: str, quote: str | None
) -> CheckResult:
    """A copy of the checked change whose items `indexes` (inferred requirements) are confirmed,
    citing the ledger `record` (quoting the user's note, if any): their provenance lines in the
    changed files and the items themselves. Raises ValueError for an item it cannot confirm."""
    out = check.model_copy(deep=True)
    wanted: dict[str, CheckedItem] = {}
    for item in out.items:
        if item.index not in indexes:
            continue
        if item.provenance != "inferred" or not item.req_id or item.text is None:
            raise ValueError(f"item {item.index} is not an inferred requirement to confirm")
        wanted[item.req_id] = item
    missing = set(indexes) - {item.index for item in wanted.values()}
    if missing:
        raise ValueError(f"no item {', '.join(str(n) for n in sorted(missing))} to confirm")
    provenance = Provenance(kind=ProvenanceKind.CONFIRMED, messages=[record], quote=quote)
    found: set[str] = set()
    for path, text in out.files.items():
        parsed, _ = parse_bytes(text.encode("utf-8"), path)
        if parsed is None:
            continue
        hits = [r for s in parsed.sections for r in s.requirements if r.id in wanted]
        for requirement in hits:
            if requirement.provenance is None or (
                requirement.provenance.kind is not ProvenanceKind.INFERRED
            ):
                raise ValueError(f"{requirement.id} is not inferred in this proposal")
            requirement.provenance = provenance.model_copy()
            found.add(requirement.id)
        if hits:
            out.files[path] = render_file(parsed)
    if found != set(wanted):
        raise ValueError(f"{', '.join(sorted(set(wanted) - found))} not in the changed files")
    for item in wanted.values():
        item.provenance, item.messages, item.quote = "confirmed", [record], quote
    return out


def rel(root: Path, path: Path) -> str:
    """`path` relative to the workspace root, POSIX separators."""
    return path.resolve().relative_to(root.resolve()).as_posix()


def under(prefix: str, path: str) -> str:
    """A spec-dir relative path as a root-relative one, given the spec dir's `rel` prefix."""
    return path if prefix in ("", ".") else f"{prefix}/{path}"


def transcript_files(root: Path, transcripts_dir: Path) -> list[str]:
    """Every session file of the ledger, relative to the root (committed as they are on disk)."""
    if not transcripts_dir.is_dir():
        return []
    return sorted(rel(root, p) for p in transcripts_dir.glob("*.jsonl") if p.is_file())


class CommitPlan(BaseModel):
    """One spec commit, ready: the checked change (files, register) and its message."""

    check: CheckResult
    message: CommitMessage


def commit_plan(
    root: Path,
    spec_dir: Path,
    transcripts_dir: Path,
    plan: CommitPlan,
    settings: CommitSettings,
) -> str:
    """Commit the plan's files, the register and the ledger; return the sha.

    The one commit path of the intent graph (accept, confirm): journaled and hooked per
    `settings`; the `done` kill point is after the commit, before the caller records it."""
    check, message = plan.check, plan.message
    prefix = rel(root, spec_dir)
    files = {under(prefix, p): text.encode("utf-8") for p, text in check.files.items()}
    base: dict[str, bytes | None] = {
        under(prefix, p): (old.encode("utf-8") if old else None)
        for p, old in check.old_files.items()
    }
    if check.ids_toml is not None:
        files[under(prefix, REGISTER)] = check.ids_toml.encode("utf-8")
        old = check.old_ids_toml
        base[under(prefix, REGISTER)] = old.encode("utf-8") if old is not None else None
    sha = commit_spec_change(
        root,
        files=files,
        message=message,
        include_paths=transcript_files(root, transcripts_dir),
        base=base,
        journal=settings.journal,
        run_hooks=settings.run_hooks,
    )
    kill_point("done")
    return sha
