"""Running one example against a workspace: the transcript form's rules, as real shell runs.

Each case runs `/bin/sh` in the build's jail (`graphs.build.sandbox.run_jailed`, the default
`[build]` policy) in a temporary workspace; nothing is mocked.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from charter.app.config import BuildSettings
from charter.graphs.build.examples import ExampleResult, run_example
from charter.graphs.build.sandbox import Outcome, run_jailed
from charter.specs import Example


def _run(tmp_path: Path, body: str, timeout: float = 20) -> ExampleResult:
    """Run `body` as an example from a fresh workspace under `tmp_path`."""
    ws = tmp_path / "workspace"
    ws.mkdir(exist_ok=True)
    (ws / "greet.sh").write_text('echo "hello, $1"\n', encoding="utf-8")
    policy = BuildSettings(verify_timeout=timeout).jail_policy()

    def run(script: str, log: Path) -> Outcome:
        """The jailed runner a build gives its examples."""
        return run_jailed(
            script, ws, policy, home=tmp_path / "home", tmpdir=tmp_path / "tmp", log_path=log
        )

    return run_example(
        Example(body=body),
        name="CLI-1 example 1",
        requirement="CLI-1",
        index=1,
        file="cli.md",
        run=run,
        log_path=tmp_path / "logs" / "example.log",
    )


def test_a_session_with_patterns_continuations_and_exit_statuses_passes(tmp_path: Path) -> None:
    """`(re)`, `(glob)`, `> ` continuations, `[N]`, shell state and no-eol output all match."""
    body = "\n".join(
        [
            "$ sh greet.sh Ann",
            "hello, Ann",
            "$ sh greet.sh 'Bob 42'",
            r"hello, Bob \d+ (re)",
            "$ for n in 1 2; do",
            ">   echo item $n",
            "> done",
            "item 1",
            "item * (glob)",
            "$ mkdir sub && cd sub && pwd",
            "*/workspace/sub (glob)",
            '$ basename "$PWD"',
            "sub",
            "$ printf 'no newline'",
            "no newline (no-eol)",
            "$ echo oops >&2; exit_with() { return $1; }; exit_with 3",
            "oops",
            "[3]",
        ]
    )
    result = _run(tmp_path, body)
    assert result.passed, result.diff or result.error
    assert result.diff == "" and result.actual == body


def test_a_wrong_output_fails_with_a_diff_of_expected_and_actual(tmp_path: Path) -> None:
    """Only the differing lines show as -/+; the matched lines stay as written."""
    result = _run(tmp_path, "$ sh greet.sh Ann\nhello, Ann\n$ sh greet.sh Eve\nhi, Eve")
    assert not result.passed
    assert "-hi, Eve\n+hello, Eve" in result.diff
    assert " hello, Ann" in result.diff


def test_no_secret_reaches_an_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Examples run with the sandbox's allow-listed environment: API keys stay outside."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-for-test")
    result = _run(tmp_path, '$ echo "key=${OPENAI_API_KEY:-none}"\nkey=none')
    assert result.passed, result.diff


def test_a_hanging_or_exiting_session_is_a_failure_with_a_reason(tmp_path: Path) -> None:
    """A timeout is killed and reported; a shell that exits early names the commands it ran."""
    hung = _run(tmp_path, "$ sleep 30", timeout=0.5)
    assert not hung.passed and hung.error == "timed out after 0.5 s and was killed"
    gone = _run(tmp_path, "$ exit 4\n[4]\n$ echo never\nnever")
    assert not gone.passed and gone.error == "the shell stopped after 0 of 2 command(s)"
