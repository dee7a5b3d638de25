"""`charter accept --edit`: the proposal's requirement texts in $VISUAL/$EDITOR, read back."""

from __future__ import annotations

import os
import shlex
import subprocess
import tomllib
from typing import TYPE_CHECKING

from charter.app.commands.common import fail

if TYPE_CHECKING:
    from charter.app.workspace import Workspace
    from charter.graphs.intent import PendingProposal


EDIT_HEADER = (
    "# Edit the requirement texts below, then save and quit; the edited text is recorded\n"
    "# verbatim as yours and becomes explicit. Keep each text on one line with one RFC 2119\n"
    "# keyword (MUST, MUST NOT, SHOULD, SHOULD NOT, MAY). Unchanged texts stay as proposed.\n\n"
)


def edit_items(ws: Workspace, pending: PendingProposal) -> dict[int, str]:
    """Open $VISUAL/$EDITOR on the proposal's requirement texts; return the texts as saved."""
    import tomli_w

    from charter.specs import EDITABLE_OPS

    items = [
        {"index": i.index, "id": i.req_id or "", "op": i.op, "text": i.text or ""}
        for i in pending.items
        if i.op in EDITABLE_OPS
    ]
    if not items:
        raise fail(f"{pending.id} has no requirement texts to edit", 2)
    path = ws.state_dir / f"edit-{pending.id}.toml"
    path.write_text(EDIT_HEADER + tomli_w.dumps({"item": items}), encoding="utf-8")
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    try:
        done = subprocess.run([*shlex.split(editor), str(path)], check=False)
    except OSError as exc:
        raise fail(f"cannot run the editor {editor!r}: {exc.strerror}; set EDITOR", 2) from None
    if done.returncode != 0:
        raise fail(f"the editor exited with status {done.returncode}; nothing was accepted", 1)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        edited = {int(x["index"]): str(x["text"]) for x in data.get("item", [])}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, KeyError, TypeError, ValueError) as exc:
        raise fail(
            f"{path}: cannot read the edited items ({exc}); nothing was accepted", 2
        ) from None
    path.unlink(missing_ok=True)
    return edited
