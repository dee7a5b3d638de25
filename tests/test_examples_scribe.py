"""Examples through the scribe: a pasted terminal session becomes an explicit example on review.

The model is the scripted server; the CLI, the ledger, git and the spec files are real. Code,
not the model, decides whether the example's quote is the user's: a made-up quote is shown and
committed as inferred.
"""

from __future__ import annotations

import json
from pathlib import Path

from charter.specs import load_spec_dir, validate_dir
from charter.transcripts import Ledger
from tests.fakellm import FakeLLM
from tests.scribe_support import cli, configure, ledger_records, proposal, seed

SPEC = """# Greeter

## CLI

- **CLI-1** The tool MUST greet the named person.
  > inferred: the user wants a greeter
"""

PASTED = "here is what it should do:\nuser@box:~$ greet Ann\nhello, Ann\nuser@box:~$ "
SESSION = "$ greet Ann\nhello, Ann"


def _example(op: str, quote: str | None, **fields: object) -> dict[str, object]:
    """A propose_change item on CLI-1's examples (explicit when a quote is given)."""
    item: dict[str, object] = {"op": op, "id": "CLI-1", **fields}
    if quote is not None:
        item.update(provenance="explicit", messages=["m-0001"], quote=quote)
    else:
        item.update(provenance="inferred", reason="the scribe's check")
    return item


def test_pasted_session_becomes_an_explicit_example(workspace: Path, llm: FakeLLM) -> None:
    """say (pasted session) → proposal → accept: the example is committed, quote verified."""
    configure(workspace)
    seed(workspace, {"greeter.md": SPEC})
    llm.tool_call(
        "propose_change",
        proposal("greet example", _example("add_example", "greet Ann", session=SESSION)),
    )
    said = cli(workspace, "say", PASTED, env=llm.env())
    assert said.code == 0, said.err
    pending = cli(workspace, "pending")
    assert pending.code == 0, pending.err
    assert "[E] +ex CLI-1  $ greet Ann hello, Ann" in pending.out
    accepted = cli(workspace, "accept")
    assert accepted.code == 0, accepted.err

    spec_text = (workspace / "specs" / "greeter.md").read_text(encoding="utf-8")
    assert spec_text.endswith(
        '  ```console\n  $ greet Ann\n  hello, Ann\n  ```\n  > explicit (m-0001): "greet Ann"\n'
    )
    ledger = Ledger(workspace / "transcripts")
    assert validate_dir(workspace / "specs", message_text=ledger.user_text) == []
    why = json.loads(cli(workspace, "why", "CLI-1", "--json").out)
    (example,) = why["examples"]
    assert example["body"] == SESSION
    assert example["provenance"]["quote"] == "greet Ann"
    assert example["messages"][0]["text"] == PASTED
    text = cli(workspace, "why", "CLI-1").out
    assert 'Examples (1):\n  specs/greeter.md:7  explicit (m-0001): "greet Ann"\n' in text
    assert "    $ greet Ann\n    hello, Ann\n" in text
    # The commit that added the example is part of CLI-1's history.
    assert why["commits"][0]["subject"] == "spec: greet example"


def test_examples_are_changed_and_removed_through_review(workspace: Path, llm: FakeLLM) -> None:
    """A made-up quote is committed as inferred; modify and remove go through review too."""
    configure(workspace)
    seed(workspace, {"greeter.md": SPEC})
    llm.tool_call(
        "propose_change",
        proposal("example", _example("add_example", "greet Bob", session="$ greet Bob\nhi")),
    )
    assert cli(workspace, "say", PASTED, env=llm.env()).code == 0
    assert cli(workspace, "accept").code == 0, "made-up quotes are downgraded, not refused"
    spec, _ = load_spec_dir(workspace / "specs")
    (example,) = spec.requirements()[0].examples
    assert example.provenance is not None and example.provenance.kind.value == "inferred"
    assert "not found verbatim in m-0001" in (example.provenance.reason or "")

    llm.tool_call(
        "propose_change",
        proposal("fix it", _example("modify_example", None, example=1, session=SESSION)),
    )
    assert cli(workspace, "say", "the output is hello, Ann", env=llm.env()).code == 0
    assert cli(workspace, "accept").code == 0
    spec, _ = load_spec_dir(workspace / "specs")
    assert [e.body for e in spec.requirements()[0].examples] == [SESSION]

    llm.tool_call(
        "propose_change", proposal("drop it", _example("remove_example", None, example=1))
    )
    assert cli(workspace, "say", "drop that example", env=llm.env()).code == 0
    assert cli(workspace, "accept").code == 0
    spec, _ = load_spec_dir(workspace / "specs")
    assert spec.requirements()[0].examples == []
    llm.tool_call("propose_change", proposal("again", _example("remove_example", None, example=1)))
    cli(workspace, "say", "drop it again", env=llm.env())
    assert cli(workspace, "accept").code != 0
    assert sum(r.get("kind") == "accept" for r in ledger_records(workspace)) >= 3
