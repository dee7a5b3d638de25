"""Charter runs the spec's examples after a build, with no model, and judges each requirement.

The scripted model plans and writes a small shell program whose `greet` passes CLI-1's example
and fails CLI-2's (it exits 1 where the example says `[2]`), plus a test suite of its own that
names CLI-2 and passes. The example runs are real subprocesses in the build's sandbox; report.md,
examples.json and `charter coverage --json` are read as a user would.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.buildkit import Script, builds, commit_spec, result, task
from tests.conftest import run_charter
from tests.fakellm import FakeLLM

SPEC = """# Greeter

## CLI

- **CLI-1** The tool MUST greet the named person.
  > inferred: test fixture
  ```console
  $ sh greet.sh Ann
  hello, Ann
  ```
  > inferred: the scribe's example
- **CLI-2** The tool MUST exit 2 when no name is given.
  > inferred: test fixture
  ```console
  $ sh greet.sh
  usage: greet NAME
  [2]
  ```
  > inferred: the scribe's example
- **CLI-3** The tool SHOULD print a farewell with `bye.sh`.
  > inferred: test fixture
- **CLI-4** The tool MAY speak Klingon.
  > inferred: test fixture
"""

GREET = 'if [ -z "$1" ]; then echo "usage: greet NAME"; exit 1; fi\necho "hello, $1"\n'
# The model's own tests: they name CLI-2 and pass, although CLI-2's example fails.
TESTS = (
    "# CLI-1: greets by name\n"
    'test "$(sh greet.sh Ann)" = "hello, Ann" || exit 1\n'
    "# CLI-2: refuses a missing name\n"
    "sh greet.sh >/dev/null && exit 1\n"
    "exit 0\n"
)


def plan() -> dict[str, object]:
    """T1 builds greet.sh and its tests; T2 bye.sh; CLI-4 is not built."""
    return {
        "tasks": [
            task(
                "T1",
                ["CLI-1", "CLI-2"],
                ["greet.sh", "tests/test_greet.sh"],
                "sh tests/test_greet.sh",
            ),
            task("T2", ["CLI-3"], ["bye.sh"], "test -f bye.sh"),
        ],
        "not_built": [{"requirement": "CLI-4", "reason": "nobody knows Klingon"}],
    }


def test_examples_run_after_the_build_and_decide_verdicts(workspace: Path, llm: FakeLLM) -> None:
    """One example passes, one fails: the report leads with the failure, coverage agrees."""
    commit_spec(workspace, {"greeter.md": SPEC})
    prompts: dict[str, str] = {}

    def coder(tid: str, prompt: str) -> dict[str, object]:
        """T1 writes the half-right program and a passing test suite; T2 a farewell."""
        prompts[tid] = prompt
        if tid == "T1":
            files = [
                {"path": "greet.sh", "content": GREET},
                {"path": "tests/test_greet.sh", "content": TESTS},
            ]
            return result(files, assumptions=["CLI-2: any non-zero exit will do"])
        return result([{"path": "bye.sh", "content": "echo bye\n"}])

    llm.handler(Script(plan(), coder))
    out = run_charter("build", "--json", cwd=workspace, env=llm.env(), timeout=120)
    summary = json.loads(out.out)
    assert summary["status"] == "done", out.err + out.out
    assert summary["examples"] == {"passed": 1, "failed": 1, "first_failure": "CLI-2 example 1"}

    # The builder saw the examples: the planner is told which requirements have them, and the
    # task implementing CLI-1 and CLI-2 carries their sessions verbatim.
    planner = next(r for r in llm.chat_requests if "Charter's planner" in json.dumps(r.body))
    planner_text = json.dumps(planner.body)
    assert "Requirements with examples" in planner_text and "CLI-1, CLI-2" in planner_text
    assert "  $ sh greet.sh Ann\n  hello, Ann\n" in prompts["T1"]
    assert "usage: greet NAME\n  [2]" in prompts["T1"]
    assert "$ sh greet.sh" not in prompts["T2"]

    (bdir,) = builds(workspace)
    report = (bdir / "report.md").read_text(encoding="utf-8")
    first, *rest = report.split("\n")
    assert first == "# Failing example: CLI-2 example 1 (greeter.md:14)"
    diff = "\n".join(rest[:12])
    assert "-[2]\n+[1]" in diff and "--- expected" in diff and "+++ actual" in diff

    run = json.loads((bdir / "examples.json").read_text(encoding="utf-8"))
    assert [(e["name"], e["passed"]) for e in run["examples"]] == [
        ("CLI-1 example 1", True),
        ("CLI-2 example 1", False),
    ]
    rows = {r["id"]: r for r in run["requirements"]}
    # The model's passing tests name CLI-2, but its example fails: not verified.
    assert rows["CLI-2"]["tests"] == ["tests/test_greet.sh:3"]
    assert rows["CLI-2"]["verdict"] == "failing"
    assert rows["CLI-2"]["assumptions"] == ["CLI-2: any non-zero exit will do"]
    assert rows["CLI-1"]["built_by"] == ["T1 (done)"]
    table = report[report.index("## Requirements") :]
    assert "| CLI-2 | failing | T1 (done) | 0 | 1 | `tests/test_greet.sh:3` |" in table

    cov = run_charter("coverage", "--json", cwd=workspace)
    assert cov.code == 0, cov.err
    doc = json.loads(cov.out)
    assert {r["id"]: r["verdict"] for r in doc["per_requirement"]} == {
        "CLI-1": "verified",
        "CLI-2": "failing",
        "CLI-3": "built without examples",
        "CLI-4": "not built",
    }
    assert doc["verdicts"] == {
        "verified": 1,
        "failing": 1,
        "built without examples": 1,
        "not built": 1,
    }
    assert doc["requirements"]["with_examples"] == 2
    assert doc["requirements"]["inferred-unconfirmed"] == 4
    assert doc["build"]["id"] == bdir.name

    status = run_charter("status", cwd=workspace)
    assert "1 verified, 1 failing, 1 built without examples, 1 not built" in status.out
