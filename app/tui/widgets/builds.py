"""The builds pane: launch `charter build` of HEAD or a chosen commit, see every build, the live
task table of the selected one (polled from its `build.json`), its log, the questions builds
raised (answered through the scribe), open a build's prompts and responses or its report, export
a build (to a directory or a new branch) and diff two builds.
The pane lists builds and runs `charter build` in its own workers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, DataTable, OptionList, RichLog, Static
from textual.widgets.option_list import Option

from charter.app.tui.state import ScreenState, reporting
from charter.app.tui.views import BuildView, QuestionView

STATE_STYLE: dict[str, str] = {
    "done": "green",
    "passed": "green",
    "succeeded": "green",
    "ok": "green",
    "running": "bold yellow",
    "verifying": "yellow",
    "fixing": "yellow",
    "pending": "dim",
    "queued": "dim",
    "failed": "bold red",
    "error": "bold red",
    "question": "magenta",
    "skipped": "dim",
    "reused": "cyan",
}

EMPTY_HINT = (
    "No builds yet. A build turns one committed revision of the spec into a codebase in "
    ".charter/builds/<id>/: Build HEAD, or pick a commit in History and press b."
)


def state_text(state: str) -> Text:
    """A task or build state, coloured and literal."""
    return Text(state, style=STATE_STYLE.get(state.lower(), ""))


def build_prompt(build: BuildView) -> Text:
    """One line of the build list."""
    out = Text(no_wrap=True, overflow="ellipsis")
    out.append(build.id, style="bold")
    out.append("  ")
    out.append_text(state_text(build.status))
    if build.rev:
        out.append(f"  {build.rev[:10]}", style="yellow")
    if build.started:
        out.append(f"  {build.started}", style="dim")
    done = sum(1 for t in build.tasks if t.state.lower() in ("done", "passed", "reused"))
    if build.tasks:
        out.append(f"  {done}/{len(build.tasks)} tasks", style="dim")
    return out


def question_prompt(question: QuestionView) -> Text:
    """One line of the questions list: ID, build and task, then the question."""
    out = Text()
    out.append(question.id, style="bold magenta")
    out.append(f"  {question.build} · {question.task}\n", style="dim")
    out.append(question.text)
    return out


class BuildsPane(Vertical):
    """Launch buttons, build list, task table and log."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("B", "launch('head')", "Build HEAD"),
        Binding("p", "browse('calls')", "Prompts"),
        Binding("m", "browse('report')", "Report"),
        Binding("x", "export(False)", "Export to dir"),
        Binding("g", "export(True)", "Export to branch"),
        Binding("d", "diff", "Diff builds"),
    ]

    @dataclass
    class LaunchRequested(Message):
        """Build HEAD (`which` "head") or the commit highlighted in History ("selected")."""

        which: str

    @dataclass
    class AnswerRequested(Message):
        """Answer a builder question through the scribe."""

        question: QuestionView

    class Finished(Message):
        """A build started here finished: the requirements' verdicts may have changed."""

    def __init__(self, state: ScreenState, *, id: str | None = None) -> None:
        """An empty pane; `reload()` fills it."""
        super().__init__(id=id)
        self.state = state
        self.builds: dict[str, BuildView] = {}
        self.questions: dict[str, QuestionView] = {}
        self.selected: str | None = None
        self._tasks_shown: tuple[str, list[tuple[str, str, str, str]]] | None = None
        self._reloading = False
        self._again = False

    def compose(self) -> ComposeResult:
        """Buttons, list, table and log."""
        with Horizontal(id="build-actions"):
            yield Button("Build HEAD", id="build-head", compact=True)
            yield Button("Build selected commit", id="build-rev", compact=True)
        yield Static(Text(EMPTY_HINT, style="dim"), id="build-hint")
        yield OptionList(id="build-list")
        yield Static("", id="build-status")
        with Horizontal(id="build-open"):
            yield Button("Prompts & responses (p)", id="build-calls", compact=True)
            yield Button("Report (m)", id="build-report", compact=True)
            yield Button("Export (x/g)", id="build-export", compact=True)
            yield Button("Diff (d)", id="build-diff", compact=True)
        table: DataTable[Text | str] = DataTable(id="task-table", cursor_type="row")
        yield table
        yield Static(
            Text("Questions from builds · enter: answer through the scribe", style="bold"),
            id="question-header",
        )
        yield OptionList(id="question-list")
        yield RichLog(id="build-log", markup=False, highlight=False, wrap=True, max_lines=5000)

    def on_mount(self) -> None:
        """Set up the task table's columns; no questions yet."""
        table = self.query_one("#task-table", DataTable)
        table.add_columns("task", "state", "title")
        self.set_questions([])

    def set_questions(self, questions: list[QuestionView]) -> None:
        """List the builds' open questions (hidden when there are none), keeping the highlighted
        one across the pane's periodic refresh."""
        fresh = {q.id: q for q in questions}
        if fresh == self.questions and self.is_mounted and questions:
            return
        self.questions = fresh
        self.query_one("#question-header").display = bool(questions)
        options = self.query_one("#question-list", OptionList)
        options.display = bool(questions)
        keep = (
            options.get_option_at_index(options.highlighted).id
            if options.highlighted is not None and options.option_count
            else None
        )
        options.clear_options()
        options.add_options([Option(question_prompt(q), id=q.id) for q in questions])
        if questions:
            ids = [q.id for q in questions]
            options.highlighted = ids.index(keep) if keep in ids else 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter on a question: answer it."""
        if event.option_list.id == "question-list" and event.option.id:
            event.stop()
            if (question := self.questions.get(event.option.id)) is not None:
                self.post_message(self.AnswerRequested(question))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Buttons become launch or browse requests."""
        event.stop()
        if event.button.id == "build-calls":
            self.action_browse("calls")
        elif event.button.id == "build-report":
            self.action_browse("report")
        elif event.button.id == "build-export":
            self.action_export(False)
        elif event.button.id == "build-diff":
            self.action_diff()
        else:
            self.action_launch("head" if event.button.id == "build-head" else "selected")

    def highlighted_task(self) -> str | None:
        """The ID of the task highlighted in the task table, if any."""
        table = self.query_one("#task-table", DataTable)
        if not table.row_count:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return str(row_key.value) if row_key.value is not None else None

    def action_browse(self, what: str) -> None:
        """Open the selected build's calls (from the highlighted task's) or its report."""
        from charter.app.tui.screens.build_browser import BuildBrowser

        build = self.builds.get(self.selected or "")
        if build is None:
            self.notify("No build yet: build HEAD first (B).", markup=False)
            return
        state = self.state
        self.app.push_screen(
            BuildBrowser(
                state.backend, state.builds, build, task=self.highlighted_task(), show=what
            )
        )

    def action_export(self, branch: bool) -> None:
        """Export the selected build: into a directory (x) or onto a new branch (g)."""
        if self.builds.get(self.selected or "") is None:
            self.notify("No build yet: build HEAD first (B).", markup=False)
            return
        self.export(self.selected or "", branch)

    @work(group="build-export")
    async def export(self, build_id: str, branch: bool) -> None:
        """Ask where, then export on a worker thread; the outcome is a notification."""
        from charter.app.tui.screens.dialogs import TextPrompt

        if branch:
            title, explain, initial = (
                f"Export build {build_id} to a new branch",
                "The generated files become the only commit of a new branch (your HEAD, index "
                "and work tree stay as they are). Branch name:",
                f"build/{build_id}",
            )
        else:
            title, explain, initial = (
                f"Export build {build_id} to a directory",
                "The generated files are written into this directory (relative to the "
                "workspace; it must be empty or new):",
                f"export-{build_id}",
            )
        where = await self.app.push_screen_wait(
            TextPrompt(title, explain, initial=initial, ok_label="Export", one_line=True)
        )
        if not where or not where.strip():
            return
        await self.run_blocking(
            "export the build", self.state.builds.export, build_id, where.strip(), branch
        )

    def action_diff(self) -> None:
        """Diff the selected build against another one the user picks."""
        if len(self.builds) < 2 or self.selected not in self.builds:
            self.notify("Diffing needs two builds: build another revision first.", markup=False)
            return
        self.diff(self.selected or "")

    @work(group="build-diff")
    async def diff(self, build_id: str) -> None:
        """Ask for the other build, compute the diff on a worker thread, then show it."""
        from charter.app.tui.screens.build_actions import DiffView, build_picker

        others = [b for b in self.builds.values() if b.id != build_id]
        other = await self.app.push_screen_wait(
            build_picker(
                f"Diff build {build_id} with…",
                f"Pick the older side: the diff shows what changed from it to {build_id}, the "
                "spec by requirement ID, then the generated files.",
                others,
            )
        )
        if other is None:
            return
        text = await self.run_blocking("diff the builds", self.state.builds.diff, other, build_id)
        if text is not None:
            await self.app.push_screen(DiffView(f"build {other} → {build_id}", text))

    async def run_blocking(self, what: str, fn: Callable[..., str], *args: object) -> str | None:
        """Run a blocking export or diff on the background thread; a refusal (`ExportError`,
        a git error) is a notification naming what failed, a success one saying what was done
        (exports) or the text returned (diffs)."""
        try:
            done = await self.state.backend.run_bg(fn, *args)
        except Exception as exc:  # ExportError and git failures: one sentence, never a crash
            self.notify(f"Could not {what}: {exc}", severity="error", timeout=12, markup=False)
            return None
        if what.startswith("export"):
            self.notify(done, title="Exported", markup=False)
        return done

    def action_launch(self, which: str) -> None:
        """Keyboard equivalent of the buttons."""
        self.post_message(self.LaunchRequested(which))

    async def reload(self) -> None:
        """Every build's state, and the questions builds raised that are still open."""
        backend, runner = self.state.backend, self.state.builds
        with reporting(self, "read the builds"):
            builds = await backend.run_bg(runner.list_builds)
            answered = await backend.run_io(backend.answered_questions)
            questions = await backend.run_bg(runner.list_questions, answered)
            self.set_builds(builds)
            self.set_questions(questions)

    def reload_soon(self) -> None:
        """Reload the pane in a worker (the screen's poll and answered questions ask for it);
        while one runs, it reloads once more instead of being cancelled half-way."""
        if self._reloading:
            self._again = True
            return
        self._reloading = True
        self.reload_worker()

    @work(group="builds")
    async def reload_worker(self) -> None:
        """Reload until no new request came in meanwhile."""
        try:
            self._again = True
            while self._again:
                self._again = False
                await self.reload()
        finally:
            self._reloading = False

    @work(group="build")
    async def launch(self, rev: str) -> None:
        """Run the build process, streaming its output into the log and polling its tasks."""
        self.write_log(f"$ charter build {rev}")
        code = await self.state.builds.run(rev, self.write_log)
        self.write_log(f"charter build exited with status {code}")
        await self.reload()
        self.post_message(self.Finished())
        self.notify(f"Build of {rev[:10]} finished with status {code}.", markup=False)

    def set_builds(self, builds: list[BuildView]) -> None:
        """Refresh the build list and the selected build's table."""
        self.builds = {b.id: b for b in builds}
        self.query_one("#build-hint").display = not builds
        for part in ("#build-list", "#build-status", "#build-open", "#task-table"):
            self.query_one(part).display = bool(builds)
        options = self.query_one("#build-list", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        options.add_options([Option(build_prompt(b), id=b.id) for b in builds])
        if builds:
            if self.selected not in self.builds:
                self.selected = builds[0].id
            ids = [b.id for b in builds]
            options.highlighted = ids.index(self.selected) if highlighted is not None else 0
            self._show_tasks(self.builds[self.selected])

    def _show_tasks(self, build: BuildView) -> None:
        """Fill the task table from one build, with its status and message above."""
        status = Text()
        status.append(f"{build.id} ", style="bold")
        status.append_text(state_text(build.status))
        if build.error:
            status.append(f"  {build.error}")
        self.query_one("#build-status", Static).update(status)
        shown = (build.id, [(t.id, t.title, t.state, t.detail) for t in build.tasks])
        if shown == self._tasks_shown:
            return  # the periodic refresh found nothing new: keep the user's cursor as it is
        self._tasks_shown = shown
        table = self.query_one("#task-table", DataTable)
        keep = self.highlighted_task()
        table.clear()
        for task in build.tasks:
            title = Text(task.title)
            if task.detail:
                title.append(f"  {task.detail}", style="red")
            table.add_row(Text(task.id), state_text(task.state), title, key=task.id)
        ids = [t.id for t in build.tasks]
        if keep in ids:
            table.move_cursor(row=ids.index(keep), animate=False)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        """Show the highlighted build's tasks."""
        event.stop()
        if event.option_list.id != "build-list":
            return
        build_id = event.option.id
        if build_id and build_id in self.builds and build_id != self.selected:
            self.selected = build_id
            self._show_tasks(self.builds[build_id])

    def write_log(self, line: str) -> None:
        """Append one line of build output, literally."""
        self.query_one("#build-log", RichLog).write(Text(line))
