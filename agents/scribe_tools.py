"""The scribe's tools: their schemas as sent to the model, and the read tools executed locally.

The read tools (`spec_outline`, `read_section`, `read_requirement`, `search_messages`) let the
scribe look at the spec and the ledger on demand, so a large spec is never pasted whole into a
turn. The terminal tools (`propose_change`, `ask_user`) end the scribe's turn; their schemas are
the models of `agents.proposal`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel, Field

from charter.agents.proposal import Proposal, Question
from charter.specs import Prose, Requirement, Section, Spec, SpecFile, render_requirement

ONE_LINE = 72
SEARCH_LIMIT = 8


class SpecOutline(BaseModel):
    """List the spec's files and sections with their requirement IDs; with `file`, list that
    file's requirements one line each."""

    file: str | None = Field(default=None, description="a spec file, e.g. ingest.md")


class ReadSection(BaseModel):
    """Read one section of a spec file, as Markdown, with every requirement and provenance."""

    file: str
    section: str = Field(description="the section title")


class ReadRequirement(BaseModel):
    """Read one requirement by ID, with its file, section and provenance."""

    id: str


class SearchMessages(BaseModel):
    """Full-text search the user's earlier messages (all sessions); returns IDs and texts."""

    query: str


READ_TOOLS: dict[str, type[BaseModel]] = {
    "spec_outline": SpecOutline,
    "read_section": ReadSection,
    "read_requirement": ReadRequirement,
    "search_messages": SearchMessages,
}
TERMINAL_TOOLS: dict[str, type[BaseModel]] = {"propose_change": Proposal, "ask_user": Question}
TOOL_NAMES: tuple[str, ...] = (*READ_TOOLS, *TERMINAL_TOOLS)

SearchFn = Callable[[str], Sequence[tuple[str, str]]]
"""`search(query) -> [(message_id, text), ...]` over the user's messages."""


def tool_definitions() -> list[dict[str, Any]]:
    """The OpenAI function definitions of every scribe tool, named as the prompt names them."""
    return copy.deepcopy(_definitions())


@cache
def _definitions() -> list[dict[str, Any]]:
    """Build the definitions once (JSON schema generation is not free)."""
    out = []
    for name, model in {**READ_TOOLS, **TERMINAL_TOOLS}.items():
        tool = convert_to_openai_tool(model)
        tool["function"]["name"] = name
        tool["function"]["parameters"] = compact_schema(tool["function"]["parameters"])
        out.append(tool)
    return out


def compact_schema(schema: Any) -> Any:
    """The same JSON schema without what every request would pay for and no model needs.

    The definitions go with every request of a turn, so pydantic's spelling of an optional
    field (`anyOf: [T, null]` plus `default: null`) becomes plain `T`: a field that is not
    `required` may be left out, which is what a null default means to the model; and
    whitespace in descriptions (from wrapped docstrings) collapses to single spaces.
    """
    if isinstance(schema, list):
        return [compact_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    # A `title` annotation is a string; a property named `title` would be a schema (a dict).
    out = {
        key: compact_schema(value)
        for key, value in schema.items()
        if not (key == "title" and isinstance(value, str))
    }
    if out.get("default", ...) is None:
        del out["default"]
    options = out.get("anyOf")
    if isinstance(options, list):
        kept = [o for o in options if o != {"type": "null"}]
        if len(kept) == 1 and len(kept) < len(options):
            del out["anyOf"]
            out = {**kept[0], **out}
    if isinstance(out.get("description"), str):
        out["description"] = " ".join(out["description"].split())
    return out


def one_line(text: str, limit: int = ONE_LINE) -> str:
    """Collapse whitespace and shorten to `limit` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _id_span(reqs: list[Requirement]) -> str:
    """`ING-1..ING-40` style summary of a section's IDs (in document order)."""
    if not reqs:
        return "no requirements"
    ids = f"{reqs[0].id}" if len(reqs) == 1 else f"{reqs[0].id}..{reqs[-1].id}"
    locked = sum(r.locked for r in reqs)
    extra = f", {locked} LOCKED" if locked else ""
    return f"{ids} ({len(reqs)}{extra})"


def spec_overview(spec: Spec) -> str:
    """A compact outline: one line per file listing its sections and requirement ID spans."""
    if not spec.files:
        return "The spec is empty: no files yet. Propose add_section to create a file."
    lines = []
    for f in spec.files:
        parts = [f"## {s.title}: {_id_span(s.requirements)}" for s in f.sections]
        lines.append(f"{f.path} (# {f.title}): " + ("; ".join(parts) or "no sections"))
    return "\n".join(lines)


def render_section(section: Section) -> str:
    """A section as Markdown: its heading, prose and requirements with provenance."""
    out = ["#" * section.level + " " + section.title, ""]
    for block in section.blocks:
        if isinstance(block, Prose):
            out += [block.text, ""]
        else:
            out.append(render_requirement(block).rstrip("\n"))
    return "\n".join(out).rstrip("\n") + "\n"


class SpecTools:
    """Executes the read tools against one loaded spec and an optional message search."""

    def __init__(self, spec: Spec, search: SearchFn | None = None) -> None:
        """Read from `spec`; `search` answers `search_messages` (absent: the tool says so)."""
        self.spec = spec
        self.search = search

    def run(self, name: str, args: dict[str, Any]) -> str:
        """Run one read tool; bad arguments or unknown names come back as text for the model."""
        model = READ_TOOLS.get(name)
        if model is None:
            return f"Unknown tool {name!r}; the tools are: {', '.join(TOOL_NAMES)}."
        try:
            parsed = model.model_validate(args)
        except ValueError as exc:
            return f"Bad arguments for {name}: {exc}"
        if isinstance(parsed, SpecOutline):
            return self.outline(parsed.file)
        if isinstance(parsed, ReadSection):
            return self.read_section(parsed.file, parsed.section)
        if isinstance(parsed, ReadRequirement):
            return self.read_requirement(parsed.id)
        assert isinstance(parsed, SearchMessages)
        return self.search_messages(parsed.query)

    def _file(self, path: str) -> SpecFile | None:
        """Find a file by path, tolerating a leading spec-dir component."""
        found = self.spec.file(path)
        if found is None and "/" in path:
            found = self.spec.file(path.split("/", 1)[1])
        return found

    def _no_file(self, path: str) -> str:
        """The answer when a file does not exist."""
        names = ", ".join(f.path for f in self.spec.files) or "none"
        return f"No spec file {path!r}; the files are: {names}."

    def outline(self, path: str | None) -> str:
        """The whole spec's compact outline, or one file's requirements one line each."""
        if path is None:
            return spec_overview(self.spec)
        f = self._file(path)
        if f is None:
            return self._no_file(path)
        lines = [f"{f.path} (# {f.title})"]
        for s in f.sections:
            lines.append("#" * s.level + " " + s.title)
            for r in s.requirements:
                flag = " LOCKED" if r.locked else ""
                kind = r.provenance.kind.value if r.provenance else "no provenance"
                lines.append(f"- {r.id}{flag} [{kind}] {one_line(r.text)}")
        return "\n".join(lines)

    def read_section(self, path: str, title: str) -> str:
        """One section's Markdown, or a hint listing the file's sections."""
        f = self._file(path)
        if f is None:
            return self._no_file(path)
        wanted = title.strip().lstrip("#").strip()
        for s in f.sections:
            if s.title == wanted or s.title.casefold() == wanted.casefold():
                return f"{f.path}\n\n" + render_section(s)
        names = "; ".join(s.title for s in f.sections) or "none"
        return f"No section {title!r} in {f.path}; its sections are: {names}."

    def read_requirement(self, req_id: str) -> str:
        """One requirement with its location, or a hint."""
        found = self.spec.find(req_id.strip().upper())
        if found is None:
            return f"No requirement {req_id!r}; use spec_outline to list the IDs."
        f, s, r = found
        return f"{f.path} § {s.title}\n" + render_requirement(r)

    def search_messages(self, query: str) -> str:
        """The user's messages matching `query`, newest last, one per line."""
        if self.search is None:
            return "Message search is not available."
        hits = list(self.search(query))[-SEARCH_LIMIT:]
        if not hits:
            return f"No user message matches {query!r}."
        return "\n".join(f"{mid}: {one_line(text, 400)}" for mid, text in hits)
