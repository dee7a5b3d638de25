"""Hand edits: spec changes on disk that no commit holds yet, noticed before a scribe turn.

A scribe turn computes its change from the spec files on disk and commits whole files, so an
uncommitted hand edit would ride along in the scribe's commit, under the user's quoted words,
unlisted. So a turn refuses while there are hand edits (`HandEditsPending`), and the user picks:

- commit them first as their own change (`commit_hand_edits`): the message lists the changed
  requirements and says that no words were quoted (trailer `Charter-Hand-Edit`);
- set them aside (`set_aside`): the edited files are saved under `.charter/set-aside/<id>/` and
  the spec files put back as committed (index entries too), restorable with `restore`;
- or abort (the default when nobody can be asked).
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

from pydantic import BaseModel, Field

from charter.graphs.intent.commit import CommitSettings, rel, under
from charter.graphs.intent.specdir import load_spec, read_spec_dir
from charter.graphs.intent.state import IntentError
from charter.specs import (
    Change,
    CommitMessage,
    HistoryError,
    commit_spec_change,
    kill_point,
    merge_text,
    requirement_changes,
    spec_files_at,
    unstage_paths,
)

SET_ASIDE_DIR = "set-aside"
HAND_EDIT_NOTE = (
    "Hand edit: these spec changes were made outside Charter and committed at the user's "
    "request. No words were quoted; nothing here carries a user message."
)


class HandEdits(BaseModel):
    """Spec files that differ from HEAD in the work tree, and what that does to requirements."""

    files: list[str] = Field(default_factory=list, description="workspace-relative paths")
    changes: list[Change] = Field(default_factory=list)

    def __bool__(self) -> bool:
        """Whether there is anything uncommitted."""
        return bool(self.files)

    def summary(self) -> str:
        """One line naming the files (and how many requirements change)."""
        reqs = f"; {len(self.changes)} requirement(s) changed" if self.changes else ""
        return ", ".join(self.files) + reqs


class HandEditsPending(IntentError):
    """A turn was refused because the spec has uncommitted hand edits; `edits` says which."""

    def __init__(self, edits: HandEdits) -> None:
        """Say what is uncommitted and the three ways on."""
        self.edits = edits
        super().__init__(
            f"the spec has uncommitted hand edits ({edits.summary()}); nothing was sent. "
            "Commit them first as their own change (charter say --commit-hand-edits ...), "
            "set them aside (charter say --set-aside ...; charter handedits restore brings "
            "them back), or commit or undo them yourself"
        )


class SetAside(BaseModel):
    """Hand edits saved away: where, and which files."""

    id: str
    folder: str
    files: list[str]


def _committed(root: Path, spec_dir: Path, on_disk: dict[str, bytes]) -> dict[str, bytes]:
    """The spec dir's files in HEAD (nothing on an unborn branch); blobs equal to a file on
    disk are not read from git again."""
    try:
        return spec_files_at(root, "HEAD", spec_dir, known=on_disk.values())
    except HistoryError:
        return {}


def _compare(root: Path, spec_dir: Path) -> tuple[dict[str, bytes], dict[str, bytes], list[str]]:
    """The spec files on disk, in HEAD, and the spec-dir paths where they differ."""
    on_disk = read_spec_dir(spec_dir)
    committed = _committed(root, spec_dir, on_disk)
    changed = sorted(p for p in set(on_disk) | set(committed) if on_disk.get(p) != committed.get(p))
    return on_disk, committed, changed


def find_hand_edits(root: Path, spec_dir: Path) -> HandEdits:
    """The spec files (Markdown and the ID register) whose work-tree content is not HEAD's."""
    on_disk, committed, changed = _compare(root, spec_dir)
    if not changed:
        return HandEdits()
    prefix = rel(root, spec_dir)
    return HandEdits(
        files=[under(prefix, p) for p in changed],
        changes=requirement_changes(load_spec(committed), load_spec(on_disk)),
    )


def commit_hand_edits(
    root: Path, spec_dir: Path, settings: CommitSettings, session: str | None = None
) -> str:
    """Commit the hand edits as their own change (the one spec commit path); return the sha."""
    on_disk, committed, changed = _compare(root, spec_dir)
    if not changed:
        raise IntentError("There are no uncommitted hand edits to commit.")
    prefix = rel(root, spec_dir)
    files = {under(prefix, p): on_disk[p] for p in changed if p in on_disk}
    message = CommitMessage(
        subject=f"hand edit of {', '.join(changed)}",
        note=HAND_EDIT_NOTE,
        changes=requirement_changes(load_spec(committed), load_spec(on_disk)),
        session=session,
        trailers=[("Charter-Hand-Edit", "yes")],
    )
    sha = commit_spec_change(
        root,
        files=files,
        delete=[under(prefix, p) for p in changed if p not in on_disk],
        message=message,
        base={under(prefix, p): on_disk.get(p) for p in changed},
        journal=settings.journal,
        run_hooks=settings.run_hooks,
    )
    kill_point("done")
    return sha


def _encode(data: bytes | None) -> str | None:
    """File content as manifest text (None: absent)."""
    return None if data is None else base64.b64encode(data).decode("ascii")


def _decode(text: str | None) -> bytes | None:
    """Manifest text back to file content."""
    return None if text is None else base64.b64decode(text)


def set_aside(root: Path, spec_dir: Path, state_dir: Path) -> SetAside:
    """Save the hand-edited spec files away and put the committed versions back."""
    on_disk, committed, changed = _compare(root, spec_dir)
    if not changed:
        raise IntentError("There are no uncommitted hand edits to set aside.")
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    base = state_dir / SET_ASIDE_DIR
    number = 1
    while (base / f"s-{stamp}-{number}").exists():
        number += 1
    folder = base / f"s-{stamp}-{number}"
    folder.mkdir(parents=True)
    manifest = {
        p: {
            "saved": _encode(on_disk.get(p)),
            "left": _encode(committed.get(p)),
        }
        for p in changed
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
    for p in changed:  # readable copies beside the manifest, for a user who looks by hand
        if p in on_disk:
            copy = folder / "files" / p
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_bytes(on_disk[p])
    for p in changed:
        target = spec_dir / p
        if p in committed:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(committed[p])
        else:
            target.unlink(missing_ok=True)
    prefix = rel(root, spec_dir)
    unstage_paths(root, [under(prefix, p) for p in changed])
    return SetAside(
        id=folder.name,
        folder=rel(root, folder),
        files=[under(prefix, p) for p in changed],
    )


def set_asides(state_dir: Path) -> list[str]:
    """The IDs of the hand edits set aside and not restored, oldest first."""
    base = state_dir / SET_ASIDE_DIR
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if (p / "manifest.json").is_file())


def restore(root: Path, spec_dir: Path, state_dir: Path, which: str | None = None) -> SetAside:
    """Put set-aside hand edits back (the newest by default); refuse, keeping them, when a file
    changed since in a way that does not merge (a 3-way merge, as git does)."""
    ids = set_asides(state_dir)
    if not ids:
        raise IntentError("No hand edits are set aside.")
    sid = which or ids[-1]
    if sid not in ids:
        raise IntentError(f"No set-aside hand edits {sid} (there are: {', '.join(ids)}).")
    folder = state_dir / SET_ASIDE_DIR / sid
    manifest = json.loads((folder / "manifest.json").read_text())
    prefix = rel(root, spec_dir)
    merged: dict[str, bytes | None] = {}
    conflicts = []
    for p, entry in sorted(manifest.items()):
        path = spec_dir / p
        current = path.read_bytes() if path.is_file() else None
        saved, left = _decode(entry["saved"]), _decode(entry["left"])
        if current in (left, saved):
            merged[p] = saved  # untouched since (or already back)
            continue
        result = None
        if current is not None and saved is not None:
            result = merge_text(current, left or b"", saved)
        if result is None:
            conflicts.append(under(prefix, p))
        merged[p] = result
    if conflicts:
        raise IntentError(
            f"{', '.join(conflicts)} changed since the hand edits were set aside and they do not "
            f"merge; nothing was restored (your edits are kept in {rel(root, folder)}/files)"
        )
    for p, data in merged.items():
        target = spec_dir / p
        if data is None:
            target.unlink(missing_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    (folder / "manifest.json").rename(folder / "restored.json")
    return SetAside(id=sid, folder=rel(root, folder), files=[under(prefix, p) for p in merged])
