"""The requirement detail: text, keyword, provenance, the verbatim words it came from and the
commits that touched it (the `why`), loaded in the panel's worker after the cursor settles."""

from __future__ import annotations

import asyncio

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from charter.app.tui.render import BADGE_LETTER, BADGE_MEANING, badge, kind_of
from charter.app.tui.state import ScreenState, reporting
from charter.app.tui.views import CommitView, MessageView
from charter.app.tui.widgets.spec_tree import NodeRef
from charter.specs import Requirement, Section, SpecFile


def render_requirement(
    spec_file: SpecFile,
    section: Section,
    req: Requirement,
    messages: list[MessageView] | None = None,
    commits: list[CommitView] | None = None,
) -> Text:
    """The detail text of one requirement; `None` lists mean "still loading"."""
    prov = req.provenance
    out = badge(prov.kind if prov else None, req.locked)
    out.append(req.id, style="bold")
    out.append(f"  {spec_file.path} › {section.title}", style="dim")
    out.append("\n")
    out.append(req.text)
    out.append("\n\n")
    letter = BADGE_LETTER[kind_of(prov.kind if prov else None)]
    out.append(f"{letter}  {BADGE_MEANING[letter]}\n", style="dim")
    if req.locked:
        out.append(f"L  {BADGE_MEANING['L']}\n", style="dim")
    if prov is not None:
        if prov.quote:
            out.append("“", style="green")
            out.append(prov.quote, style="green")
            out.append("”", style="green")
            if prov.messages:
                out.append(f" ({', '.join(prov.messages)})", style="dim")
            out.append("\n")
        if prov.reason:
            out.append("why: ", style="yellow")
            out.append(prov.reason, style="italic")
            out.append("\n")
    out.append("\nThe user's words\n", style="bold underline")
    if messages is None:
        out.append("loading…\n", style="dim")
    elif not messages:
        out.append("(no cited message)\n", style="dim")
    for msg in messages or []:
        out.append(f"{msg.id} {msg.role}: ", style="bold")
        out.append(msg.text)
        out.append("\n")
    out.append("\nCommits that touched it (newest first)", style="bold underline")
    out.append("   h: show in History\n", style="dim")
    if commits is None:
        out.append("loading…", style="dim")
    elif not commits:
        out.append("(none: not committed yet)", style="dim")
    for commit in commits or []:
        out.append(commit.short, style="yellow")
        out.append(f" {commit.date[:10]} ", style="dim")
        out.append(commit.subject)
        out.append("\n")
    out.rstrip()
    return out


def render_node_summary(title: str, lines: list[str]) -> Text:
    """Detail text for a file or section node."""
    out = Text(title, style="bold")
    for line in lines:
        out.append("\n")
        out.append(line)
    return out


class RequirementDetail(VerticalScroll):
    """A scrolling panel holding one rendered requirement (or a hint)."""

    HINT = "Select a requirement to see its text, the user's words and its commits."
    DEBOUNCE = 0.12
    """Seconds the cursor rests on a requirement before its words and commits are read."""

    def __init__(self, state: ScreenState, *, id: str | None = None) -> None:
        """An empty panel on the screen's `state` (its spec snapshot)."""
        super().__init__(id=id)
        self.state = state
        self.showing: str | None = None
        """The requirement shown (or being loaded), if any."""

    def compose(self) -> ComposeResult:
        """One Static that `show()` updates."""
        yield Static(Text(self.HINT, style="dim"), id="detail-body")

    def show(self, text: Text) -> None:
        """Replace the shown text and scroll to the top."""
        self.query_one("#detail-body", Static).update(text)
        self.scroll_home(animate=False)

    def show_node(self, ref: NodeRef | None) -> None:
        """Show a tree node: a file's or section's summary, or a requirement (its `why` loads
        after the cursor settles)."""
        snapshot = self.state.snapshot
        if ref is None or snapshot is None:
            return
        spec_file = snapshot.spec.file(ref.path)
        if spec_file is None:
            return
        self.showing = None
        if ref.kind == "file":
            count = len(spec_file.requirements())
            lines = [spec_file.title, f"{len(spec_file.sections)} sections, {count} requirements"]
            self.show(render_node_summary(spec_file.path, lines))
        elif ref.kind == "section":
            section = spec_file.sections[ref.section]
            self.show(
                render_node_summary(section.title, [f"{len(section.requirements)} requirements"])
            )
        elif (found := snapshot.spec.find(ref.req_id)) is not None:
            self.showing = ref.req_id
            self.show(render_requirement(*found))
            self.load_why(ref.req_id)

    @work(group="detail", exclusive=True)
    async def load_why(self, req_id: str) -> None:
        """Load the cited messages and the commits of one requirement."""
        backend = self.state.backend
        with reporting(self, "load the requirement's words and commits"):
            await asyncio.sleep(self.DEBOUNCE)
            snapshot = self.state.snapshot
            if snapshot is None or (found := snapshot.spec.find(req_id)) is None:
                return
            req = found[2]
            cited = list(req.provenance.messages) if req.provenance else []
            messages = await backend.run_io(backend.messages, cited)
            commits = await backend.run_git(backend.requirement_commits, req_id)
            if self.showing == req_id:
                self.show(render_requirement(*found, messages, commits))
