"""Committing an accepted change: the spec files, the ID register and the ledger in ONE commit.

The message is assembled here by code (DESIGN §6): the subject from the scribe's summary, the
user's messages quoted verbatim from the ledger, one `Changes:` line per requirement changed, and
the Charter trailers. `specs.commit_spec_change` makes the commit without touching the user's
other work, and refuses when a file changed on disk since the change was computed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from graphs.intent.check import REGISTER, CheckedItem, CheckResult
from specs import Change, ChangeKind, CommitMessage, Intent, commit_spec_change

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


def rel(root: Path, path: Path) -> str:
    """`path` relative to the workspace root, POSIX separators."""
    return path.resolve().relative_to(root.resolve()).as_posix()


def transcript_files(root: Path, transcripts_dir: Path) -> list[str]:
    """Every session file of the ledger, relative to the root (committed as they are on disk)."""
    if not transcripts_dir.is_dir():
        return []
    return sorted(rel(root, p) for p in transcripts_dir.glob("*.jsonl") if p.is_file())


def commit_check(
    root: Path,
    spec_dir: Path,
    transcripts_dir: Path,
    check: CheckResult,
    message: CommitMessage,
) -> str:
    """Commit the checked change's files, the register and the ledger; return the sha."""
    prefix = rel(root, spec_dir)

    def at(path: str) -> str:
        """A spec-dir path as a root-relative one."""
        return path if prefix in ("", ".") else f"{prefix}/{path}"

    files = {at(p): text.encode("utf-8") for p, text in check.files.items()}
    base: dict[str, bytes | None] = {
        at(p): (old.encode("utf-8") if old else None) for p, old in check.old_files.items()
    }
    if check.ids_toml is not None:
        files[at(REGISTER)] = check.ids_toml.encode("utf-8")
        old = check.old_ids_toml
        base[at(REGISTER)] = old.encode("utf-8") if old is not None else None
    return commit_spec_change(
        root,
        files=files,
        message=message,
        include_paths=transcript_files(root, transcripts_dir),
        base=base,
    )
