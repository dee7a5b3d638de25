"""The main screen: side panes (spec, history, builds, audit) beside the chat, a status bar and
the footer. It keeps the layout, routes the panes' typed messages and the keys to the pane that
acts, polls the workspace for outside changes, and holds the read-only state the panes share
(`ScreenState`). Each pane runs its own workers, so typing stays responsive while a reply streams.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Future
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.events import DescendantFocus
from textual.reactive import reactive
from textual.widgets import Footer, Static, TabbedContent, TabPane, Tree

from charter.app.tui.clients.workspace import Backend, ModelStatus, SpecSnapshot
from charter.app.tui.commands import bindings
from charter.app.tui.render import legend
from charter.app.tui.screens.main_keys import MainKeys
from charter.app.tui.screens.setup import SetupScreen
from charter.app.tui.state import ScreenState, reporting
from charter.app.tui.views import FindingView
from charter.app.tui.widgets.audit import AuditPane
from charter.app.tui.widgets.builds import BuildsPane
from charter.app.tui.widgets.chat.log import WINDOW
from charter.app.tui.widgets.chat.pane import ChatPane
from charter.app.tui.widgets.history import HistoryPane
from charter.app.tui.widgets.requirement_detail import RequirementDetail
from charter.app.tui.widgets.spec_tree import NodeRef, SpecTree
from charter.app.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from charter.app.tui.app import CharterApp

POLL_SECONDS = 2.0
BUILD_POLL_SECONDS = 1.0


class MainScreen(MainKeys):
    """The one working screen (its key actions are in `MainKeys`)."""

    BINDINGS: ClassVar[list[BindingType]] = bindings()
    AUTO_FOCUS = "#chat-input"
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (100, "-wide")]
    """Below 100 columns the side pane and the chat take turns at the full width."""

    side_width: reactive[int] = reactive(42)
    """Width of the side pane, in percent of the screen."""

    def __init__(self, backend: Backend, *, read_only: str = "") -> None:
        """A main screen on `backend`'s workspace; `read_only` names the lock holder, if any."""
        super().__init__(id="main")
        self.state = ScreenState(backend, read_only=read_only)
        self._jump: tuple[str, int] | None = None
        self._setup_offered = False
        self._polling = False
        if not backend.ahead:  # the app normally started these before Textual did
            backend.read_ahead(WINDOW)

    @property
    def charter(self) -> CharterApp:
        """The app, typed."""
        return self.app  # type: ignore[return-value]

    # read-only views of the state (the app and tests wait on these)

    @property
    def backend(self) -> Backend:
        """The workspace's blocking facade."""
        return self.state.backend

    @property
    def read_only(self) -> str:
        """Who holds the lock, when this window is read-only ("" when writable)."""
        return self.state.read_only

    @property
    def session(self) -> str | None:
        """The ledger session the chat shows."""
        return self.state.session

    @property
    def turn_running(self) -> bool:
        """Whether a scribe turn, review or confirmation runs."""
        return self.state.turn_running

    @property
    def painted(self) -> asyncio.Event:
        """Set once the first frame with spec and chat has been painted."""
        return self.state.painted

    @property
    def settled(self) -> asyncio.Event:
        """Set once the model is checked, the scribe opened and the builds listed."""
        return self.state.settled

    # layout

    def compose(self) -> ComposeResult:
        """Side tabs and chat side by side, then the status bar and footer."""
        with Horizontal(id="panes"):
            with TabbedContent(id="side", initial="spec-tab"):
                with TabPane("Spec", id="spec-tab"), Vertical(id="spec-pane"):
                    yield Static(legend(), id="legend", classes="legend")
                    yield SpecTree(id="spec-tree")
                    yield RequirementDetail(self.state, id="req-detail")
                # Hidden at first: their content is mounted after the first frame.
                for title in ("History", "Builds", "Audit"):
                    with TabPane(title, id=f"{title.lower()}-tab"):
                        yield Vertical(id=f"{title.lower()}-slot", classes="slot")
            yield ChatPane(self.state, id="chat")
        yield StatusBar(self.state, id="status")
        yield Footer(compact=True)

    async def on_mount(self) -> None:
        """Show the spec, the chat and the repo state in the first frame (they were read ahead
        while the screen was composed), then load everything else in a worker."""
        self.status.update_info(
            workspace=self.backend.workspace.root.name, read_only=self.read_only, model="…"
        )
        self.watch_side_width(self.side_width)
        ahead, self.backend.ahead = self.backend.ahead, {}
        await asyncio.gather(
            self.reload_spec(ahead["spec"]),
            self.chat.reload(ahead["chat"]),
            self.status.refresh_repo(ahead["repo"]),
        )
        self.state.ready.set()
        self.call_after_refresh(self.state.painted.set)
        self.initial_load()
        self.set_interval(POLL_SECONDS, self.poll_changes)
        self.set_interval(BUILD_POLL_SECONDS, self.poll_builds)

    def watch_side_width(self, width: int) -> None:
        """Apply the side pane's width (all of it when narrow: one pane shows at a time)."""
        if self.is_mounted:
            narrow = self.has_class("-narrow")
            self.query_one("#side").styles.width = "1fr" if narrow else f"{width}%"

    def on_resize(self) -> None:
        """Crossing the width breakpoint switches between side by side and one at a time."""
        self.watch_side_width(self.side_width)

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        """When narrow, show the pane that holds the focus (side pane or chat)."""
        side = self.query_one("#side")
        self.set_class(side in event.widget.ancestors_with_self, "-side")

    # loading and polling

    @work(group="load")
    async def initial_load(self) -> None:
        """After the first frame: the hidden panes, the build verdicts, the history, the model
        (slow imports) and the builds."""
        state = self.state
        await state.painted.wait()
        for slot, pane in (
            ("#history-slot", HistoryPane(state, id="history")),
            ("#builds-slot", BuildsPane(state, id="builds")),
            ("#audit-slot", AuditPane(state, id="audit")),
        ):
            for target in self.query(slot):  # none when the app quit meanwhile
                await target.mount(pane)
        audit = self.query(AuditPane)
        if not audit:  # the app is quitting
            return
        state.panes_ready.set()
        if state.snapshot is not None:
            audit.first().refresh_checks(state.snapshot)
        await self.reload_verdicts()
        await self.history.reload()
        await state.refresh_fingerprint()
        try:
            await self.check_model()
            await self.query_one(BuildsPane).reload()
        finally:
            state.settled.set()

    async def reload_spec(self, ahead: Future[SpecSnapshot] | None = None) -> None:
        """Parse the working-tree spec and show it; the audit pane checks it after."""
        backend = self.backend
        if ahead is not None:
            snapshot = await asyncio.wrap_future(ahead)
        else:
            snapshot = await backend.run_io(backend.spec)
        self.state.snapshot = snapshot
        self.spec_tree.load(snapshot.spec)
        for pane in self.query(AuditPane):  # mounted after the first frame
            pane.refresh_checks(snapshot)
        if ahead is None:  # on the first load, `initial_load` reads them after the first frame
            self.run_worker(self.reload_verdicts(), group="verdicts", exclusive=True)

    async def reload_verdicts(self) -> None:
        """Show the build verdicts of the latest build of HEAD in the spec tree."""
        with reporting(self, "read the build verdicts"):
            self.spec_tree.set_verdicts(await self.backend.run_bg(self.backend.verdicts))

    async def check_model(self) -> None:
        """Resolve the model; offer the setup screen once when none is configured."""
        state = self.state
        try:
            state.model = await self.backend.run_bg(self.backend.model_status)
        except Exception as exc:  # a broken model layer must not take the browser down
            state.model = ModelStatus(configured=False, message=str(exc))
        model = state.model
        self.status.update_info(
            model=model.name if model.configured else "not configured", model_ok=model.configured
        )
        if model.configured:
            await self.chat.open_scribe()
        elif not self._setup_offered:
            self._setup_offered = True
            self.app.push_screen(SetupScreen(model))

    def poll_changes(self) -> None:
        """Notice commits, hand edits of the spec and other writers' ledger lines."""
        if self.state.ready.is_set() and not self.turn_running and not self._polling:
            self._polling = True  # a slow look is finished, never cancelled by the next one
            self.poll_worker()

    @work(group="poll")
    async def poll_worker(self) -> None:
        """Reload what changed since the last look."""
        try:
            await self.look()
        finally:
            self._polling = False

    async def look(self) -> None:
        """Compare the workspace with the last look and reload what changed."""
        state = self.state
        old = state.fingerprint
        await state.refresh_fingerprint()
        new = state.fingerprint
        if old is None or new is None or old == new:
            return
        if old[0] != new[0]:
            await self.status.refresh_repo()
            await self.history.reload(self.history.req_filter)
        if old[1] != new[1] or old[0] != new[0]:
            await self.reload_spec()
        if old[2] != new[2] and not self.turn_running:
            await self.chat.sync()

    def poll_builds(self) -> None:
        """While a build runs here, or while the builds pane is shown, refresh it."""
        side = self.query_one("#side", TabbedContent)
        if self.settled.is_set() and (self.state.builds.running or side.active == "builds-tab"):
            self.query_one(BuildsPane).reload_soon()

    @work(group="load", exclusive=True)
    async def after_commit(self) -> None:
        """A commit happened: reload spec, history and HEAD."""
        with reporting(self, "reload after the commit"):
            await asyncio.gather(
                self.reload_spec(), self.history.reload(), self.status.refresh_repo()
            )
            await self.state.refresh_fingerprint()

    # routing the panes' messages

    @on(Tree.NodeHighlighted, "#spec-tree")
    def spec_node_highlighted(self, event: Tree.NodeHighlighted[NodeRef]) -> None:
        """Show the highlighted node in the detail panel."""
        self.query_one(RequirementDetail).show_node(event.node.data)

    @on(SpecTree.HistoryRequested)
    def requirement_history(self, event: SpecTree.HistoryRequested) -> None:
        """`h` on a requirement: its commits in History."""
        self.show_requirement_history(event.req_id)

    @on(SpecTree.ConfirmRequested)
    def requirement_confirm(self, event: SpecTree.ConfirmRequested) -> None:
        """`c` on a requirement: confirm it through the scribe."""
        self.chat.confirm_requirement(event.req_id)

    @on(HistoryPane.BuildRequested)
    def history_build(self, event: HistoryPane.BuildRequested) -> None:
        """`b` in History: build the highlighted commit."""
        self.action_build("selected")

    @on(ChatPane.Busy)
    def chat_busy(self, event: ChatPane.Busy) -> None:
        """What the chat waits for, in the status line."""
        self.status.update_info(busy=event.text)

    @on(ChatPane.TurnEnded)
    def chat_turn_ended(self) -> None:
        """Tokens were used."""
        self.status.refresh_usage()

    @on(ChatPane.Committed)
    def chat_committed(self) -> None:
        """The spec changed."""
        self.after_commit()

    @on(ChatPane.FixSent)
    def chat_fix_sent(self) -> None:
        """The fix request is recorded: the audit pane shows it."""
        if self.state.snapshot is not None:
            self.query_one(AuditPane).refresh_checks(self.state.snapshot)

    @on(ChatPane.QuestionAnswered)
    def chat_question_answered(self) -> None:
        """The question is answered: the builds pane lists it no more."""
        self.query_one(BuildsPane).reload_soon()

    @on(BuildsPane.LaunchRequested)
    def builds_launch(self, event: BuildsPane.LaunchRequested) -> None:
        """Build HEAD or the commit highlighted in History."""
        self.action_build(event.which)

    @on(BuildsPane.Finished)
    async def builds_finished(self) -> None:
        """A build finished: its verdicts show in the spec tree."""
        await self.reload_verdicts()

    @on(BuildsPane.AnswerRequested)
    def builds_answer(self, event: BuildsPane.AnswerRequested) -> None:
        """Answer a builder question through the scribe."""
        self.chat.answer_question(event.question.id, event.question)

    @on(AuditPane.JumpRequested)
    def audit_jump(self, event: AuditPane.JumpRequested) -> None:
        """Show the finding's requirement."""
        self.jump_to_finding(event.finding)

    @on(AuditPane.FixRequested)
    def audit_fix(self, event: AuditPane.FixRequested) -> None:
        """Hand the finding to the scribe; its proposal is reviewed in the chat."""
        self.chat.fix_finding(event.finding, event.revision, event.prefix)

    def show_requirement_history(self, req_id: str | None) -> None:
        """Narrow the history to one requirement's commits (None: all) and show it."""
        self.history.narrow(req_id)
        self.action_focus_pane("history")

    def jump_to_finding(self, finding: FindingView | None) -> None:
        """Show a finding's requirement in the spec tree; again: its next requirement."""
        if finding is None:
            self.notify("Pick a finding in the Audit pane first (F6).", markup=False)
            return
        reqs = finding.requirements
        if not reqs:
            self.notify(
                f"This finding names no requirement; it is at {finding.location}.", markup=False
            )
            return
        last = self._jump
        index = (last[1] + 1) % len(reqs) if last and last[0] == finding.key else 0
        self._jump = (finding.key, index)
        req_id = reqs[index]
        self.action_focus_pane("spec")
        if not self.spec_tree.select_requirement(req_id):
            self.notify(f"{req_id} is not in the current spec.", markup=False)

    @work(group="load", exclusive=True)
    async def refresh_worker(self) -> None:
        """Reload spec, chat, history, HEAD and builds."""
        await asyncio.gather(
            self.reload_spec(),
            self.chat.reload(),
            self.history.reload(),
            self.status.refresh_repo(),
        )
        await self.query_one(BuildsPane).reload()
        self.notify("Reloaded.", markup=False)

    # lock changes (called by the app)

    def set_read_only(self, reason: str) -> None:
        """Enter or leave read-only mode."""
        self.state.read_only = reason
        self.status.update_info(read_only=reason)
        self.refresh_bindings()

    def on_unmount(self) -> None:
        """Close the scribe session and stop the audit thread."""
        if self.state.intent is not None:
            self.state.intent.close()
        self.state.audits.close()
