"""A build's prompts and responses: every model call in its `calls/`, grouped per task, and its
reports (report.md, plan.toml, assumptions, deviations, questions), shown verbatim.

The list is on the left; the highlighted entry's text is on the right in a read-only TextArea,
so prompts of any size show literally (no markup is ever interpreted). Files are read on the
backend's I/O thread.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from charter.app.tui.clients.builds import BuildRunner
from charter.app.tui.clients.workspace import Backend
from charter.app.tui.views import BuildView, CallView

FILE_PREFIX = "file:"
CALL_PREFIX = "call:"


def duration(ms: float) -> str:
    """`44 ms` under a second, `2.3 s` above."""
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


def call_prompt(call: CallView) -> Text:
    """One call in the list: number, role, attempt, tokens, time; cached or failed."""
    out = Text(no_wrap=True, overflow="ellipsis")
    out.append(f"  {call.name[:4]} ", style="dim")
    out.append(call.role, style="bold")
    if call.attempt:
        out.append(f" #{call.attempt}")
    if call.cached:
        out.append("  cached", style="cyan")
    else:
        out.append(f"  {call.tokens:,} tok  {duration(call.duration_ms)}", style="dim")
    if call.error:
        out.append("  error", style="bold red")
    return out


def group_calls(calls: list[CallView]) -> list[tuple[str | None, list[CallView]]]:
    """Calls per task, in the order each task first called the model (the plan first)."""
    groups: dict[str | None, list[CallView]] = {}
    for call in sorted(calls, key=lambda c: c.task is not None):
        groups.setdefault(call.task, []).append(call)
    return list(groups.items())


class BuildBrowser(ModalScreen[None]):
    """The calls and reports of one build."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("ctrl+r", "reload", "Reload"),
    ]

    def __init__(
        self,
        backend: Backend,
        runner: BuildRunner,
        build: BuildView,
        *,
        task: str | None = None,
        show: str = "calls",
    ) -> None:
        """Browse `build`; start on `task`'s first call, or on report.md with show="report"."""
        super().__init__(id="build-browser", classes="dialog-screen")
        self.backend = backend
        self.runner = runner
        self.build_view = build
        self.start_task = task
        self.show = show
        self.calls: list[CallView] = []
        self.files: list[str] = []

    def compose(self) -> ComposeResult:
        """List, viewer and footer."""
        with Vertical(id="browser-box") as box:
            box.border_title = (
                f"build {self.build_view.id} · {self.build_view.status} · calls and reports"
            )
            box.border_subtitle = "esc to close"
            with Horizontal(id="browser-panes"):
                yield OptionList(id="call-list")
                yield TextArea(
                    "",
                    id="call-text",
                    read_only=True,
                    soft_wrap=True,
                    show_line_numbers=False,
                )
            yield Static("", id="browser-status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        """Read the build's calls and files."""
        self.query_one("#call-list").focus()
        self.load()

    @work(group="browse-list", exclusive=True)
    async def load(self) -> None:
        """Fill the list (keeping the highlighted entry), then show the first wanted one."""
        options = self.query_one("#call-list", OptionList)
        keep = self.highlighted()
        try:
            self.files = await self.backend.run_io(self.runner.list_files, self.build_view.id)
            self.calls = await self.backend.run_io(self.runner.list_calls, self.build_view.id)
        except OSError as exc:
            self.notify(f"Could not read build {self.build_view.id}: {exc}", severity="error")
            return
        titles = {t.id: t.title for t in self.build_view.tasks}
        entries: list[Option] = [
            Option(Text(name, style="green"), id=FILE_PREFIX + name) for name in self.files
        ]
        for task, calls in group_calls(self.calls):
            header = Text(no_wrap=True, overflow="ellipsis")
            header.append(task or "plan", style="bold underline")
            if task and titles.get(task):
                header.append(f"  {titles[task]}", style="dim")
            entries.append(Option(header, disabled=True))
            entries += [Option(call_prompt(c), id=CALL_PREFIX + c.name) for c in calls]
        options.clear_options()
        options.add_options(entries)
        ids = [o.id for o in entries]
        wanted = keep or self._initial()
        if wanted in ids:
            options.highlighted = ids.index(wanted)
        elif entries:
            options.highlighted = next(i for i, o in enumerate(entries) if not o.disabled)
        count = f"{len(self.calls)} model call{'' if len(self.calls) == 1 else 's'}"
        self.query_one("#browser-status", Static).update(
            Text(f"{count} · ↑↓ pick · tab: to the text · ctrl+r: reload", style="dim")
        )

    def _initial(self) -> str | None:
        """The entry to show first: report.md, or the first call of the chosen task."""
        if self.show == "report" and "report.md" in self.files:
            return FILE_PREFIX + "report.md"
        for call in self.calls:
            if self.start_task is None or call.task == self.start_task:
                return CALL_PREFIX + call.name
        return None

    def highlighted(self) -> str | None:
        """The ID of the highlighted entry."""
        options = self.query_one("#call-list", OptionList)
        if options.highlighted is None or options.option_count == 0:
            return None
        return options.get_option_at_index(options.highlighted).id

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        """Show the highlighted call or file."""
        event.stop()
        if event.option.id:
            self.show_entry(event.option.id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter: read the text."""
        event.stop()
        self.query_one("#call-text").focus()

    @work(group="browse-entry", exclusive=True)
    async def show_entry(self, entry: str) -> None:
        """Read one call or file and show it verbatim."""
        build_id = self.build_view.id
        try:
            if entry.startswith(CALL_PREFIX):
                name = entry.removeprefix(CALL_PREFIX)
                text = await self.backend.run_io(self.runner.read_call, build_id, name)
            else:
                name = entry.removeprefix(FILE_PREFIX)
                text = await self.backend.run_io(self.runner.read_file, build_id, name)
        except (OSError, ValueError) as exc:
            text, name = f"Could not read it: {exc}", entry
        if self.highlighted() != entry:
            return
        area = self.query_one("#call-text", TextArea)
        area.load_text(text)
        area.scroll_home(animate=False)
        area.border_title = name

    def action_reload(self) -> None:
        """Read the calls again (a running build keeps adding them)."""
        self.load()

    def action_close(self) -> None:
        """Back to the main screen."""
        self.dismiss(None)
