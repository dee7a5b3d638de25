"""`make run`: materialise the bundled example workspace and open Charter on it.

A helper of the source repository: the example is not shipped in the wheel, and from an installed
package this says so and exits 2. The example (`examples/telemetry/history.toml`) is replayed
through the same ledger and commit code a live session uses, into `build/example-workspace/`
(git-ignored), so the result is a real workspace: its spec validates, `charter why` answers,
`charter log` shows the user's words. An existing materialised copy is reused, so what a user
tries in it survives between runs.
"""

from __future__ import annotations

import shutil
import sys
import tomllib
from pathlib import Path

from pydantic import BaseModel

from charter.app.workspace import Workspace, init_workspace, open_workspace

ROOT = Path(__file__).resolve().parents[2]  # the source checkout: app/services/ is two down
DEFAULT_DEST = ROOT / "build" / "example-workspace"
# Written last: a copy without it was interrupted part-way and is built again.
DONE_MARKER = Path(".charter") / "example-complete"
EXAMPLE_IDENTITY = ("Charter Example", "example@charter.invalid")


class Step(BaseModel):
    """One scripted exchange and the spec the user accepted after it."""

    user: str
    scribe: str
    subject: str
    specs: str


class History(BaseModel):
    """The example's scripted history."""

    banner: str
    step: list[Step]


def materialise(source: Path, dest: Path) -> Workspace:
    """Replay the example at `source` into a new workspace at `dest` and return it."""
    from charter.specs import (
        REGISTER_NAME,
        CommitMessage,
        IdRegister,
        Intent,
        commit_spec_change,
        ensure_identity,
        init_repo,
        load_spec_dir,
        read_spec_dir,
        requirement_changes,
    )
    from charter.transcripts import Ledger

    history = History.model_validate(tomllib.loads((source / "history.toml").read_text("utf-8")))
    dest.mkdir(parents=True, exist_ok=True)
    # The example gets a repository of its own, even when it lies inside another checkout.
    init_repo(dest)
    init_workspace(dest)
    # The example must open on a fresh machine; a real workspace instead asks for an identity.
    ensure_identity(dest, *EXAMPLE_IDENTITY)
    ws = open_workspace(dest)
    ledger = Ledger(ws.transcripts_dir, ws.state_db, state_dir=ws.state_dir)
    session = ledger.current_session()
    ledger.append(session, "event", history.banner, kind="example")
    spec_rel = ws.spec_dir.relative_to(ws.root).as_posix()
    previous, _ = load_spec_dir(ws.spec_dir)
    for number, step in enumerate(history.step, start=1):
        said = ledger.append(session, "user", step.user)
        proposal = f"p-{number:04d}"
        ledger.append(session, "scribe", step.scribe, kind="reply", reply_to=said.id)
        ledger.append(session, "event", f"accepted {proposal}", kind="accept", proposal=proposal)
        step_dir = source / step.specs
        spec, _ = load_spec_dir(step_dir)
        register = IdRegister.load(ws.spec_dir)
        register.observe(spec)
        files = {f"{spec_rel}/{rel}": data for rel, data in read_spec_dir(step_dir).items()}
        files[f"{spec_rel}/{REGISTER_NAME}"] = register.to_bytes()
        message = CommitMessage(
            subject=step.subject,
            intents=[Intent(id=said.id, text=said.text)],
            changes=requirement_changes(previous, spec),
            session=session,
            proposal=proposal,
            model="example (scripted)",
        )
        transcript = (ws.transcripts_dir / f"{session}.jsonl").relative_to(ws.root).as_posix()
        commit_spec_change(ws.root, files=files, message=message, include_paths=[transcript])
        previous = spec
    ledger.close()
    (dest / DONE_MARKER).write_text("materialised from examples/telemetry\n", encoding="utf-8")
    return ws


def main(argv: list[str]) -> int:
    """Materialise the example named on the command line (once) and open Charter on it."""
    source = (ROOT / argv[0]) if argv else ROOT / "examples" / "telemetry"
    if not (source / "history.toml").is_file():
        # The example ships with Charter's source repository, not with the installed package.
        print(
            f"charter: no example at {source}: `make run` works from a clone of Charter's "
            "repository; elsewhere run `charter init DIR` and then `charter` in DIR",
            file=sys.stderr,
        )
        return 2
    dest = DEFAULT_DEST
    if not (dest / DONE_MARKER).is_file():
        if dest.exists():
            shutil.rmtree(dest)  # an interrupted earlier replay: start it over
        print(f"charter: creating the example workspace in {dest}", file=sys.stderr)
        materialise(source, dest)
    from charter.app.commands.tui import open_tui

    open_tui(dest)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
