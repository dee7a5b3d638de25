"""The main screen: side panes (spec, history, builds, audit) beside the chat, a status bar and
the footer. It wires the widgets to the workspace: every read and write runs in a worker (spec,
git and ledger work on the backend's I/O thread, scribe turns on the intent client's thread), so
typing stays responsive while a reply streams.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Static, TabbedContent, TabPane, Tree

from charter.app.tui.audit import AuditRefused, AuditRunner, check_view
from charter.app.tui.backend import Backend, ChatSlice, ModelStatus, RepoState, SpecSnapshot
from charter.app.tui.builds import BuildRunner
from charter.app.tui.commands import bindings
from charter.app.tui.render import legend
from charter.app.tui.screens.dialogs import EditProposal, SessionPicker, TextPrompt
from charter.app.tui.screens.setup import SetupScreen
from charter.app.tui.views import FindingView, MessageView, ProposalView, TurnResult
from charter.app.tui.widgets.audit import AuditPane, counts_text
from charter.app.tui.widgets.builds import BuildsPane
from charter.app.tui.widgets.chat import WINDOW, ChatLog, ChatPane
from charter.app.tui.widgets.chat_input import ChatInput
from charter.app.tui.widgets.history import HistoryPane
from charter.app.tui.widgets.requirement_detail import (
    RequirementDetail,
    render_node_summary,
    render_requirement,
)
from charter.app.tui.widgets.review_card import ReviewCard
from charter.app.tui.widgets.spec_tree import NodeRef, SpecTree
from charter.app.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from textual.widgets.markdown import MarkdownStream

    from charter.app.tui.app import CharterApp
    from charter.app.tui.intent import IntentClient

PANES = {
    "spec": ("spec-tab", "#spec-tree"),
    "history": ("history-tab", "#commit-list"),
    "builds": ("builds-tab", "#build-list"),
    "audit": ("audit-tab", "#audit-list"),
}
DETAIL_DEBOUNCE = 0.12
POLL_SECONDS = 2.0
BUILD_POLL_SECONDS = 1.0
WRITE_ACTIONS = {
    "review",
    "confirm_requirement",
    "build",
    "new_session",
    "switch_session",
    "audit_fix",
}


@dataclass
class ScribeToken(Message):
    """A fragment of the scribe's streamed reply (posted from the intent thread)."""

    fragment: str


class MainScreen(Screen[None]):
    """The one working screen."""

    BINDINGS: ClassVar[list[BindingType]] = bindings()
    AUTO_FOCUS = "#chat-input"
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (100, "-wide")]

    side_width: reactive[int] = reactive(42)
    """Width of the side pane, in percent of the screen."""

    def __init__(self, backend: Backend, *, read_only: str = "") -> None:
        """A main screen on `backend`'s workspace; `read_only` names the lock holder, if any."""
        super().__init__(id="main")
        self.backend = backend
        self.read_only = read_only
        self.model: ModelStatus | None = None
        self.intent: IntentClient | None = None
        self.intent_error = ""
        self.session: str | None = None
        self.snapshot: SpecSnapshot | None = None
        self.turn_running = False
        self.ready = asyncio.Event()
        """Set once spec, chat and history are shown (the first useful frame)."""
        self.painted = asyncio.Event()
        """Set once the first frame with spec and chat has been painted."""
        self.panes_ready = asyncio.Event()
        """Set once the history, builds and audit panes are mounted (after the first frame)."""
        self.settled = asyncio.Event()
        """Set once the model is checked, the scribe opened and the builds listed."""
        self.started = datetime.now(UTC).isoformat(timespec="milliseconds")
        self.builds = BuildRunner(backend)
        self.audits = AuditRunner(backend)
        self._jump: tuple[str, int] | None = None
        self._reply: Widget | None = None
        self._stream: MarkdownStream | None = None
        self._fingerprint: tuple[object, ...] | None = None
        if not backend.ahead:  # the app normally started these before Textual did
            backend.read_ahead(WINDOW)
        self._chat_offset = 0
        self._setup_offered = False

    @property
    def charter(self) -> CharterApp:
        """The app, typed."""
        return self.app  # type: ignore[return-value]

    # layout

    def compose(self) -> ComposeResult:
        """Side tabs and chat side by side, then the status bar and footer."""
        with Horizontal(id="panes"):
            with TabbedContent(id="side", initial="spec-tab"):
                with TabPane("Spec", id="spec-tab"), Vertical(id="spec-pane"):
                    yield Static(legend(), id="legend", classes="legend")
                    yield Static(legend(per_line=2), id="legend-short", classes="legend")
                    yield SpecTree(id="spec-tree")
                    yield RequirementDetail(id="req-detail")
                # Hidden at first: their content is mounted after the first frame.
                for title in ("History", "Builds", "Audit"):
                    with TabPane(title, id=f"{title.lower()}-tab"):
                        yield Vertical(id=f"{title.lower()}-slot", classes="slot")
            yield ChatPane(id="chat")
        yield StatusBar(id="status")
        yield Footer(compact=True)

    async def on_mount(self) -> None:
        """Show the spec, the chat and the repo state in the first frame (they were read ahead
        while the screen was composed), then load everything else in a worker."""
        ws = self.backend.workspace
        self.status.update_info(workspace=ws.root.name, read_only=self.read_only, model="…")
        self.watch_side_width(self.side_width)
        ahead, self.backend.ahead = self.backend.ahead, {}
        await asyncio.gather(
            self.reload_spec(ahead["spec"]),
            self.reload_chat(ahead["chat"]),
            self.reload_repo(ahead["repo"]),
        )
        self.ready.set()
        self.call_after_refresh(self.painted.set)
        self.initial_load()
        self.set_interval(POLL_SECONDS, self.poll_changes)
        self.set_interval(BUILD_POLL_SECONDS, self.poll_builds)

    @property
    def status(self) -> StatusBar:
        """The status bar."""
        return self.query_one(StatusBar)

    @property
    def chat_log(self) -> ChatLog:
        """The chat's message list."""
        return self.query_one(ChatLog)

    @property
    def chat_input(self) -> ChatInput:
        """The chat's input."""
        return self.query_one(ChatInput)

    @property
    def spec_tree(self) -> SpecTree:
        """The spec tree."""
        return self.query_one(SpecTree)

    @property
    def history(self) -> HistoryPane:
        """The history pane."""
        return self.query_one(HistoryPane)

    def watch_side_width(self, width: int) -> None:
        """Apply the side pane's width."""
        if self.is_mounted:
            self.query_one("#side").styles.width = f"{width}%"

    # loading

    @contextlib.contextmanager
    def reporting(self, what: str) -> Iterator[None]:
        """Turn a failed read into a notification naming what failed, never a crash."""
        try:
            yield
        except Exception as exc:  # any failure of git, files or SQLite: tell the user
            self.notify(f"Could not {what}: {exc}", severity="error", timeout=10, markup=False)

    @work(group="load")
    async def initial_load(self) -> None:
        """After the first frame: the hidden panes, the history, the model (slow imports) and
        the builds."""
        await self.painted.wait()
        await self.mount_hidden_panes()
        await self.reload_history()
        self._fingerprint = await self.backend.run_git(self.backend.fingerprint, self.session)
        try:
            await self.check_model()
            await self.reload_builds()
        finally:
            self.settled.set()

    async def reload_spec(self, ahead: Future[SpecSnapshot] | None = None) -> None:
        """Parse the working-tree spec and show it; validate it (for the audit pane) after."""
        if ahead is not None:
            snapshot = await asyncio.wrap_future(ahead)
        else:
            snapshot = await self.backend.run_io(self.backend.spec)
        self.snapshot = snapshot
        self.spec_tree.load(snapshot.spec)
        self.refresh_audit(snapshot)

    @work(group="validate", exclusive=True)
    async def refresh_audit(self, snapshot: SpecSnapshot) -> None:
        """Into the audit pane: the structural findings (quotes checked against the ledger),
        then the stored audit of this revision of the spec (never a model call)."""
        with self.reporting("check the spec"):
            findings = await self.backend.run_io(self.backend.findings, snapshot)
            await self.panes_ready.wait()
            prefix = self.audits.prefix
            pane = self.query_one(AuditPane)
            pane.show_checks([check_view(n, f, prefix) for n, f in enumerate(findings)])
            pane.show_audit(await self.audits.call(self.audits.stored))

    async def reload_chat(self, ahead: Future[tuple[str, ChatSlice]] | None = None) -> None:
        """Show the current session's last messages (read from the end of its file)."""
        if ahead is not None:
            self.session, tail = await asyncio.wrap_future(ahead)
        else:
            self.session, tail = await self.backend.run_io(self.backend.chat_start, WINDOW)
        self._chat_offset = tail.end
        await self.chat_log.show(tail.messages, complete=tail.complete)
        self.chat_log.border_title = f"chat · {self.session}"

    async def mount_hidden_panes(self) -> None:
        """Fill the tabs that start hidden (history, builds, audit)."""
        for slot, pane in (
            ("#history-slot", HistoryPane(id="history")),
            ("#builds-slot", BuildsPane(id="builds")),
            ("#audit-slot", AuditPane(id="audit")),
        ):
            for target in self.query(slot):  # none when the app quit meanwhile
                await target.mount(pane)
        self.panes_ready.set()

    async def reload_history(self, req_filter: str | None = None) -> None:
        """List the spec commits (all, or one requirement's)."""
        with self.reporting("read the spec history"):
            await self.panes_ready.wait()
            if req_filter:
                commits = await self.backend.run_git(self.backend.requirement_commits, req_filter)
            else:
                commits = await self.backend.run_git(self.backend.commits)
            self.history.show_commits(commits, req_filter)

    async def reload_repo(self, ahead: Future[RepoState] | None = None) -> None:
        """Branch and HEAD into the status bar."""
        if ahead is not None:
            state = await asyncio.wrap_future(ahead)
        else:
            state = await self.backend.run_git(self.backend.repo_state)
        self.status.update_info(branch=state.branch, head=state.head)

    async def reload_builds(self) -> None:
        """Every build's state, and the questions builds raised, into the builds pane."""
        with self.reporting("read the builds"):
            await self.panes_ready.wait()
            builds = await self.backend.run_bg(self.builds.list_builds)
            questions = await self.backend.run_bg(self.builds.list_questions)
            pane = self.query_one(BuildsPane)
            pane.set_builds(builds)
            pane.set_questions(questions)

    async def check_model(self) -> None:
        """Resolve the model; offer the setup screen once when none is configured."""
        try:
            self.model = await self.backend.run_bg(self.backend.model_status)
        except Exception as exc:  # a broken model layer must not take the browser down
            self.model = ModelStatus(configured=False, message=str(exc))
        model = self.model
        self.status.update_info(
            model=model.name if model.configured else "not configured", model_ok=model.configured
        )
        if model.configured:
            await self.start_intent()
        elif not self._setup_offered:
            self._setup_offered = True
            self.app.push_screen(SetupScreen(model))

    async def start_intent(self) -> None:
        """Open the scribe session and bring back a proposal still awaiting review."""
        from charter.app.tui.intent import IntentClient

        client = IntentClient(self.backend, self.session or "")
        try:
            pending = await client.open()
        except Exception as exc:  # the scribe is optional for browsing: say why it is missing
            self.intent_error = f"The scribe could not start: {exc}"
            self.notify(
                f"The scribe could not start: {exc}", severity="error", timeout=10, markup=False
            )
            return
        self.intent = client
        if pending is not None:
            await self.show_card(pending, focus=True)
            self.notify(
                f"Proposal {pending.id} from an earlier run is waiting for your review.",
                markup=False,
            )
        await self.refresh_usage()

    async def refresh_usage(self) -> None:
        """Tokens (and cost) used since this screen opened."""
        try:
            usage = await self.backend.run_bg(self.backend.usage_line, self.started)
        except Exception:  # usage is informative only
            return
        self.status.update_info(usage=usage)

    async def poll_changes(self) -> None:
        """Notice commits, hand edits of the spec and other writers' ledger lines."""
        if not self.ready.is_set() or self.turn_running:
            return
        self.poll_worker()

    @work(group="poll", exclusive=True)
    async def poll_worker(self) -> None:
        """Reload what changed since the last look."""
        fingerprint = await self.backend.run_git(self.backend.fingerprint, self.session)
        old, self._fingerprint = self._fingerprint, fingerprint
        if old is None or old == fingerprint:
            return
        head, spec, ledger = fingerprint
        if old[0] != head:
            await self.reload_repo()
            await self.reload_history(self.history.req_filter)
        if old[1] != spec or old[0] != head:
            await self.reload_spec()
        if old[2] != ledger and not self.turn_running:
            await self.sync_chat()

    # the spec tree and requirement detail

    @on(Tree.NodeHighlighted, "#spec-tree")
    def spec_node_highlighted(self, event: Tree.NodeHighlighted[NodeRef]) -> None:
        """Show the highlighted node; a requirement's `why` loads after the cursor settles."""
        ref = event.node.data
        snapshot = self.snapshot
        if ref is None or snapshot is None:
            return
        detail = self.query_one(RequirementDetail)
        spec_file = snapshot.spec.file(ref.path)
        if spec_file is None:
            return
        if ref.kind == "file":
            count = len(spec_file.requirements())
            lines = [spec_file.title, f"{len(spec_file.sections)} sections, {count} requirements"]
            detail.show(render_node_summary(spec_file.path, lines))
        elif ref.kind == "section":
            section = spec_file.sections[ref.section]
            detail.show(
                render_node_summary(section.title, [f"{len(section.requirements)} requirements"])
            )
        elif (found := snapshot.spec.find(ref.req_id)) is not None:
            detail.show(render_requirement(*found))
            self.load_detail(ref.req_id)

    @work(group="detail", exclusive=True)
    async def load_detail(self, req_id: str) -> None:
        """Load the cited messages and the commits of one requirement."""
        with self.reporting("load the requirement's words and commits"):
            await asyncio.sleep(DETAIL_DEBOUNCE)
            snapshot = self.snapshot
            if snapshot is None or (found := snapshot.spec.find(req_id)) is None:
                return
            req = found[2]
            cited = list(req.provenance.messages) if req.provenance else []
            messages = await self.backend.run_io(self.backend.messages, cited)
            commits = await self.backend.run_git(self.backend.requirement_commits, req_id)
            if self.spec_tree.highlighted_requirement() == req_id:
                self.query_one(RequirementDetail).show(
                    render_requirement(*found, messages, commits)
                )

    @on(SpecTree.Act)
    def spec_tree_act(self, event: SpecTree.Act) -> None:
        """`h` and `c` on a requirement."""
        if event.action == "history":
            self.show_requirement_history(event.req_id)
        elif event.action == "confirm":
            self.confirm_requirement(event.req_id)

    @work(group="history", exclusive=True)
    async def show_requirement_history(self, req_id: str | None) -> None:
        """Narrow the history to one requirement's commits (None: all) and show it."""
        await self.reload_history(req_id)
        self.action_focus_pane("history")

    # history

    @on(HistoryPane.CommitChosen)
    def commit_chosen(self, event: HistoryPane.CommitChosen) -> None:
        """Load the highlighted commit's detail."""
        self.load_commit(event.sha)

    @work(group="commit", exclusive=True)
    async def load_commit(self, sha: str) -> None:
        """A commit's message and diff, after the cursor settles."""
        with self.reporting("show the commit"):
            await asyncio.sleep(DETAIL_DEBOUNCE)
            detail = await self.backend.run_git(self.backend.commit_detail, sha)
            if self.history.highlighted_sha() == sha:
                self.history.show_detail(detail)

    @on(HistoryPane.Act)
    def history_act(self, event: HistoryPane.Act) -> None:
        """`b` builds the highlighted commit; escape drops the requirement filter."""
        if event.action == "build":
            self.action_build("selected")
        elif event.action == "clear_filter":
            self.show_requirement_history(None)

    # the chat

    def write_refusal(self, needs_model: bool = False) -> str | None:
        """Why a write cannot happen now (read-only, no model, busy), or None."""
        if self.read_only:
            return f"Read-only: {self.read_only}. Nothing was changed."
        if needs_model:
            if self.model is None:
                return "Still checking the model settings; try again in a moment."
            if not self.model.configured:
                return "No model is configured: open Model setup (ctrl+p) to see what to set."
            if self.intent is None:
                return self.intent_error or "The scribe is still starting; try again in a moment."
        if self.turn_running:
            return "The scribe is still working on the last request."
        return None

    @on(ChatInput.Submitted)
    def chat_submitted(self, event: ChatInput.Submitted) -> None:
        """Send the typed text, exactly as typed, unless writing is refused right now."""
        text = event.text
        if not text.strip():
            return
        if (refusal := self.write_refusal(needs_model=True)) is not None:
            self.notify(
                f"{refusal} Your text is still in the input.", severity="warning", markup=False
            )
            return
        self.chat_input.remember(text)
        self.chat_input.clear()
        self.turn_running = True
        self.send(text)

    @work(group="turn")
    async def send(self, text: str, question: str | None = None) -> None:
        """Run one scribe turn: show the message, stream the reply, then the outcome."""
        assert self.intent is not None
        provisional = await self.chat_log.add_user(text)
        self.status.update_info(busy="scribe is thinking… (typing still works)")
        self._reply = None
        try:
            result = await self.intent.say(text, self.post_token, question)
        finally:
            await self.end_stream()
            self.turn_running = False
            self.status.update_info(busy="")
        if not result.recorded:
            await provisional.remove()
            if self._reply is not None:
                await self._reply.remove()
            if not self.chat_input.text and question is None:
                self.chat_input.load_text(text)
            self.notify(
                f"{result.error} Your message was not sent; it is back in the input.",
                title="Not sent",
                severity="error",
                timeout=12,
                markup=False,
            )
            return
        await self.after_turn(result)

    def post_token(self, fragment: str) -> None:
        """Called on the intent thread for each streamed fragment: hand it to the UI thread."""
        self.post_message(ScribeToken(fragment))

    async def on_scribe_token(self, message: ScribeToken) -> None:
        """Append a streamed fragment to the reply being written."""
        if not self.turn_running:
            return
        if self._reply is None:
            self._reply, self._stream = await self.chat_log.start_reply()
        if self._stream is not None:
            await self._stream.write(message.fragment)

    async def end_stream(self) -> None:
        """Finish the streamed reply, if any."""
        if self._stream is not None:
            await self._stream.stop()
            self._stream = None

    async def after_turn(self, result: TurnResult, saved: str = "Your message") -> None:
        """Replace provisional widgets by the ledger's records; show errors and proposals."""
        await self.sync_chat()
        self._reply = None
        if result.error:
            self.notify(
                f"{result.error} {saved} is saved in the ledger"
                f"{f' as {result.message_id}' if result.message_id else ''}.",
                title="Model endpoint error",
                severity="error",
                timeout=15,
                markup=False,
            )
        if result.proposal is not None:
            await self.show_card(result.proposal, focus=True)
        await self.refresh_usage()

    async def sync_chat(self) -> None:
        """Mount the ledger records the chat does not show yet (and drop provisional ones)."""
        if self.session is None:
            return
        since = await self.backend.run_io(
            self.backend.session_since, self.session, self._chat_offset
        )
        self._chat_offset = since.end
        log = self.chat_log
        known = {m.id for m in log.records}
        fresh: list[MessageView] = [m for m in since.messages if m.id not in known]
        await log.query(".provisional").remove()
        for message in fresh:
            await log.add_record(message)
        self._fingerprint = await self.backend.run_git(self.backend.fingerprint, self.session)

    async def show_card(self, proposal: ProposalView, focus: bool = False) -> None:
        """Mount a review card for a proposal awaiting review."""
        card = await self.chat_log.add_card(proposal)
        if focus:
            card.focus(scroll_visible=False)
            self.chat_log.release_anchor()
            self.call_after_refresh(card.scroll_visible, top=True, animate=False)

    @on(ChatLog.LoadEarlier)
    def chat_load_earlier(self) -> None:
        """The button: mount the previous window of messages."""
        self.load_earlier_worker()

    @work(group="earlier", exclusive=True)
    async def load_earlier_worker(self) -> int:
        """Fetch the whole session once if needed, then mount the previous window."""
        log = self.chat_log
        if log.needs_history and self.session is not None:
            log.set_history(await self.backend.run_io(self.backend.session_messages, self.session))
        return await log.load_earlier()

    # reviewing

    @on(ReviewCard.Act)
    def card_act(self, event: ReviewCard.Act) -> None:
        """A review key on a card."""
        self.action_review(event.action)

    def action_review(self, action: str) -> None:
        """Accept, reject, edit or confirm the open proposal."""
        card = self.chat_log.open_card()
        if card is None:
            self.notify("No proposal is waiting for review.", severity="warning", markup=False)
            return
        if (refusal := self.write_refusal(needs_model=False)) is not None:
            self.notify(refusal, severity="warning", markup=False)
            return
        if self.intent is None:
            self.notify(
                "The scribe is still starting; try again in a moment.",
                severity="warning",
                markup=False,
            )
            return
        self.turn_running = True
        self.review(card, action)

    @work(group="turn")
    async def review(self, card: ReviewCard, action: str) -> None:
        """Ask what the action needs (reason, edits, note), then carry it out."""
        assert self.intent is not None
        try:
            result = await self._review(card, action)
        finally:
            self.turn_running = False
            self.status.update_info(busy="")
        if result is None:
            return
        if result.error:
            self.notify(
                result.error, title=f"{action} failed", severity="error", timeout=12, markup=False
            )
        if result.accepted is not None:
            await card.show_committed(result.accepted)
        if result.kind in ("accepted", "rejected"):
            card.resolve(result.text)
            self.chat_input.focus()
        await self.sync_chat()
        if result.proposal is not None:
            await self.show_card(result.proposal, focus=True)
        if result.commit:
            await self.after_commit()

    async def _review(self, card: ReviewCard, action: str) -> TurnResult | None:
        """The review itself; None when the user cancelled a dialog."""
        assert self.intent is not None
        proposal = card.proposal
        if action == "accept":
            self.status.update_info(busy=f"committing {proposal.id}…")
            return await self.intent.accept()
        if action == "reject":
            reason = await self.app.push_screen_wait(
                TextPrompt(
                    f"Reject proposal {proposal.id}",
                    "Why? Your words are recorded verbatim and given to the scribe "
                    "(leave empty to reject without a reason).",
                    ok_label="Reject",
                )
            )
            if reason is None:
                return None
            return await self.intent.reject(reason)
        if action == "edit":
            edited = await self.app.push_screen_wait(
                EditProposal(proposal.id, proposal.edit_text, self.intent.edit_help)
            )
            if edited is None:
                return None
            self.status.update_info(busy=f"checking your edit of {proposal.id}…")
            return await self.intent.accept_edited(proposal, edited)
        if action == "confirm":
            items = ", ".join(i.req_id or f"item {i.index}" for i in proposal.inferred)
            note = await self.app.push_screen_wait(
                TextPrompt(
                    f"Confirm inferred items of {proposal.id}",
                    f"You vouch for: {items}. The proposal is accepted and they become "
                    "confirmed in the same commit, citing your words (an optional one-line "
                    "note below).",
                    ok_label="Confirm and accept",
                    one_line=True,
                )
            )
            if note is None:
                return None
            return await self.intent.confirm_proposal(proposal, note)
        return None

    def confirm_requirement(self, req_id: str) -> None:
        """Confirm an inferred requirement of the committed spec."""
        snapshot = self.snapshot
        found = snapshot.spec.find(req_id) if snapshot else None
        if found is None:
            return
        req = found[2]
        if req.provenance is None or req.provenance.kind.value != "inferred":
            self.notify(
                f"{req_id} is not inferred; only inferred requirements are confirmed.", markup=False
            )
            return
        if (refusal := self.write_refusal(needs_model=False)) is not None:
            self.notify(refusal, severity="warning", markup=False)
            return
        if self.intent is None:
            self.notify(
                "The scribe is not available: confirming needs the intent session.", markup=False
            )
            return
        self.turn_running = True
        self.confirm_worker(req_id)

    @work(group="turn")
    async def confirm_worker(self, req_id: str) -> None:
        """Ask for an optional note, then record and commit the confirmation."""
        assert self.intent is not None
        try:
            note = await self.app.push_screen_wait(
                TextPrompt(
                    f"Confirm {req_id}",
                    "You vouch for this inferred requirement: it becomes confirmed, citing your "
                    "words. Add a one-line note (optional).",
                    ok_label="Confirm",
                    one_line=True,
                )
            )
            if note is None:
                return
            self.status.update_info(busy=f"confirming {req_id}…")
            result = await self.intent.confirm(req_id, note)
        finally:
            self.turn_running = False
            self.status.update_info(busy="")
        if result.error:
            self.notify(
                result.error, title="Confirm failed", severity="error", timeout=12, markup=False
            )
            return
        self.notify(f"{req_id} is confirmed.", markup=False)
        await self.sync_chat()
        await self.after_commit()

    async def after_commit(self) -> None:
        """A commit happened: reload spec, history and HEAD."""
        await asyncio.gather(self.reload_spec(), self.reload_history(), self.reload_repo())
        self._fingerprint = await self.backend.run_git(self.backend.fingerprint, self.session)

    # builds

    @on(BuildsPane.Act)
    def builds_act(self, event: BuildsPane.Act) -> None:
        """Buttons and keys of the builds pane."""
        if event.action in ("head", "selected"):
            self.action_build(event.action)
        elif event.action == "answer" and event.build_id:
            self.answer_question(event.build_id)
        elif event.action in ("calls", "report") and event.build_id:
            self.browse_build(event.build_id, event.task, event.action)

    def browse_build(self, build_id: str, task: str | None, show: str) -> None:
        """Open a build's prompts and responses (from `task`'s first call) or its report."""
        from charter.app.tui.screens.build_browser import BuildBrowser

        build = self.query_one(BuildsPane).builds.get(build_id)
        if build is None:
            self.notify(f"No build {build_id}.", markup=False)
            return
        self.app.push_screen(BuildBrowser(self.backend, self.builds, build, task=task, show=show))

    def action_browse_build(self, show: str) -> None:
        """The selected build's calls or report (palette)."""
        panes = self.query(BuildsPane)
        if not panes:
            return
        panes.first().action_browse(show)

    def answer_question(self, qid: str) -> None:
        """Answer a builder question: the answer is intent, and the scribe proposes the change."""
        if (refusal := self.write_refusal(needs_model=True)) is not None:
            self.notify(refusal, severity="warning", markup=False)
            return
        self.turn_running = True
        self.answer_worker(qid)

    @work(group="turn")
    async def answer_worker(self, qid: str) -> None:
        """Ask for the answer, then run the scribe turn on it."""
        question = self.query_one(BuildsPane).questions.get(qid)
        answer = await self.app.push_screen_wait(
            TextPrompt(
                f"Answer {qid}",
                f"The builder asks: {question.text if question else qid}\nYour answer is "
                "recorded verbatim; the scribe then proposes the spec change for review.",
                ok_label="Answer",
            )
        )
        if not answer or not answer.strip():
            self.turn_running = False
            return
        self.action_focus_pane("chat")
        self.send(answer, qid)

    def action_build(self, which: str) -> None:
        """Launch `charter build` of HEAD or of the commit highlighted in History."""
        if self.read_only:
            self.notify(
                f"Read-only: {self.read_only}. No build was started.",
                severity="warning",
                markup=False,
            )
            return
        rev = "HEAD"
        if which == "selected":
            sha = self.history.highlighted_sha() if self.query("#history") else None
            if sha is None:
                self.notify("Pick a commit in History first (F4), then press b.", markup=False)
                return
            rev = sha
        self.launch_build(rev)

    @work(group="build")
    async def launch_build(self, rev: str) -> None:
        """Run the build process, streaming its output into the log and polling its tasks."""
        pane = self.query_one(BuildsPane)
        self.action_focus_pane("builds")
        pane.write_log(f"$ charter build {rev}")
        code = await self.builds.run(rev, pane.write_log)
        pane.write_log(f"charter build exited with status {code}")
        await self.reload_builds()
        self.notify(f"Build of {rev[:10]} finished with status {code}.", markup=False)

    def poll_builds(self) -> None:
        """While a build runs here, or while the builds pane is shown, refresh it."""
        side = self.query_one("#side", TabbedContent)
        if self.settled.is_set() and (self.builds.running or side.active == "builds-tab"):
            self.builds_worker()

    @work(group="builds", exclusive=True)
    async def builds_worker(self) -> None:
        """Reload the builds pane."""
        await self.reload_builds()

    # the audit

    @on(AuditPane.Act)
    def audit_act(self, event: AuditPane.Act) -> None:
        """Keys and buttons of the audit pane."""
        if event.action == "run":
            self.action_audit_run()
        elif event.action == "jump":
            self.jump_to_finding(event.finding)
        elif event.action == "fix":
            self.fix_finding(event.finding)

    def audit_pane(self) -> AuditPane | None:
        """The audit pane, once mounted."""
        panes = self.query(AuditPane)
        return panes.first() if panes else None

    def action_audit_run(self) -> None:
        """Run the audit of the working tree's spec."""
        if self.model is None:
            self.notify("Still checking the model settings; try again in a moment.", markup=False)
            return
        if not self.model.configured:
            self.notify(
                "No model is configured: open Model setup (ctrl+p) to see what to set.",
                severity="warning",
                markup=False,
            )
            return
        if self.audits.running:
            self.notify("The audit is already running.", markup=False)
            return
        self.audit_worker()

    @work(group="audit", exclusive=True)
    async def audit_worker(self) -> None:
        """Run the audit graph on the audit thread; refusals and endpoint errors notify."""
        from charter.app.tui.intent import failure

        await self.panes_ready.wait()
        pane = self.query_one(AuditPane)
        self.action_focus_pane("audit")
        pane.set_running(True)
        try:
            view = await self.audits.call(self.audits.run)
        except AuditRefused as exc:
            self.notify(str(exc), title="Audit not run", severity="warning", markup=False)
            return
        except Exception as exc:  # the endpoint or the graph failed: say why, keep running
            self.notify(
                f"{failure(exc)} (answers received so far are kept)",
                title="Audit failed",
                severity="error",
                timeout=15,
                markup=False,
            )
            return
        finally:
            pane.set_running(False)
        pane.show_audit(view)
        sent = (
            f"{view.model_calls} model call{'' if view.model_calls == 1 else 's'}"
            if view.model_calls
            else "no model call (all cached)"
        )
        self.notify(f"Audit: {counts_text(view.findings)} ({sent}).", markup=False)

    def action_audit_filter(self, severity: str) -> None:
        """Show only findings of one severity (or all) in the audit pane."""
        pane = self.audit_pane()
        if pane is not None:
            pane.set_filter(severity)
            self.action_focus_pane("audit")

    def action_audit_jump(self) -> None:
        """Jump to the requirement of the finding highlighted in the audit pane."""
        pane = self.audit_pane()
        self.jump_to_finding(pane.highlighted() if pane else None)

    def action_audit_fix(self) -> None:
        """Fix the finding highlighted in the audit pane through the scribe."""
        pane = self.audit_pane()
        self.fix_finding(pane.highlighted() if pane else None)

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

    def fix_finding(self, finding: FindingView | None) -> None:
        """Hand an audit finding to the scribe; its proposal is reviewed in the chat."""
        if finding is None:
            self.notify("Pick a finding in the Audit pane first (F6).", markup=False)
            return
        if not finding.fixable:
            self.notify(
                "Structural findings are fixed by editing the spec (or ask the scribe in the "
                "chat); the scribe fixes audit findings.",
                markup=False,
            )
            return
        audit_finding = self.audits.findings.get(finding.key)
        if audit_finding is None:
            self.notify(
                f"{finding.key} is not among the findings of the current spec: run the audit "
                "again.",
                markup=False,
            )
            return
        if (refusal := self.write_refusal(needs_model=True)) is not None:
            self.notify(refusal, severity="warning", markup=False)
            return
        self.turn_running = True
        self.fix_worker(audit_finding, self.audits.revision)

    @work(group="turn")
    async def fix_worker(self, finding: object, revision: str) -> None:
        """Run the fix turn, streaming the scribe's reply into the chat; show the card."""
        assert self.intent is not None
        self.action_focus_pane("chat")
        self.status.update_info(busy="scribe is working on the audit finding…")
        self._reply = None
        try:
            result = await self.intent.fix(finding, revision, self.audits.prefix, self.post_token)
        finally:
            await self.end_stream()
            self.turn_running = False
            self.status.update_info(busy="")
        if not result.recorded:
            if self._reply is not None:
                await self._reply.remove()
            self.notify(
                f"{result.error} The fix was not requested.",
                title="Not sent",
                severity="error",
                timeout=12,
                markup=False,
            )
            return
        await self.after_turn(result, saved="The fix request")
        if self.snapshot is not None:
            self.refresh_audit(self.snapshot)

    # actions (keys and palette)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Grey out write actions when read-only, review actions without an open card."""
        if action in WRITE_ACTIONS and self.read_only:
            return None
        if action in ("review", "focus_card"):
            try:
                return self.chat_log.open_card() is not None
            except Exception:  # asked before the chat exists
                return False
        return True

    def action_help(self) -> None:
        """F1."""
        from charter.app.tui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen())

    def action_focus_pane(self, pane: str) -> None:
        """Show and focus one pane."""
        if self.maximized is not None:
            self.minimize()
        if pane == "chat":
            self.chat_input.focus()
            return
        tab, target = PANES[pane]
        self.query_one("#side", TabbedContent).active = tab
        for widget in self.query(target):  # absent for a moment while a pane mounts lazily
            widget.focus()

    def action_resize_side(self, delta: int) -> None:
        """Make the side pane narrower or wider (20–80 % of the width)."""
        self.side_width = max(20, min(80, self.side_width + delta))

    def action_toggle_maximize(self) -> None:
        """Maximize the pane holding the focus, or restore the layout."""
        if self.maximized is not None:
            self.minimize()
            return
        focused = self.focused
        chat = self.query_one(ChatPane)
        side = self.query_one("#side")
        target = chat if focused is not None and chat in focused.ancestors_with_self else side
        self.maximize(target, container=False)

    def action_focus_card(self) -> None:
        """Focus the open review card."""
        card = self.chat_log.open_card()
        if card is not None:
            card.focus()
            card.scroll_visible()

    def action_load_earlier(self) -> None:
        """Mount the previous window of messages."""
        if self.chat_log.first_shown == 0 and self.chat_log.complete:
            self.notify("No earlier messages in this session.", markup=False)
            return
        self.load_earlier_worker()

    def action_requirement_history(self) -> None:
        """The commits of the highlighted requirement."""
        req_id = self.spec_tree.highlighted_requirement()
        if req_id is None:
            self.notify("Highlight a requirement in the spec tree first (F3).", markup=False)
            return
        self.show_requirement_history(req_id)

    def action_confirm_requirement(self) -> None:
        """Confirm the highlighted inferred requirement."""
        req_id = self.spec_tree.highlighted_requirement()
        if req_id is None:
            self.notify(
                "Highlight an inferred requirement in the spec tree first (F3).", markup=False
            )
            return
        self.confirm_requirement(req_id)

    def action_refresh_all(self) -> None:
        """Reload everything from disk."""
        self.refresh_worker()

    @work(group="load", exclusive=True)
    async def refresh_worker(self) -> None:
        """Reload spec, chat, history, HEAD and builds."""
        await asyncio.gather(
            self.reload_spec(), self.reload_chat(), self.reload_history(), self.reload_repo()
        )
        await self.reload_builds()
        self.notify("Reloaded.", markup=False)

    def action_new_session(self) -> None:
        """Start a new ledger session and show it."""
        if (refusal := self.write_refusal()) is not None:
            self.notify(refusal, severity="warning", markup=False)
            return
        self.new_session_worker()

    @work(group="turn")
    async def new_session_worker(self) -> None:
        """Create the session, point the scribe at it, and show the (empty) chat."""
        if self.intent is not None:
            session = await self.intent.new_session()
        else:
            session = await self.backend.run_io(self.backend.new_session)
        await self.reload_chat()
        self.notify(f"New session {session}.", markup=False)

    def action_switch_session(self) -> None:
        """Pick another ledger session and show it."""
        if (refusal := self.write_refusal()) is not None:
            self.notify(refusal, severity="warning", markup=False)
            return
        self.switch_session_worker()

    @work(group="turn")
    async def switch_session_worker(self) -> None:
        """List the sessions, ask which one, switch the scribe (or the ledger) to it, and reload
        the chat with the proposal that session has awaiting review."""
        with self.reporting("switch sessions"):
            intent = self.intent
            if intent is not None:
                sessions = await intent.sessions()
            else:
                sessions = await self.backend.run_io(self.backend.sessions)
            chosen = await self.app.push_screen_wait(SessionPicker(sessions))
            if chosen is None or chosen == self.session:
                return
            if self.turn_running:
                self.notify("The scribe is still working on the last request.", markup=False)
                return
            self.turn_running = True
            try:
                pending = None
                if intent is not None:
                    pending = await intent.switch_session(chosen)
                else:
                    await self.backend.run_io(self.backend.switch_session, chosen)
                await self.reload_chat()
                if pending is not None:
                    await self.show_card(pending, focus=True)
            finally:
                self.turn_running = False
            self._fingerprint = await self.backend.run_git(self.backend.fingerprint, self.session)
            self.notify(f"Switched to session {chosen}.", markup=False)

    def action_show_setup(self) -> None:
        """The model setup instructions."""
        self.app.push_screen(SetupScreen(self.model or ModelStatus(configured=False)))

    def on_unmount(self) -> None:
        """Close the scribe session and stop the audit thread."""
        if self.intent is not None:
            self.intent.close()
        self.audits.close()

    # lock changes (called by the app)

    def set_read_only(self, reason: str) -> None:
        """Enter or leave read-only mode."""
        self.read_only = reason
        self.status.update_info(read_only=reason)
        self.refresh_bindings()
