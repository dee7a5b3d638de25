"""The validator's provenance checks: a provenance line's fields, and its quote in the ledger.

A provenance (of a requirement or of an example) must be well formed: explicit cites messages and
quotes them, inferred gives a reason, nothing the format would lose. With a ledger lookup, every
cited message must be a user message and the quote must occur verbatim in one. Columns assume the
canonical layout of the provenance line (`specs.render`).
"""

from __future__ import annotations

from collections.abc import Callable

from charter.specs.model import MSG_ID_RE, Provenance, ProvenanceKind, Requirement, Severity
from charter.specs.render import PROVENANCE_PREFIX, render_provenance

Report = Callable[[Severity, str, str, int, int, str | None], None]
"""Records one finding: severity, code, message, line, column, requirement ID."""
MessageText = Callable[[str], str | None]
"""A user message's text by ID, None when the ledger has no such message."""


def _provenance_columns(p: Provenance) -> tuple[int, int, int]:
    """Columns on a provenance line (canonical layout): its kind, first cited ID, and quote."""
    body = render_provenance(p)
    base = len(PROVENANCE_PREFIX) + 1  # column of the body's first character
    quote = base + body.find(': "') + 2 if p.quote is not None else base
    return base, base + body.find(" (") + 2, quote


def _message_column(p: Provenance, index: int) -> int:
    """The column of the `index`-th cited message ID on a provenance line."""
    return _provenance_columns(p)[1] + sum(len(m) + 2 for m in p.messages[:index])


def check_provenance(r: Requirement, p: Provenance, report: Report) -> None:
    """Check a provenance line's fields (its quote against the ledger: `check_quote`)."""
    line = p.line or r.line
    kind_col, offset, quote_col = _provenance_columns(p)

    def bad(code: str, message: str, column: int) -> None:
        """Report an ERROR on this provenance line."""
        report(Severity.ERROR, code, message, line, column, r.id)

    for msg in p.messages:
        if not MSG_ID_RE.match(msg):
            bad(
                "malformed-message-id",
                f"malformed message ID {msg!r} in the provenance of {r.id}: expected m-0001",
                offset,
            )
        offset += len(msg) + 2
    kind = p.kind
    if kind is ProvenanceKind.INFERRED:
        if not (p.reason and p.reason.strip()):
            bad(
                "inferred-without-reason",
                f"inferred provenance of {r.id} must give the scribe's reason "
                "(`> inferred: reason`)",
                kind_col,
            )
        if p.quote is not None:
            bad(
                "unexpected-quote",
                f"inferred provenance of {r.id} cannot carry a quote; it would be lost",
                kind_col,
            )
    else:
        if not p.messages:
            bad(
                f"{kind.value}-without-messages",
                f"{kind.value} provenance of {r.id} must cite the user's message(s), "
                f'e.g. `> {kind.value} (m-0007): "…"`',
                kind_col,
            )
        if kind is ProvenanceKind.EXPLICIT and not p.quote:
            bad(
                "explicit-without-quote",
                f'explicit provenance of {r.id} must quote the user\'s words: `: "…"`',
                kind_col if p.quote is None else quote_col,
            )
        if p.reason is not None:
            bad(
                "unexpected-reason",
                f"{kind.value} provenance of {r.id} cannot carry a reason; it would be lost",
                kind_col,
            )
    for name, value in (("quote", p.quote), ("reason", p.reason)):
        if value is not None and ("\n" in value or "\r" in value):
            bad(
                "multiline-provenance",
                f"the {name} in the provenance of {r.id} must be a single line",
                kind_col,
            )


def check_quote(r: Requirement, p: Provenance, lookup: MessageText, report: Report) -> None:
    """Every cited message must be a known user message; the quote must occur in one."""
    cited = [(i, m) for i, m in enumerate(p.messages) if MSG_ID_RE.match(m)]
    if not cited:
        return
    line = p.line or r.line
    texts: list[str] = []
    for index, msg_id in cited:
        text = lookup(msg_id)
        if text is None:
            report(
                Severity.ERROR,
                "unknown-message",
                f"{r.id} cites {msg_id}, which is not a user message in the ledger",
                line,
                _message_column(p, index),
                r.id,
            )
        else:
            texts.append(text)
    if p.quote and len(texts) == len(cited) and not any(p.quote in t for t in texts):
        cited_ids = ", ".join(m for _, m in cited)
        report(
            Severity.ERROR,
            "quote-not-found",
            f"the quote of {r.id} is not found verbatim in {cited_ids}; quote the user's "
            "exact words or mark the requirement inferred",
            line,
            _provenance_columns(p)[2],
            r.id,
        )
