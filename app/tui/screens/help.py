"""The F1 help screen: every key and palette action, the provenance badges, the newline key."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

from charter.app.tui.commands import ACTIONS


def help_markdown() -> str:
    """The help text, with the action table generated from the one list of actions."""
    rows = "\n".join(f"| {a.key or '—'} | {a.title} | {a.help} |" for a in ACTIONS)
    return f"""\
# Charter

Talk to the **scribe** in the chat; it proposes spec changes that you review.
Nothing changes until you accept, and every accepted proposal is one git commit carrying
your words verbatim.

## Chat input

| key | does |
| --- | --- |
| Enter | send the message |
| ctrl+j | new line (works in every terminal; shift+enter too where the terminal reports it) |
| ↑ / ↓ | previous / next message you sent (on the first / last line) |
| tab / shift+tab | move to the next / previous pane |

## Reviewing a proposal

While a proposal awaits review, its keys act on it **whatever has focus**: on the card, in the
chat log, in a side pane, and in the chat input **while the input is empty** (the input then says
so). Once you have typed a first character, every key is text; to start a message with a, r, e or
c while a proposal is open, type a capital letter or any other key first. A side pane's own key
wins there: **c** on the spec tree confirms the highlighted requirement.

| key | does |
| --- | --- |
| a | accept: commit the change with your words |
| r | reject: asks why; your reason is recorded and given to the scribe |
| e | edit the items, then accept: your text becomes explicit |
| c | confirm inferred items and accept: one commit, they become confirmed citing your words |

Each item shows its operation: **+** add, **~** change, **-** remove, **>** move a requirement;
**+§ ~§ -§** a section; **+ex ~ex -ex** an example (a shell session, shown line by line under
the requirement it belongs to; only requirement text can be edited with **e**).

## Hand edits

If you edited files under specs/ yourself and have not committed them, sending a message first
asks what to do with those edits: **commit them first** as their own change (no words quoted),
**set them aside** (the spec goes back to HEAD; `charter handedits restore` brings them back), or
**cancel** (nothing is sent; your message stays in the input). Enter picks, Escape cancels.

## Provenance badges (they read without colour)

| badge | meaning |
| --- | --- |
| E | explicit: you said it; cites your message and your verbatim words |
| I | inferred: the scribe's inference, with its reason |
| C | confirmed: was inferred, you confirmed it |
| L | LOCKED: builders must not deviate; the scribe must not change it unless you ask |

## Spec tree

Enter expands; **h** shows the commits that touched the requirement; **c** confirms an inferred one.

After the provenance badge each requirement has its **build verdict** in the latest build of
HEAD (as `charter coverage`):

| mark | verdict |
| --- | --- |
| ✓ | verified: built, and every example passes |
| ✗ | failing: built, and an example fails (or did not run) |
| ○ | built without examples: nothing checks it (the model's own tests never verify) |
| · | not built: no build of HEAD yet, or no task built it |

## Builds pane (F5)

**B** builds HEAD (or pick a commit in History and press **b**). The task table follows the
selected build live. **p** opens every model call of the build (prompts and responses verbatim,
with tokens and timing), grouped per task and starting at the highlighted task; **m** opens its
report.md (plan, assumptions, deviations and questions are listed there too). A question a build
raised is answered with **enter** in the questions list: your answer goes to the scribe, which
proposes the spec change for review.

**x** exports the selected build's generated files into a directory (new or empty; relative to
the workspace) and **g** commits them as the only commit of a new branch (your HEAD, index and
work tree stay as they are), as `charter build export`. **d** diffs the selected build with
another one you pick: the spec changes by requirement ID, then the generated files, as
`charter build diff`.

## Audit pane (F6)

The structural check (as `charter validate`) and the stored audit of the spec as it is now,
shown without a model call. **R** runs the audit with the auditor model (an unchanged spec costs
no model call); **f** cycles the severity filter (all, errors, warnings, notes); **enter** jumps to
the finding's requirement in the spec tree (again: its next one); **x** asks the scribe for a fix,
whose proposal appears in the chat for review like any other (its commit names the finding).

## Everything else (also in the command palette, ctrl+p)

| key | action | |
| --- | --- | --- |
{rows}

Quit with ctrl+q. Press escape or F1 to close this help.
"""


class HelpScreen(ModalScreen[None]):
    """Scrollable Markdown help; escape, q or F1 closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,f1", "dismiss", "Close help", priority=True),
    ]

    def compose(self) -> ComposeResult:
        """The help document in a scrolling frame."""
        with VerticalScroll(id="help-box") as box:
            box.border_title = "Help"
            box.border_subtitle = "esc to close"
            yield Markdown(help_markdown(), open_links=False)

    def on_mount(self) -> None:
        """Focus the scroller so arrow keys scroll the help."""
        self.query_one("#help-box").focus()

    async def action_dismiss(self, result: None = None) -> None:
        """Close the help."""
        self.dismiss(result)
