"""Rendering helpers: provenance badges, requirement labels, diffs and commit lines as Rich Text.

Everything here returns `rich.text.Text` built from plain strings, never from markup, so user and
model text (which may contain `[bold]` or other markup-like brackets) always shows literally.
Provenance reads without colour: each badge is a letter (E explicit, I inferred, C confirmed,
L locked); colour only reinforces it.
"""

from __future__ import annotations

from rich.text import Text

from charter.specs import ProvenanceKind, Requirement

BADGE_LETTER: dict[ProvenanceKind | None, str] = {
    ProvenanceKind.EXPLICIT: "E",
    ProvenanceKind.INFERRED: "I",
    ProvenanceKind.CONFIRMED: "C",
    None: "?",
}
BADGE_STYLE: dict[str, str] = {
    "E": "bold black on green",
    "I": "bold black on yellow",
    "C": "bold black on cyan",
    "L": "bold white on magenta",
    "?": "bold white on red",
}
BADGE_MEANING: dict[str, str] = {
    "E": "explicit: the user said it (cites messages and a verbatim quote)",
    "I": "inferred: the scribe's inference, with its reason",
    "C": "confirmed: was inferred, the user confirmed it",
    "L": "LOCKED: the builder must not deviate, the scribe must not change it unasked",
    "?": "no provenance line",
}


def kind_of(value: str | ProvenanceKind | None) -> ProvenanceKind | None:
    """Coerce a provenance kind given as text into the enum (None when unknown)."""
    if value is None or isinstance(value, ProvenanceKind):
        return value
    try:
        return ProvenanceKind(str(value).lower())
    except ValueError:
        return None


def badge(kind: str | ProvenanceKind | None, locked: bool = False) -> Text:
    """`E`/`I`/`C` (plus `L` when locked) as coloured letter cells, always 4 cells wide."""
    letter = BADGE_LETTER[kind_of(kind)]
    out = Text()
    out.append(letter, style=BADGE_STYLE[letter])
    out.append(" ")
    if locked:
        out.append("L", style=BADGE_STYLE["L"])
    else:
        out.append(" ")
    out.append(" ")
    return out


def requirement_kind(req: Requirement) -> ProvenanceKind | None:
    """The requirement's provenance kind, or None when it has no provenance line."""
    return req.provenance.kind if req.provenance else None


VERDICT_MARK: dict[str, tuple[str, str]] = {
    "verified": ("✓", "bold green"),
    "failing": ("✗", "bold red"),
    "built without examples": ("○", "yellow"),
    "not built": ("·", "dim"),
}
"""The build-verdict badge (readable without colour: one distinct glyph per verdict)."""


def verdict_badge(verdict: str | None) -> Text:
    """The verdict glyph and a space (two blank cells while the verdicts are not known)."""
    if verdict is None:
        return Text("  ")
    mark, style = VERDICT_MARK.get(verdict, VERDICT_MARK["not built"])
    out = Text(mark, style=style)
    out.append(" ")
    return out


def requirement_label(req: Requirement, width: int = 0, verdict: str | None = None) -> Text:
    """Tree label: provenance badge, build-verdict badge, bold ID and the text on one line."""
    out = badge(requirement_kind(req), req.locked)
    out.append_text(verdict_badge(verdict))
    out.append(req.id, style="bold")
    out.append(" ")
    text = " ".join(req.text.split())
    if width and len(text) > width:
        text = text[: max(width - 1, 0)] + "…"
    out.append(text)
    return out


def legend(per_line: int = 4) -> Text:
    """The badge letters explained, `per_line` entries per line, in aligned columns."""
    out = Text()
    entries = (("E", "explicit"), ("I", "inferred"), ("C", "confirmed"), ("L", "locked"))
    for n, (letter, word) in enumerate(entries):
        if n and n % per_line == 0:
            out.append("\n")
        out.append(letter, style=BADGE_STYLE[letter])
        out.append(f" {word:<11}" if (n + 1) % per_line else f" {word}")
    out.rstrip()
    return out


def diff_text(diff: str) -> Text:
    """A unified diff coloured line by line (+ green, - red, @@ cyan, headers bold)."""
    out = Text()
    for line in diff.splitlines():
        if line.startswith(("+++", "---", "diff ", "index ")):
            style = "bold"
        elif line.startswith("+"):
            style = "green"
        elif line.startswith("-"):
            style = "red"
        elif line.startswith("@@"):
            style = "cyan"
        else:
            style = ""
        out.append(line, style=style)
        out.append("\n")
    out.rstrip()
    return out


def plain(text: str, style: str = "") -> Text:
    """User or model text as literal Text: no markup, no emoji codes, no highlighting."""
    return Text(text, style=style, end="")
