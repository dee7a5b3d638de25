"""The audit graph: plan what the model must see, examine it in parallel, collect the findings.

    plan ──Send──▶ examine (one per uncached section, the outline, each batch of drift pairs)
      │                 │
      └──────────────▶ collect ──▶ END

`plan` parses the spec, builds one unit per section and the outline, picks drift candidates, and
looks every unit up in the cache (key: prompt version, model, the exact text sent). Only misses
become `examine` jobs, run concurrently (`Send`, bounded by `max_concurrency`); each job stores
its answer as soon as it has it, so a failed run keeps what it paid for. `collect` turns answers
into located findings, adds the checks decided in code, and stores the run under the revision key.
Graph state holds plain JSON-able values only.
"""

from __future__ import annotations

import operator
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import Send
from pydantic import Field

from charter.agents import (
    DriftQuestion,
    ReportedIssue,
    auditor_prompt_version,
    drift_text,
    examine_outline,
    examine_section,
    judge_drift,
)
from charter.graphs.audit.drift import (
    DriftPair,
    LockedChange,
    drift_candidates,
    drift_finding,
    locked_findings,
    unconfirmed,
)
from charter.graphs.audit.examples import musts_without_examples
from charter.graphs.audit.findings import (
    AuditFinding,
    FindingKind,
    make_finding,
    sort_findings,
    unknown_requirements,
)
from charter.graphs.audit.scope import SectionUnit, outline, section_units
from charter.graphs.audit.store import AuditRun, AuditStore, content_key, revision_key
from charter.specs import Severity, Spec, load_spec_files
from charter.transcripts import Record

DRIFT_BATCH = 8
"""Drift pairs judged per model call."""


@dataclass
class AuditRequest:
    """Everything one audit needs; the model is built only if something must be sent."""

    spec_files: Mapping[str, bytes]
    """Spec files by path relative to the spec dir (working tree or a commit's tree)."""
    state_db: Path
    model_name: str
    """Part of every cache key: another model re-examines everything."""
    make_model: Callable[[], Any]
    """Builds the auditor's chat model; called at most once, and never on a full cache hit."""
    user_records: Sequence[Record] = ()
    """The ledger's user messages (for drift)."""
    locked: Sequence[LockedChange] = ()
    """LOCKED changes found in the spec's commit history."""
    concurrency: int = 4
    fresh: bool = False
    """Ask the model again about everything (`charter audit --fresh`), replacing cached answers."""
    now: Callable[[], str] | None = None
    """Clock for the run's timestamp (stored, never part of `--json`)."""


class AuditResult(AuditRun):
    """A run plus what this invocation did: which units it sent to the model."""

    examined: list[str] = Field(default_factory=list)
    cached: int = 0


class _State(TypedDict, total=False):
    """Graph state: jobs planned, answers gathered (reduced by concatenation), calls made."""

    jobs: list[dict[str, Any]]
    answers: Annotated[list[dict[str, Any]], operator.add]
    calls: Annotated[int, operator.add]
    findings: list[dict[str, Any]]
    auditor_errors: list[str]


@dataclass
class _Context:
    """What the nodes share for one run (kept out of graph state: not JSON)."""

    request: AuditRequest
    spec: Spec = field(default_factory=Spec)
    units: list[SectionUnit] = field(default_factory=list)
    pairs: list[DriftPair] = field(default_factory=list)
    order: list[str] = field(default_factory=list)
    """Every requirement ID in document order (findings list their IDs in this order)."""
    version: str = ""
    auditor_errors: list[str] = field(default_factory=list)
    """What the auditor got wrong (requirement IDs not in this revision), said once each."""
    _model: Any = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def model(self) -> Any:
        """The chat model, built once on first use (thread-safe)."""
        with self._lock:
            if self._model is None:
                self._model = self.request.make_model()
            return self._model

    def key(self, task: str, text: str) -> str:
        """The cache key of one request text."""
        return content_key(self.version, self.request.model_name, task, text)


def _question(pair: DriftPair) -> DriftQuestion:
    """The drift judge's view of a pair: the quote (or the cited text) and the later text."""
    cited = pair.quote or "\n".join(r.text for r in pair.cited)
    return DriftQuestion(pair.req_id, pair.requirement, cited, pair.later.id, pair.later.text)


def _plan(ctx: _Context, state: _State) -> _State:
    """Parse, scope, and split the work into cache hits (answers) and misses (jobs)."""
    ctx.spec, _ = load_spec_files(ctx.request.spec_files)
    ctx.units = section_units(ctx.spec)
    ctx.order = [r.id for r in ctx.spec.requirements()]
    ctx.pairs = drift_candidates(ctx.spec, ctx.request.user_records)
    answers: list[dict[str, Any]] = []
    jobs: list[dict[str, Any]] = []
    with AuditStore(ctx.request.state_db) as store:
        store.ensure_tables()

        def want(task: str, text: str, ref: str, label: str) -> None:
            """Use the cached answer for this text, or plan a job for it."""
            key = ctx.key(task, text)
            hit = None if ctx.request.fresh else store.cached(key)
            if hit is not None:
                answers.append({"task": task, "ref": ref, "answer": hit, "cached": True})
            else:
                jobs.append({"task": task, "key": key, "text": text, "ref": ref, "label": label})

        for n, unit in enumerate(ctx.units):
            want("section", unit.text, str(n), f"section {unit.file} § {unit.title}")
        if ctx.units:
            want("outline", outline(ctx.spec), "outline", "outline")
        drift_misses: list[dict[str, Any]] = []
        for n, pair in enumerate(ctx.pairs):
            key = ctx.key("drift", drift_text([_question(pair)]))
            hit = None if ctx.request.fresh else store.cached(key)
            if hit is not None:
                answers.append({"task": "drift", "ref": str(n), "answer": hit, "cached": True})
            else:
                drift_misses.append({"key": key, "ref": str(n)})
        for start in range(0, len(drift_misses), DRIFT_BATCH):
            batch = drift_misses[start : start + DRIFT_BATCH]
            jobs.append(
                {
                    "task": "drift",
                    "pairs": batch,
                    "label": f"drift ({len(batch)} pair{'s' if len(batch) > 1 else ''})",
                }
            )
    return {"jobs": jobs, "answers": answers, "calls": 0}


def _fan_out(state: _State) -> list[Send] | str:
    """One `examine` task per job, or straight to `collect` when everything was cached."""
    jobs = state.get("jobs") or []
    return [Send("examine", job) for job in jobs] if jobs else "collect"


def _examine(ctx: _Context, job: dict[str, Any]) -> _State:
    """Send one job to the auditor model and cache the answer at once."""
    model = ctx.model()
    answers: list[dict[str, Any]] = []
    with AuditStore(ctx.request.state_db) as store:
        if job["task"] in ("section", "outline"):
            ask = examine_section if job["task"] == "section" else examine_outline
            answer = [issue.model_dump() for issue in ask(model, job["text"])]
            store.cache(job["key"], job["task"], answer)
            answers.append({"task": job["task"], "ref": job["ref"], "answer": answer})
        else:
            questions = [_question(ctx.pairs[int(p["ref"])]) for p in job["pairs"]]
            verdicts = judge_drift(model, questions)
            for n, pair in enumerate(job["pairs"], start=1):
                verdict = verdicts.get(n)
                answer = [
                    {
                        "contradicts": bool(verdict and verdict.contradicts),
                        "explanation": verdict.explanation if verdict else "no verdict",
                    }
                ]
                store.cache(pair["key"], "drift", answer)
                answers.append({"task": "drift", "ref": pair["ref"], "answer": answer})
    return {"answers": answers, "calls": 1}


def _locate(spec: Spec, ids: Sequence[str], fallback: tuple[str, int]) -> tuple[str, int]:
    """file:line of the first requirement among `ids` found in the spec, else `fallback`."""
    for req_id in ids:
        found = spec.find(req_id)
        if found is not None:
            return found[0].path, found[2].line
    return fallback


def _model_finding(
    ctx: _Context,
    issue: ReportedIssue,
    allowed: Sequence[str],
    first: Sequence[str],
    fallback: tuple[str, int],
) -> AuditFinding | None:
    """A model-reported issue as a located finding, checked against the revision.

    IDs the model invented are dropped from its list; an issue whose text names a requirement
    the revision lacks, or whose every listed ID is invented, is dropped whole. Either way the
    auditor's error is noted for the user.
    """
    listed, in_text = unknown_requirements(
        issue.requirements, f"{issue.message} {issue.fix}", set(ctx.order)
    )
    unknown = list(dict.fromkeys([*listed, *in_text]))
    if unknown:
        names = ", ".join(unknown)
        kept = [r for r in issue.requirements if r in ctx.order]
        dropped_whole = bool(in_text) or not kept
        what = "its finding was dropped" if dropped_whole else "they were left out of its finding"
        ctx.auditor_errors.append(
            f"the auditor named {names}, which this revision does not have: {what} "
            f"({issue.kind}: {' '.join(issue.message.split())})"
        )
        if dropped_whole:
            return None
    order = {req_id: n for n, req_id in enumerate(ctx.order)}
    ids = sorted((r for r in set(issue.requirements) if r in allowed), key=order.__getitem__)
    preferred = [r for r in first if r in ids] + ids
    path, line = _locate(ctx.spec, preferred, fallback)
    kind = FindingKind(issue.kind)
    # An example at odds with its requirement is a WARNING whatever the model says: the build's
    # examples would then fail or pass for the wrong reason, but the spec may still be buildable.
    severity = Severity.WARNING if kind is FindingKind.EXAMPLE_CONTRADICTION else None
    return make_finding(
        kind,
        severity or Severity(issue.severity),
        ids,
        " ".join(issue.message.split()),
        fix=" ".join(issue.fix.split()),
        file=path,
        line=line,
        source="model",
    )


def _collect(ctx: _Context, state: _State) -> _State:
    """Build every finding from the answers and the code checks; store the run."""
    findings: list[AuditFinding] = []
    all_ids = ctx.order
    top = (ctx.spec.files[0].path, ctx.spec.files[0].line) if ctx.spec.files else ("", 0)
    for item in state.get("answers") or []:
        task, ref, answer = item["task"], item["ref"], item["answer"]
        if task == "section":
            unit = ctx.units[int(ref)]
            allowed = [*unit.own, *unit.referenced]
            for raw in answer:
                issue = ReportedIssue.model_validate(raw)
                found = _model_finding(ctx, issue, allowed, unit.own, (unit.file, unit.line))
                findings += [found] if found is not None else []
        elif task == "outline":
            for raw in answer:
                issue = ReportedIssue.model_validate(raw)
                found = _model_finding(ctx, issue, all_ids, (), top)
                findings += [found] if found is not None else []
        elif task == "drift" and answer and answer[0].get("contradicts"):
            findings.append(drift_finding(ctx.pairs[int(ref)], answer[0].get("explanation", "")))
    findings += unconfirmed(ctx.spec)
    findings += musts_without_examples(ctx.spec)
    findings += locked_findings(ctx.spec, ctx.request.locked)
    return {
        "findings": [f.model_dump(mode="json") for f in sort_findings(findings)],
        "auditor_errors": sorted(set(ctx.auditor_errors)),
    }


def build_graph(ctx: _Context) -> Any:
    """The compiled audit graph for one run (nodes close over the run's context)."""
    graph = StateGraph(_State)
    graph.add_node("plan", lambda state: _plan(ctx, state))
    graph.add_node("examine", lambda job: _examine(ctx, job))
    graph.add_node("collect", lambda state: _collect(ctx, state))
    graph.add_edge(START, "plan")
    graph.add_conditional_edges("plan", _fan_out, ["examine", "collect"])
    graph.add_edge("examine", "collect")
    graph.add_edge("collect", END)
    return graph.compile()


def run_audit(request: AuditRequest) -> AuditResult:
    """Audit one revision: model calls only for what the cache lacks; the run is stored.

    Raises `ModelCallError` (or `ModelConfigError` from `make_model`) when the model fails; the
    answers received before the failure stay cached.
    """
    ctx = _Context(request=request, version=auditor_prompt_version())
    state = build_graph(ctx).invoke(
        {"answers": [], "calls": 0},
        config={"max_concurrency": max(1, request.concurrency), "recursion_limit": 25},
    )
    jobs = state.get("jobs") or []
    findings = [AuditFinding.model_validate(f) for f in state.get("findings") or []]
    result = AuditResult(
        revision=revision_key(request.spec_files),
        findings=findings,
        auditor_errors=list(state.get("auditor_errors") or []),
        model=request.model_name,
        prompt_version=ctx.version,
        model_calls=int(state.get("calls") or 0),
        audited_at=request.now() if request.now else _now(),
        examined=[job["label"] for job in jobs],
        cached=sum(1 for a in state.get("answers") or [] if a.get("cached")),
    )
    with AuditStore(request.state_db) as store:
        store.save_run(AuditRun.model_validate(result.model_dump(exclude={"examined", "cached"})))
    return result


def _now() -> str:
    """The current UTC time, ISO 8601."""
    return datetime.now(UTC).isoformat(timespec="seconds")
