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
store it without an allow-list; its large values are payload references (`payloads.py`), so
each step's checkpoint stays small.
"""

from __future__ import annotations

import time
from typing import Any

from langchain_core.messages import ToolMessage, messages_from_dict, messages_to_dict
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import interrupt

from charter.agents import (
    ModelCallError,
    Proposal,
    SpecTools,
    run_scribe,
    scribe_messages,
    spec_overview,
)
from charter.graphs.intent.accept import plan_accept
from charter.graphs.intent.check import (
    CheckResult,
    Edit,
    check_proposal,
)
from charter.graphs.intent.commit import commit_plan, confirm_text, rel, under
from charter.graphs.intent.review import ProposalView, item_line, source_line, unified_diff
from charter.graphs.intent.specdir import load_spec, read_spec_dir
from charter.graphs.intent.state import (
    CHECK_REPAIRS,
    TurnContext,
    TurnState,
    committed_sha,
    find_record,
    locked_trigger,
    next_proposal_id,
    repair_text,
    spec_text_for_prompt,
    turn_message,
)

# -- nodes --------------------------------------------------------------------------------------


def scribe_node(state: TurnState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    """Ask the scribe (fresh, or to repair a refused proposal); model failures end the turn."""
    ctx = runtime.context
    ledger, payloads = ctx.ledger, ctx.payloads
    files = read_spec_dir(ctx.spec_dir)
    spec = load_spec(files)
    if state.get("repair") and state.get("check") and state.get("result"):
        check = CheckResult.model_validate(payloads.get(state["check"]))
        convo = messages_from_dict(payloads.get(state["convo"]) or [])
        call_id = (payloads.get(state["result"]) or {}).get("call_id") or ""
        convo.append(ToolMessage(repair_text(check), tool_call_id=call_id))
    else:
        history, message = turn_message(ledger, state["session"], state["message_id"])
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
    session = state["session"]
    return {
        # Only a proposal can need a repair round (and so the conversation).
        "convo": payloads.put(session, messages_to_dict(result.messages))
        if result.kind == "proposal"
        else None,
        "result": payloads.put(
            session,
            {
                "kind": result.kind,
                "proposal": result.proposal.model_dump(mode="json") if result.proposal else None,
                "question": result.question,
                "text": result.text,
                "call_id": result.call_id,
            },
        ),
        "repair": False,
    }


def check_node(state: TurnState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    """Check a proposal in code; a refusal earns the scribe one repair round."""
    ctx = runtime.context
    result = ctx.payloads.get(state.get("result")) or {}
    if result.get("kind") != "proposal":
        return {"check": None, "convo": None}
    proposal = Proposal.model_validate(result["proposal"])
    _, message = turn_message(ctx.ledger, state["session"], state["message_id"])
    check = check_proposal(
        ctx.spec_dir,
        proposal,
        trigger_id=message.id,
        trigger_text=locked_trigger(message),
        message_text=ctx.ledger.user_text,
    )
    repairs = state.get("repairs", 0)
    stored = ctx.payloads.put(state["session"], check.model_dump(mode="json"))
    if check.refused and repairs < CHECK_REPAIRS:
        return {"check": stored, "repairs": repairs + 1, "repair": True}
    return {"check": stored, "repair": False, "convo": None}  # only a repair needs it


def record_node(state: TurnState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    """Write the scribe's answer to the ledger and build what the caller shows."""
    ctx = runtime.context
    ledger, payloads = ctx.ledger, ctx.payloads
    session, message_id = state["session"], state["message_id"]
    result = payloads.get(state.get("result")) or {}
    base = {"session": session, "message_id": message_id}
    if result.get("kind") in ("question", "reply"):
        text = result.get("question") or result.get("text") or ""
        record = ledger.append(session, "scribe", text, kind=result["kind"], reply_to=message_id)
        # The text is in the ledger: the outcome names the record (`IntentSession` reads it).
        outcome = {**base, "kind": result["kind"], "reply_id": record.id, "text": None}
        return {"outcome": outcome, "result": None}
    check = CheckResult.model_validate(payloads.get(state["check"]))
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
    stored = payloads.put(session, view.model_dump(mode="json"))
    outcome = {**base, "kind": kind, "reply_id": record.id, "proposal": stored}
    return {"view": stored, "outcome": outcome}


def review_node(state: TurnState) -> dict[str, Any]:
    """Wait for the user's review; no side effects here (this re-runs on resume)."""
    decision = interrupt({"proposal": state["view"]})
    return {"decision": decision}


def commit_node(state: TurnState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    """Record the accept (and edits) in the ledger, then make ONE commit; safe to re-run."""
    ctx = runtime.context
    ledger, payloads = ctx.ledger, ctx.payloads
    view = ProposalView.model_validate(payloads.get(state["view"]))
    pid, session = view.id, view.session
    records = ledger.records(session)
    if find_record(records, "accept", pid) is not None:  # re-run after a crash: committed already?
        done = committed_sha(ctx.root, ctx.spec_dir, pid)
        if done is not None:
            return {"commit": done}
    decision = state.get("decision") or {}
    edits: dict[int, Edit] = {}
    for key, text in (decision.get("edits") or {}).items():
        index = int(key)
        found = find_record(records, "edit", pid, index)
        if found is None:
            found = ledger.append(
                session, "user", text, kind="edit", proposal=pid, data={"item": index}
            )
        edits[index] = Edit(record=found.id, text=found.text)
    confirm = [int(i) for i in decision.get("confirm") or []]
    note = decision.get("note") or None
    confirm_record = None
    if confirm:  # one record for every confirmed item, cited by each of them
        found = find_record(records, "confirm", pid)
        if found is None:
            found = ledger.append(
                session,
                "user",
                note or confirm_text(pid, confirm),
                kind="confirm",
                proposal=pid,
                data={"items": confirm},
            )
        confirm_record = found.id
    _, message = turn_message(ledger, session, view.message_id)
    plan = plan_accept(
        ctx.spec_dir,
        view=view,
        proposal=Proposal.model_validate((payloads.get(state.get("result")) or {})["proposal"]),
        check=CheckResult.model_validate(payloads.get(state["check"])),
        trigger_text=locked_trigger(message),
        edits=edits,
        confirm=confirm,
        confirm_record=confirm_record,
        note=note,
        message_text=ledger.user_text,
        model=ctx.model_name,
        trailers=[(key, value) for key, value in state.get("trailers") or []],
    )
    if find_record(records, "accept", pid) is None:
        ledger.append(session, "event", f"accepted {pid}", kind="accept", proposal=pid)
    sha = commit_plan(ctx.root, ctx.spec_dir, ctx.transcripts_dir, plan, ctx.commit)
    return {"commit": sha, "check": payloads.put(session, plan.check.model_dump(mode="json"))}


def reject_node(state: TurnState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    """Record the rejection: the user's reason verbatim, or a bare event."""
    ctx = runtime.context
    view = ctx.payloads.get(state["view"]) or {}
    pid, session = view["id"], view["session"]
    reason = (state.get("decision") or {}).get("reason")
    if reason:
        ctx.ledger.append(session, "user", reason, kind="reject", proposal=pid)
    else:
        ctx.ledger.append(session, "event", f"rejected {pid}", kind="reject", proposal=pid)
    return {}


def supersede_node(state: TurnState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    """Record that a new message replaced the pending proposal unreviewed."""
    view = runtime.context.payloads.get(state["view"]) or {}
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
