"""Audit benchmark: what a re-audit after a one-requirement change sends, against a full audit.

A 40-section spec (5 requirements per section, provenance lines, prose, a few cross-references)
is audited in full, then one requirement's text changes and it is audited again. Both runs talk to
the scripted OpenAI-compatible server on 127.0.0.1 through the real `ChatOpenAI`, which answers
"no findings" at once; what counts is what Charter sends. Tokens are estimated as a quarter of the
characters of each request's messages and tool schema, the same way for both runs.
"""

from __future__ import annotations

import json
import random
import tempfile
from pathlib import Path

from bench.harness import Result
from charter.agents import ModelFactory, ModelSettings
from charter.graphs.audit import AuditRequest, run_audit
from charter.specs import (
    Prose,
    Provenance,
    ProvenanceKind,
    Requirement,
    Section,
    SpecFile,
    render_file,
)
from tests.fakellm import FAKE_KEY, FakeLLM, ScriptedReply

SECTIONS = 40
PER_SECTION = 5
VOCABULARY = (
    "device batch event payload header schema field record total report night window quota "
    "retry token session archive export import index cursor page filter owner tenant region "
    "storage bucket replica checksum signature timestamp clock offset latency budget alert "
    "metric counter gauge histogram label dashboard query cache eviction snapshot backup"
)
WORDS = VOCABULARY.split()
KEYWORDS = ("MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY")


def _sentence(rng: random.Random, refs: list[str]) -> str:
    """A requirement text of 14-24 words with one keyword and maybe a cross-reference."""
    words = [rng.choice(WORDS) for _ in range(rng.randint(12, 22))]
    text = f"The service {rng.choice(KEYWORDS)} {' '.join(words)}."
    if refs and rng.random() < 0.15:
        text = text[:-1] + f" as required by [{rng.choice(refs)}]."
    return text


def build_spec(seed: int = 7) -> SpecFile:
    """The 40-section benchmark spec, deterministic."""
    rng = random.Random(seed)
    sections: list[Section] = []
    ids: list[str] = []
    for s in range(SECTIONS):
        prefix = f"S{s + 1}"
        blocks: list[Prose | Requirement] = [
            Prose(text=" ".join(rng.choice(WORDS) for _ in range(18)).capitalize() + ".")
        ]
        for n in range(PER_SECTION):
            req_id = f"{prefix}-{n + 1}"
            prov = Provenance(
                kind=ProvenanceKind.INFERRED,
                reason=" ".join(rng.choice(WORDS) for _ in range(8)),
            )
            blocks.append(Requirement(id=req_id, text=_sentence(rng, ids), provenance=prov))
            ids.append(req_id)
        sections.append(Section(title=f"Area {s + 1}", blocks=blocks))
    return SpecFile(path="service.md", title="Benchmark service", sections=sections)


def _tokens(llm: FakeLLM, start: int) -> int:
    """Estimated prompt tokens of the chat requests from index `start` on."""
    total = 0
    for req in llm.chat_requests[start:]:
        sent = json.dumps(req.body.get("messages", [])) + json.dumps(req.body.get("tools", []))
        total += len(sent) // 4
    return total


def run() -> list[Result]:
    """Full audit, one-requirement re-audit, and an unchanged re-audit; report the figures."""
    spec_file = build_spec()
    original = render_file(spec_file)
    target = spec_file.sections[16].requirements[2]
    # Change its first words, so that the outline changes too and the cross-spec pass is re-sent
    # (the costlier case: a change past the outline's first words leaves the outline cached).
    changed = original.replace(target.text, "The ingest " + target.text.removeprefix("The "))
    assert changed != original
    with FakeLLM() as llm, tempfile.TemporaryDirectory() as tmp:
        llm.handler(lambda body: ScriptedReply.tools([_empty_answer(body)]))
        env = {"OPENAI_BASE_URL": llm.base_url, "OPENAI_API_KEY": FAKE_KEY}
        factory = ModelFactory(ModelSettings(name="fake-model", max_retries=0), env=env)

        def audit(text: str) -> None:
            """One audit of the spec with this text."""
            run_audit(
                AuditRequest(
                    spec_files={"service.md": text.encode()},
                    state_db=Path(tmp) / "state.db",
                    model_name="fake-model",
                    make_model=lambda: factory.chat("auditor"),
                )
            )

        audit(original)
        full = _tokens(llm, 0)
        mark = len(llm.chat_requests)
        audit(changed)
        partial = _tokens(llm, mark)
        mark = len(llm.chat_requests)
        audit(changed)
        unchanged_calls = len(llm.chat_requests) - mark
    return [
        Result(
            "audit: re-audit tokens after 1-requirement change vs full",
            100.0 * partial / full,
            "%",
            15.0,
        ),
        Result("audit: model calls re-auditing an unchanged revision", unchanged_calls, "", 0.0),
    ]


def _empty_answer(body: dict[str, object]) -> tuple[str, dict[str, list[object]]]:
    """The auditor's "nothing found" for whichever tool the request forces."""
    tools = body.get("tools") or []
    name = tools[0]["function"]["name"] if tools else "report_findings"  # type: ignore[index]
    key = "verdicts" if name == "report_verdicts" else "findings"
    return (name, {key: []})
