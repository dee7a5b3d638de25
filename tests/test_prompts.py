"""Prompt files: each carries a version, and the one loader reads them from the installed package.

The version goes into cache keys and input hashes (a changed prompt never reuses an old answer),
so a prompt file without one must be refused by name rather than loaded as "unversioned".
"""

from __future__ import annotations

import pytest

from charter.agents import PromptError, load_prompt, prompt_versions, render_prompt
from charter.agents.prompts import prompt_names


def test_every_prompt_file_has_a_version_and_text() -> None:
    """All shipped prompts load; the builder's roles are among them with their versions."""
    names = prompt_names()
    assert {"scribe", "auditor", "planner", "coder", "fixer"} <= set(names)
    for name in names:
        prompt = load_prompt(name)
        assert prompt.version and prompt.text.strip() and "version:" not in prompt.text[:20]
    assert prompt_versions() == {n: load_prompt(n).version for n in ("planner", "coder", "fixer")}


def test_render_fills_placeholders_even_one_called_name() -> None:
    """`{name}` in a prompt is a field like any other, not the prompt's own name."""
    text = render_prompt("schema_repair_tool", error="bad JSON", name="report_findings")
    assert "bad JSON" in text and "`report_findings`" in text and not text.endswith("\n")


def test_a_missing_prompt_is_refused_by_name() -> None:
    """Asking for a prompt that does not exist names the file it looked for."""
    with pytest.raises(PromptError, match=r"agents/prompts/nope\.md"):
        load_prompt("nope")
