"""The intent turn as a LangGraph graph, checkpointed per session (thread id = session ID).

    START → scribe → check ─┬→ scribe (one repair round when code refused the proposal)
                            └→ record ─┬→ review (interrupt) ─┬→ commit    → END
                                       │                      ├→ reject    → END
                                       └→ END                 └→ supersede → END

The user's message is in the ledger before the graph runs (the runner appends it). `scribe` talks
to the model; `check` verifies the proposal in code; `record` writes the scribe's answer to the
ledger; `review` only calls `interrupt()` (it re-runs from the top on resume, so it has no side
effects); `commit` records the accept (with the user's edits, or one record confirming inferred
items) and makes ONE git commit. State is plain JSON-able dicts, so the SQLite checkpointer can
store it without an allow-list.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

from langchain_core.messages import ToolMessage, messages_from_dict, messages_to_dict
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import interrupt

from charter.agents import (
    ModelCallError,
    ModelFactory,
    Proposal,
    SpecTools,
    TokenCallback,
    run_scribe,
    scribe_messages,
    spec_overview,
)
from charter.graphs.intent.check import (
    CheckResult,
    Edit,
    changed_since,
    check_proposal,
    load_spec,
    read_spec_dir,
)
from charter.graphs.intent.commit import (
    changes_of,
    commit_check,
    confirm_items,
    confirm_text,
    intents_of,
    rel,
    under,
)
from charter.graphs.intent.view import ProposalView, item_line, source_line, unified_diff
from charter.specs import CommitMessage, spec_log
from charter.transcripts import Ledger, Record

CHECK_REPAIRS = 1
"""Rounds the scribe gets to fix a proposal that code refused."""


class IntentError(Exception):
    """A turn or review act was refused; the message is one sentence for the user."""


@dataclass
class TurnContext:
    """What the nodes need that is not state: paths, the ledger, the model, the token callback."""

    root: Path
    spec_dir: Path
    transcripts_dir: Path
    ledger: Ledger
    factory: ModelFactory
    model_name: str
    on_token: TokenCallback | None = None
    model_ms: float = 0.0


class TurnState(TypedDict, total=False):
    """One turn's state; every value is JSON-able."""

    session: str
    message_id: str
    extra: str | None
    convo: list[dict[str, Any]] | None
    result: dict[str, Any] | None
    check: dict[str, Any] | None
    repairs: int
    repair: bool
    view: dict[str, Any] | None
    outcome: dict[str, Any] | None
    decision: dict[str, Any] | None
    commit: str | None
    # extra commit trailers, e.g. [["Charter-Finding", "A-3f2c1a"]]
    trailers: list[list[str]] | None


def fresh_state(
    session: str,
    message_id: str,
    extra: str | None = None,
    trailers: list[tuple[str, str]] | None = None,
) -> TurnState:
    """The input of a new turn: every key reset, so nothing leaks from the previous turn."""
    return TurnState(
        trailers=[[key, value] for key, value in trailers or []],
        session=session,
        message_id=message_id,
        extra=extra,
        convo=None,
        result=None,
        check=None,
        repairs=0,
        repair=False,
        view=None,
        outcome=None,
        decision=None,
        commit=None,
    )


# -- helpers ------------------------------------------------------------------------------------


def next_proposal_id(ledger: Ledger) -> str:
    """The next workspace-unique proposal ID (`p-0001`), derived from every session's records."""
    highest = 0
    for info in ledger.sessions():
        if not ledger.has_session(info.id):
            continue
        for record in ledger.records(info.id):
            if record.proposal and record.proposal.startswith("p-"):
                number = record.proposal[2:]
                if number.isdigit():
                    highest = max(highest, int(number))
    return f"p-{highest + 1:04d}"


def spec_text_for_prompt(files: dict[str, bytes]) -> str:
    """The spec's Markdown files concatenated with their paths (only used when small)."""
    parts = [
        f"<file path={path!r}>\n{data.decode('utf-8', errors='replace')}</file>"
        for path, data in sorted(files.items())
        if path.endswith(".md")
    ]
    return "\n".join(parts) if parts else "(the spec is empty: no files yet)"


def repair_text(check: CheckResult) -> str:
    """The tool result that sends code's refusal back to the scribe."""
    lines = ["Charter refused this proposal; nothing was changed. Problems:"]
    lines += [f"- {f.message} ({f.location()})" for f in check.findings if f.severity == "ERROR"]
    lines.append("Fix them and call propose_change again, or ask_user if you cannot.")
    return "\n".join(lines)


def locked_trigger(message: Record) -> str:
    """The words that may name a LOCKED requirement: only a user's own message counts.

    A turn started by Charter (e.g. `audit fix`) records an event whose text quotes a model's
    finding; an ID named there is the auditor's word, not the user's explicit request.
    """
    return message.text if message.role == "user" else ""


def _turn_message(ledger: Ledger, session: str, message_id: str) -> tuple[list[Record], Record]:
    """The session's records before the turn's message, and the message itself."""
    records = ledger.records(session)
    for index, record in enumerate(records):
        if record.id == message_id:
            return records[:index], record
    raise IntentError(f"message {message_id} is not in session {session}")


def _find(
    records: list[Record], kind: str, proposal: str, item: int | None = None
) -> Record | None:
    """A review record of `proposal` already in the ledger (for an accept that is re-run)."""
    for record in records:
        same = record.kind == kind and record.proposal == proposal
        if same and (item is None or (record.data or {}).get("item") == item):
            return record
    return None


def _committed(ctx: TurnContext, pid: str) -> str | None:
    """The sha of a recent spec commit made for proposal `pid`, if there is one."""
    for info in spec_log(ctx.root, ctx.spec_dir, limit=5):
        if ("Charter-Proposal", pid) in [tuple(t) for t in info.trailers]:
            return info.sha
    return None


def stale_message(pid: str, paths: list[str]) -> str:
    """The refusal when the spec changed on disk between proposal and accept."""
    return (
        f"The spec changed on disk since {pid} was proposed ({', '.join(paths)}): "
        "reject it and send your message again."
    )


# -- nodes --------------------------------------------------------------------------------------


def scribe_node(state: TurnState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    """Ask the scribe (fresh, or to repair a refused proposal); model failures end the turn."""
    ctx = runtime.context
    ledger = ctx.ledger
    files = read_spec_dir(ctx.spec_dir)
    spec = load_spec(files)
    if state.get("repair") and state.get("check") and state.get("result"):
        check = CheckResult.model_validate(state["check"])
        convo = messages_from_dict(state["convo"] or [])
        call_id = (state["result"] or {}).get("call_id") or ""
        convo.append(ToolMessage(repair_text(check), tool_call_id=call_id))
    else:
        history, message = _turn_message(ledger, state["session"], state["message_id"])
        convo = scribe_messages(
            history=history,
            message=message,
            spec_text=spec_text_for_prompt(files),
            spec_outline=spec_overview(spec),
            extra=state.get("extra"),
        )

    def search(query: str) -> list[tuple[str, str]]:
        """User messages matching a query, oldest first."""
        hits = ledger.search(query, limit=8, role="user")
        return sorted(((h.record.id, h.record.text) for h in hits), key=lambda x: x[0])

    started = time.perf_counter()
    try:
        model = ctx.factory.chat("scribe", context=f"{state['session']} {state['message_id']}")
        resolved = ctx.factory.resolve("scribe")
        result = run_scribe(
            model,
            convo,
            SpecTools(spec, search),
            on_token=ctx.on_token,
            schema_repairs=resolved.repairs,
        )
    except ModelCallError as exc:
        record = ledger.append(
            state["session"], "event", exc.user_message, kind="error", reply_to=state["message_id"]
        )
        outcome = {
            "kind": "error",
            "session": state["session"],
            "message_id": state["message_id"],
            "reply_id": record.id,
            "text": exc.user_message,
        }
        return {"outcome": outcome, "result": None, "repair": False}
    finally:
        ctx.model_ms += (time.perf_counter() - started) * 1000
    return {
        # Only a proposal can need a repair round (and so the conversation).
        "convo": messages_to_dict(result.messages) if result.kind == "proposal" else None,
        "result": {
            "kind": result.kind,
            "proposal": result.proposal.model_dump(mode="json") if result.proposal else None,
            "question": result.question,
            "text": result.text,
            "call_id": result.call_id,
        },
        "repair": False,
    }


def check_node(state: TurnState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    """Check a proposal in code; a refusal earns the scribe one repair round."""
    ctx = runtime.context
    result = state.get("result") or {}
    if result.get("kind") != "proposal":
        return {"check": None, "convo": None}
    proposal = Proposal.model_validate(result["proposal"])
    _, message = _turn_message(ctx.ledger, state["session"], state["message_id"])
    check = check_proposal(
        ctx.spec_dir,
        proposal,
        trigger_id=message.id,
        trigger_text=locked_trigger(message),
        message_text=ctx.ledger.user_text,
    )
    repairs = state.get("repairs", 0)
    if check.refused and repairs < CHECK_REPAIRS:
        return {"check": check.model_dump(mode="json"), "repairs": repairs + 1, "repair": True}
    # The conversation is only needed for a repair round: dropping it here keeps every later
    # checkpoint of the turn from carrying another copy of the model's whole reply.
    return {"check": check.model_dump(mode="json"), "repair": False, "convo": None}


def record_node(state: TurnState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    """Write the scribe's answer to the ledger and build what the caller shows."""
    ctx = runtime.context
    ledger = ctx.ledger
    session, message_id = state["session"], state["message_id"]
    result = state.get("result") or {}
    base = {"session": session, "message_id": message_id}
    if result.get("kind") in ("question", "reply"):
        text = result.get("question") or result.get("text") or ""
        record = ledger.append(session, "scribe", text, kind=result["kind"], reply_to=message_id)
        outcome = {**base, "kind": result["kind"], "reply_id": record.id, "text": text}
        return {"outcome": outcome, "result": None}  # the text is in the ledger and the outcome
    check = CheckResult.model_validate(state["check"])
    proposal = Proposal.model_validate(result["proposal"])
    pid = next_proposal_id(ledger)
    spec_prefix = rel(ctx.root, ctx.spec_dir)
    view = ProposalView(
        id=pid,
        session=session,
        message_id=message_id,
        summary=" ".join(proposal.summary.split()),
        items=check.items,
        diff=unified_diff(check, spec_prefix),
        findings=check.findings,
        files=sorted(under(spec_prefix, p) for p in check.files),
        refused=check.refused,
        model=ctx.model_name,
    )
    data = {
        "items": [item.model_dump(mode="json", exclude_defaults=True) for item in check.items],
        "lines": [f"{item_line(i)} | {source_line(i)}" for i in check.items],
    }
    if check.refused:
        data["findings"] = [f.message for f in check.findings if f.severity == "ERROR"]
    record = ledger.append(
        session,
        "scribe",
        view.summary,
        kind="refused" if check.refused else "proposal",
        reply_to=message_id,
        proposal=pid,
        data=data,
    )
    kind = "refused" if check.refused else "proposal"
    outcome = {
        **base,
        "kind": kind,
        "reply_id": record.id,
        "proposal": view.model_dump(mode="json"),
    }
    return {"view": view.model_dump(mode="json"), "outcome": outcome}


def review_node(state: TurnState) -> dict[str, Any]:
    """Wait for the user's review; no side effects here (this re-runs on resume)."""
    decision = interrupt({"proposal": state["view"]})
    return {"decision": decision}


def commit_node(state: TurnState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    """Record the accept (and edits) in the ledger, then make ONE commit; safe to re-run."""
    ctx = runtime.context
    ledger = ctx.ledger
    view = ProposalView.model_validate(state["view"])
    check = CheckResult.model_validate(state["check"])
    pid, session = view.id, view.session
    records = ledger.records(session)
    if _find(records, "accept", pid) is not None:  # re-run after a crash: committed already?
        done = _committed(ctx, pid)
        if done is not None:
            return {"commit": done}
    stale = changed_since(ctx.spec_dir, check.base)
    if stale:
        raise IntentError(stale_message(pid, stale))
    edits: dict[int, Edit] = {}
    for key, text in ((state.get("decision") or {}).get("edits") or {}).items():
        index = int(key)
        found = _find(records, "edit", pid, index)
        if found is None:
            found = ledger.append(
                session, "user", text, kind="edit", proposal=pid, data={"item": index}
            )
        edits[index] = Edit(record=found.id, text=found.text)
    if edits:
        result = state.get("result") or {}
        _, message = _turn_message(ledger, session, view.message_id)
        check = check_proposal(
            ctx.spec_dir,
            Proposal.model_validate(result["proposal"]),
            trigger_id=message.id,
            trigger_text=locked_trigger(message),
            message_text=ledger.user_text,
            edits=edits,
        )
        if check.refused:
            raise IntentError(
                "Your edits make the spec invalid: "
                + "; ".join(f.message for f in check.findings if f.severity == "ERROR")
            )
    confirm = [int(i) for i in (state.get("decision") or {}).get("confirm") or []]
    if confirm:  # one record for every confirmed item, cited by each of them
        note = (state.get("decision") or {}).get("note") or None
        found = _find(records, "confirm", pid)
        if found is None:
            found = ledger.append(
                session,
                "user",
                note or confirm_text(pid, confirm),
                kind="confirm",
                proposal=pid,
                data={"items": confirm},
            )
        try:
            check = confirm_items(check, confirm, found.id, note)
        except ValueError as exc:
            raise IntentError(f"Cannot confirm: {exc}") from None
    if _find(records, "accept", pid) is None:
        ledger.append(session, "event", f"accepted {pid}", kind="accept", proposal=pid)
    message = CommitMessage(
        subject=view.summary,
        intents=intents_of(view.message_id, check.items, ledger.user_text),
        changes=changes_of(check.items),
        session=session,
        proposal=pid,
        model=view.model or ctx.model_name,
        trailers=[(key, value) for key, value in state.get("trailers") or []],
    )
    sha = commit_check(ctx.root, ctx.spec_dir, ctx.transcripts_dir, check, message)
    return {"commit": sha, "check": check.model_dump(mode="json")}


def reject_node(state: TurnState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    """Record the rejection: the user's reason verbatim, or a bare event."""
    ctx = runtime.context
    view = state["view"] or {}
    pid, session = view["id"], view["session"]
    reason = (state.get("decision") or {}).get("reason")
    if reason:
        ctx.ledger.append(session, "user", reason, kind="reject", proposal=pid)
    else:
        ctx.ledger.append(session, "event", f"rejected {pid}", kind="reject", proposal=pid)
    return {}


def supersede_node(state: TurnState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    """Record that a new message replaced the pending proposal unreviewed."""
    view = state["view"] or {}
    by = (state.get("decision") or {}).get("by") or "a new message"
    runtime.context.ledger.append(
        view["session"], "event", f"superseded by {by}", kind="supersede", proposal=view["id"]
    )
    return {}


# -- wiring -------------------------------------------------------------------------------------


def _after_scribe(state: TurnState) -> str:
    """Stop on a model failure; otherwise check."""
    return END if state.get("result") is None else "check"


def _after_check(state: TurnState) -> str:
    """Back to the scribe for a repair round, or on to recording."""
    return "scribe" if state.get("repair") else "record"


def _after_record(state: TurnState) -> str:
    """Only an acceptable proposal waits for review."""
    outcome = state.get("outcome") or {}
    return "review" if outcome.get("kind") == "proposal" else END


def _after_review(state: TurnState) -> str:
    """Route the user's decision."""
    action = (state.get("decision") or {}).get("action")
    return {"accept": "commit", "reject": "reject", "supersede": "supersede"}.get(action, END)


def build_graph() -> StateGraph:
    """The (uncompiled) intent turn graph."""
    graph = StateGraph(TurnState, context_schema=TurnContext)
    graph.add_node("scribe", scribe_node)
    graph.add_node("check", check_node)
    graph.add_node("record", record_node)
    graph.add_node("review", review_node)
    graph.add_node("commit", commit_node)
    graph.add_node("reject", reject_node)
    graph.add_node("supersede", supersede_node)
    graph.add_edge(START, "scribe")
    graph.add_conditional_edges("scribe", _after_scribe, ["check", END])
    graph.add_conditional_edges("check", _after_check, ["scribe", "record"])
    graph.add_conditional_edges("record", _after_record, ["review", END])
    graph.add_conditional_edges("review", _after_review, ["commit", "reject", "supersede", END])
    for node in ("commit", "reject", "supersede"):
        graph.add_edge(node, END)
    return graph
