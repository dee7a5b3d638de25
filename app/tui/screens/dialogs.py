"""Small modal dialogs: a text prompt (reject reason, confirm note), the proposal editor and the
session switcher. Every dialog follows one rule: Enter confirms, Escape cancels, and ctrl+j
inserts a newline in a multi-line field (ctrl+s also confirms, as before)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from charter.app.tui.views import SessionView
from charter.app.tui.widgets.text_field import TextField


class TextPrompt(ModalScreen[str | None]):
    """Ask for free text; Enter (or ctrl+s, or the OK button) submits it, escape cancels (None),
    ctrl+j starts a new line in the multi-line field."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "submit", "OK", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]
    HINT = "enter: {ok} · esc: cancel"
    MULTI_LINE_HINT = "enter: {ok} · ctrl+j: new line · esc: cancel"

    def __init__(
        self,
        title: str,
        explanation: str,
        *,
        initial: str = "",
        ok_label: str = "OK",
        one_line: bool = False,
    ) -> None:
        """A dialog titled `title` with an explanation and a text field holding `initial`
        (a one-line Input or a multi-line TextField)."""
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.explanation = explanation
        self.initial = initial
        self.ok_label = ok_label
        self.one_line = one_line

    def compose(self) -> ComposeResult:
        """Explanation, text field and buttons."""
        with Vertical(classes="dialog") as box:
            box.border_title = self.title_text
            hint = self.HINT if self.one_line else self.MULTI_LINE_HINT
            box.border_subtitle = hint.format(ok=self.ok_label.lower())
            yield Static(Text(self.explanation), classes="dialog-text")
            if self.one_line:
                yield Input(self.initial, id="prompt-text", compact=True)
            else:
                yield TextField(self.initial, id="prompt-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.ok_label} (enter)", id="ok", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        """Start typing straight away."""
        field = self.query_one("#prompt-text")
        field.focus()
        if isinstance(field, TextArea):
            field.move_cursor(field.document.end)

    @on(Input.Submitted)
    @on(TextField.Submitted)
    def field_submitted(self, event: Input.Submitted | TextField.Submitted) -> None:
        """Enter in the field submits."""
        event.stop()
        self.action_submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """OK submits, Cancel dismisses."""
        event.stop()
        if event.button.id == "ok":
            self.action_submit()
        else:
            self.action_cancel()

    def action_submit(self) -> None:
        """Return the text exactly as typed."""
        field = self.query_one("#prompt-text")
        self.dismiss(field.value if isinstance(field, Input) else field.text)  # type: ignore[attr-defined]

    def action_cancel(self) -> None:
        """Return None."""
        self.dismiss(None)


class EditProposal(TextPrompt):
    """The proposal's items in an editable TextArea; what the user writes becomes explicit."""

    def __init__(self, proposal_id: str, text: str, help_text: str) -> None:
        """Edit `text` (the scribe's edit format for this proposal)."""
        super().__init__(
            f"Edit proposal {proposal_id}",
            help_text,
            initial=text,
            ok_label="Accept edited",
        )

    def on_mount(self) -> None:
        """Give the editor most of the screen."""
        super().on_mount()
        self.query_one(".dialog").add_class("-large")


def session_prompt(session: SessionView) -> Text:
    """One session in the switcher: ID, how many records, when, and whether it is current."""
    out = Text(no_wrap=True, overflow="ellipsis")
    out.append(session.id, style="bold")
    out.append(f"  {session.count} record{'' if session.count == 1 else 's'}", style="dim")
    if session.first:
        last = session.last
        if last[:10] == session.first[:10]:
            last = last[11:]  # the same day: only the time
        same = session.last in ("", session.first)
        span = session.first if same else f"{session.first} → {last}"
        out.append(f"  {span}", style="dim")
    if session.current:
        out.append("  (current)", style="green")
    return out


class Picker(ModalScreen[str | None]):
    """Pick one option of a list: enter picks (its ID), escape cancels (None)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(
        self,
        title: str,
        explanation: str,
        options: list[Option],
        *,
        verb: str = "pick",
        highlighted: int = 0,
        list_id: str | None = None,
    ) -> None:
        """A dialog titled `title` offering `options`, `highlighted` first."""
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.explanation = explanation
        self.choices = options
        self.verb = verb
        self.first = highlighted
        self.list_id = list_id

    def compose(self) -> ComposeResult:
        """Explanation and the options."""
        with Vertical(classes="dialog") as box:
            box.border_title = self.title_text
            box.border_subtitle = f"enter: {self.verb} · esc: cancel"
            yield Static(Text(self.explanation), classes="dialog-text")
            yield OptionList(*self.choices, id=self.list_id)

    def on_mount(self) -> None:
        """Highlight the first offered option and take the keys."""
        options = self.query_one(OptionList)
        if self.choices:
            options.highlighted = self.first
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter: dismiss with what the chosen option means (`picked`)."""
        event.stop()
        self.dismiss(self.picked(event.option.id))

    def picked(self, option_id: str | None) -> str | None:
        """What choosing `option_id` returns (a subclass may map it; Textual runs every
        class's message handler, so subclasses override this, not the handler)."""
        return option_id

    def action_cancel(self) -> None:
        """Return None."""
        self.dismiss(None)


class SessionPicker(Picker):
    """Pick a ledger session to continue in; enter switches, escape cancels (None)."""

    def __init__(self, sessions: list[SessionView]) -> None:
        """List `sessions` (newest first), the current one highlighted."""
        current = [i for i, s in enumerate(sessions) if s.current]
        super().__init__(
            "Switch session",
            "Each session is one ledger file of the conversation. The chat shows the session "
            "you pick, and the scribe continues there (with its proposal awaiting review, if it "
            "has one).",
            [Option(session_prompt(s), id=s.id) for s in sessions],
            verb="switch",
            highlighted=current[0] if current else 0,
            list_id="session-list",
        )
        self.sessions = sessions


HAND_EDIT_CHOICES = (
    ("commit", "Commit them first, as their own change (no words quoted), then send"),
    ("aside", "Set them aside (charter handedits restore brings them back), then send"),
    ("cancel", "Cancel: send nothing, keep my message in the input"),
)
"""The hand-edit choices, as `charter say` offers them (--commit-hand-edits, --set-aside)."""


class HandEditsChoice(Picker):
    """The spec has uncommitted hand edits: commit them, set them aside, or cancel; enter picks
    the highlighted choice, escape cancels (None)."""

    def __init__(self, summary: str) -> None:
        """Ask about the hand edits `summary` names (files, requirements changed)."""
        super().__init__(
            "Uncommitted hand edits",
            f"The spec has edits no commit holds yet: {summary}. The scribe's commit would "
            "carry them unreviewed, so they are settled before your message is sent.",
            [Option(label, id=key) for key, label in HAND_EDIT_CHOICES],
            verb="choose",
            list_id="hand-edit-list",
        )
        self.summary = summary

    def picked(self, option_id: str | None) -> str | None:
        """The chosen way on (cancel returns None)."""
        return None if option_id == "cancel" else option_id
