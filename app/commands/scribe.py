"""`charter say|pending|accept|reject|confirm|answer` (sessions: `sessions.py`).

The headless face of the intent turn (graphs.intent.IntentSession), so every step is scriptable.
Exit codes: 0 ok; 1 refused, nothing pending, or the change would not validate; 2 bad input or
missing configuration; 3 the workspace is locked by another process; 4 the model endpoint failed
(one sentence on stderr; the user's message stays in the ledger and nothing is committed).
Commands that write (say, accept, reject, confirm, answer, session new/switch) take the workspace
lock. `--json` prints one JSON document with sorted keys. User text goes to stdout as raw UTF-8.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import typer

from charter.app.commands.common import dump, fail, open_ws, out

if TYPE_CHECKING:
    from charter.app.workspace import Workspace
    from charter.graphs.intent import IntentSession, PendingProposal, TurnOutcome

T = TypeVar("T")


def register(cli: typer.Typer) -> None:
    """Mount the scribe commands and the `session` group on the root CLI."""
    cli.command("say")(say_command)
    cli.command("pending")(pending_command)
    cli.command("accept")(accept_command)
    cli.command("reject")(reject_command)
    cli.command("confirm")(confirm_command)
    cli.command("answer")(answer_command)


# -- plumbing -----------------------------------------------------------------------------------


def _read_text(value: str, what: str) -> str:
    """The argument itself, or stdin verbatim (strict UTF-8) when it is `-`."""
    if value != "-":
        text = value
    else:
        data = sys.stdin.buffer.read()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise fail(f"the {what} on stdin is not valid UTF-8 (byte {exc.start})", 2) from None
    if not text.strip():
        raise fail(f"the {what} is empty", 2)
    return text


def open_session(ws: Workspace, *, need_model: bool) -> IntentSession:
    """An IntentSession on the workspace; without `need_model` a missing model is tolerated."""
    from charter.agents import ModelConfigError
    from charter.app.workspace import open_intent_session

    try:
        return open_intent_session(ws, need_model=need_model)
    except ModelConfigError as exc:
        raise fail(exc.user_message, 2) from None


@contextmanager
def locked(ws: Workspace, purpose: str) -> Iterator[None]:
    """Hold the workspace lock, or exit 3 naming its holder."""
    from charter.app.lock import LockedError, WorkspaceLock

    try:
        lock = WorkspaceLock(ws.lock_path).acquire(purpose)
    except LockedError as exc:
        raise fail(str(exc), 3) from None
    try:
        yield
    finally:
        lock.release()


def guard(fn: Callable[[], T]) -> T:
    """Run a session call, mapping refusals and failures to one line and an exit code."""
    from charter.graphs.intent import MessageHeld

    try:
        return fn()
    except MessageHeld as exc:  # the message is kept; the exit code is the refusal's
        raise fail(str(exc), _exit_code(exc.cause) or 1) from None
    except Exception as exc:
        code = _exit_code(exc)
        if code is None:
            raise
        raise fail(getattr(exc, "user_message", None) or str(exc), code) from None


def _exit_code(exc: BaseException) -> int | None:
    """The exit code of a refusal or failure (None: not one of ours, let it propagate)."""
    from charter.agents import ModelCallError, ModelConfigError
    from charter.graphs.intent import IntentError
    from charter.specs import HistoryError, IdRegisterError
    from charter.transcripts import LedgerError

    if isinstance(exc, ModelConfigError | LedgerError | ValueError):
        return 2
    if isinstance(exc, ModelCallError):
        return 4
    if isinstance(exc, IntentError | HistoryError | IdRegisterError):
        return 1
    return None


def _print_outcome(outcome: TurnOutcome, streamed: bool, as_json: bool) -> None:
    """Show a turn's outcome and exit with its code."""
    from charter.graphs.intent import render_proposal

    if as_json:
        dump(outcome.model_dump(mode="json"))
    else:
        if streamed and outcome.kind != "reply":
            out("\n")
        if outcome.superseded:
            typer.echo(
                f"note: {outcome.superseded} was dropped unreviewed by this message.", err=True
            )
        if outcome.kind in ("proposal", "refused") and outcome.proposal is not None:
            out(render_proposal(outcome.proposal))
            if outcome.kind == "proposal":
                out(
                    "Review: charter accept [--edit] [--confirm N[,N]] | "
                    "charter reject [--reason TEXT]\n"
                )
        elif outcome.kind == "question":
            out(f"Question ({outcome.reply_id}): {outcome.text}\n")
        elif outcome.kind == "reply":
            out("\n" if streamed else (outcome.text or "") + "\n")
    if outcome.kind == "error":
        raise fail(
            f"{outcome.text} (your message {outcome.message_id} is kept in the ledger; "
            "nothing was changed)",
            4,
        )
    if outcome.kind == "refused":
        if not as_json:
            typer.echo("charter: the proposal was refused; nothing was changed.", err=True)
        raise typer.Exit(1)


def _turn(
    run: Callable[[IntentSession, Callable[[str], None] | None], TurnOutcome],
    purpose: str,
    as_json: bool,
    keep: Callable[[Path, str], Path] | None = None,
) -> None:
    """Run one scribe turn under the lock and print its outcome. When the lock is busy or the
    settings cannot be read, `keep(state_dir, reason)` (if any) saves the user's words first,
    where the next writer moves them into the ledger."""
    from charter.app.lock import LockedError, WorkspaceLock

    def kept(state_dir: Path, reason: str) -> str:
        """Keep the words; say where."""
        assert keep is not None
        where = guard(lambda: keep(state_dir, reason))
        return (
            f"Your message is kept in {where} and goes into the ledger with the next Charter "
            "command; charter say --again answers it then."
        )

    ws = open_ws(keep=kept if keep is not None else None)
    streamed = False

    def on_token(text: str) -> None:
        """Stream the scribe's text as it arrives (plain output only)."""
        nonlocal streamed
        streamed = True
        out(text)

    try:
        lock = WorkspaceLock(ws.lock_path).acquire(purpose)
    except LockedError as exc:
        note = f" {kept(ws.state_dir, str(exc))}" if keep is not None else ""
        raise fail(f"{exc}.{note}" if note else str(exc), 3) from None
    try:
        session = open_session(ws, need_model=False)  # the turn checks the model after keeping
        try:
            outcome = guard(lambda: run(session, None if as_json else on_token))
        finally:
            session.close()
    finally:
        lock.release()
    _print_outcome(outcome, streamed, as_json)


# -- commands -----------------------------------------------------------------------------------


def say_command(
    message: str | None = typer.Argument(
        None, help="What you want; `-` reads it from stdin verbatim."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the outcome as JSON."),
    again: bool = typer.Option(
        False,
        "--again",
        help="Answer your last message that was kept but not answered (instead of MESSAGE).",
    ),
    commit_hand_edits: bool = typer.Option(
        False,
        "--commit-hand-edits",
        help="Commit uncommitted spec edits first, as their own change (no words quoted).",
    ),
    set_aside: bool = typer.Option(
        False,
        "--set-aside",
        help="Set uncommitted spec edits aside first (charter handedits restore).",
    ),
) -> None:
    """Tell the scribe something: prints a proposal (as a diff), a question or a reply.

    Your message is in the ledger before anything else happens. A proposal still pending review
    is dropped (recorded as superseded). A LOCKED requirement is changed only when your message
    names its ID (e.g. "change ING-3 to ..."). Uncommitted edits of the spec are never sent
    along: commit them first or set them aside (a terminal asks; otherwise the turn is refused
    with exit 1, your message kept; `charter say --again` answers it afterwards).
    """
    from charter.app.commands.handedits import settle_hand_edits

    if commit_hand_edits and set_aside:
        raise fail("--commit-hand-edits and --set-aside exclude each other", 2)
    if again == (message is not None):
        raise fail("give a MESSAGE, or --again to answer your last unanswered one", 2)
    text = _read_text(message, "message") if message is not None else None

    def run(session: IntentSession, on_token: Callable[[str], None] | None) -> TurnOutcome:
        """The turn, settling hand edits once the message is kept."""

        def prepare() -> None:
            """Commit or set aside the spec's hand edits as asked."""
            settle_hand_edits(session, commit_hand_edits, set_aside)

        if text is None:
            return session.say_again(on_token=on_token, prepare=prepare)
        return session.say(text, on_token=on_token, prepare=prepare)

    def keep(state_dir: Path, reason: str) -> Path:
        """Spool the message while it cannot go into the ledger."""
        from charter.transcripts import spool

        return spool(state_dir, text or "", reason)

    _turn(run, "charter say", as_json, keep if text is not None else None)  # --again: kept


def answer_command(
    qid: str = typer.Argument(..., help="The builder question's ID (see the build's questions)."),
    text: str = typer.Argument(..., help="Your answer; `-` reads it from stdin verbatim."),
    as_json: bool = typer.Option(False, "--json", help="Print the outcome as JSON."),
) -> None:
    """Answer a builder question: recorded verbatim, then the scribe proposes the spec change."""
    answer = _read_text(text, "answer")

    def keep(state_dir: Path, reason: str) -> Path:
        """Spool the answer while it cannot go into the ledger."""
        from charter.transcripts import spool

        return spool(state_dir, answer, reason, kind="answer", question=qid)

    _turn(lambda s, cb: s.answer(qid, answer, on_token=cb), "charter answer", as_json, keep)


def _pending_or_exit(session: IntentSession, as_json: bool) -> PendingProposal:
    """The pending proposal, or exit 1 saying nothing is pending."""
    pending = guard(session.pending)
    if pending is None:
        if as_json:
            dump({"pending": None})
        raise fail(f"nothing is pending review in session {session.session}", 1)
    return pending


def pending_command(
    as_json: bool = typer.Option(False, "--json", help="Print the proposal as JSON."),
) -> None:
    """Show the proposal waiting for review in the current session (exit 1 if none)."""
    from charter.graphs.intent import render_proposal

    session = open_session(open_ws(), need_model=False)
    try:
        pending = _pending_or_exit(session, as_json)
    finally:
        session.close()
    if as_json:
        dump({"pending": pending.model_dump(mode="json")})
    else:
        out(render_proposal(pending))


def _item_numbers(value: str) -> list[int]:
    """`2,3` → [2, 3]; anything else exits 2."""
    try:
        numbers = [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        numbers = []
    if not numbers or any(n < 1 for n in numbers):
        raise fail(f"--confirm takes item numbers like 2 or 2,3 (got {value!r})", 2)
    return numbers


def accept_command(
    edit: bool = typer.Option(False, "--edit", help="Edit the proposed texts in $EDITOR first."),
    confirm: str | None = typer.Option(
        None,
        "--confirm",
        metavar="N[,N]",
        help="Also confirm these inferred items (numbers as `charter pending` shows them), "
        "in the same commit.",
    ),
    note: str | None = typer.Option(
        None, "--note", help="With --confirm: your words, recorded and quoted in the provenance."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the commit as JSON."),
) -> None:
    """Accept the pending proposal: ONE commit with the spec change and your words."""
    from charter.app.commands.review_edit import edit_items

    numbers = _item_numbers(confirm) if confirm is not None else []
    if note is not None and not numbers:
        raise fail("--note goes with --confirm", 2)
    ws = open_ws()
    with locked(ws, "charter accept"):
        session = open_session(ws, need_model=False)
        try:
            pending = _pending_or_exit(session, as_json)
            edits = edit_items(ws, pending) if edit else {}
            accepted = guard(
                lambda: session.accept_reviewed(edits=edits, confirm=numbers, note=note)
            )
        finally:
            session.close()
    sha = accepted.commit
    confirmed = [i.req_id for i in accepted.proposal.items if i.index in numbers and i.req_id]
    if as_json:
        dump({"commit": sha, "proposal": pending.id, "confirmed": confirmed})
    else:
        extra = f"; confirmed {', '.join(confirmed)}" if confirmed else ""
        out(f"Committed {sha[:12]}: {pending.summary} ({pending.id}){extra}\n")


def reject_command(
    reason: str | None = typer.Option(None, "--reason", help="Why; the scribe reads it next turn."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Reject the pending proposal (the reason is recorded verbatim)."""
    ws = open_ws()
    with locked(ws, "charter reject"):
        session = open_session(ws, need_model=False)
        try:
            pending = _pending_or_exit(session, as_json)
            guard(lambda: session.reject(reason))
        finally:
            session.close()
    if as_json:
        dump({"rejected": pending.id, "reason": reason})
    else:
        out(f"Rejected {pending.id}.\n")


def confirm_command(
    req_id: str = typer.Argument(..., help="The inferred requirement to confirm, e.g. ING-2."),
    note: str | None = typer.Option(None, "--note", help="Your words; quoted in the provenance."),
    as_json: bool = typer.Option(False, "--json", help="Print the commit as JSON."),
) -> None:
    """Confirm an inferred requirement: recorded verbatim and committed."""
    from charter.specs import REQ_ID_RE

    if not REQ_ID_RE.match(req_id):
        raise fail(f"{req_id!r} is not a requirement ID like ING-2", 2)
    ws = open_ws()
    with locked(ws, "charter confirm"):
        session = open_session(ws, need_model=False)
        try:
            sha = guard(lambda: session.confirm(req_id, note))
        finally:
            session.close()
    if as_json:
        dump({"commit": sha, "requirement": req_id})
    else:
        out(f"Committed {sha[:12]}: {req_id} confirmed\n")
