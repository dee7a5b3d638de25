"""Provenance lines in the parser: a line's body read into a `Provenance` (DESIGN §4).

What is malformed is reported at its column and what can be kept is kept; whether the kept
fields make a valid provenance is the validator's job (`specs.validate_provenance`).
"""

from __future__ import annotations

import re

from charter.specs.model import Provenance, ProvenanceKind, Severity
from charter.specs.parse_lines import ParseState

_PROV_BODY_RE = re.compile(r"([A-Za-z]+)[ \t]*(?:\(([^)]*)\))?[ \t]*(.*)$")

_KINDS = {k.value: k for k in ProvenanceKind}


def parse_provenance(st: ParseState, j: int, s: str, pm: re.Match[str]) -> Provenance | None:
    """Parse a provenance line body, reporting what is malformed; keep what can be kept."""
    body = pm.group(1).strip()
    body_col = pm.start(1) + 1
    line = j + 1
    bm = _PROV_BODY_RE.match(body)
    kind = _KINDS.get(bm.group(1).lower()) if bm else None
    if bm is None or kind is None:
        st.report(
            Severity.ERROR,
            "malformed-provenance",
            "provenance must start with explicit, inferred or confirmed",
            line,
            body_col,
        )
        return None
    messages: list[str] = []
    if bm.group(2) is not None:
        messages = [x.strip() for x in bm.group(2).split(",") if x.strip()]
    rest = bm.group(3)
    rest_col = body_col + bm.start(3)
    payload: str | None = None
    if rest.startswith(":"):
        payload = rest[1:].strip()
    elif rest:
        st.report(
            Severity.ERROR,
            "malformed-provenance",
            f"expected `{kind.value} (m-0001): …` here, found {rest[:20]!r}",
            line,
            rest_col,
        )
    reason = quote = None
    if payload and kind is ProvenanceKind.INFERRED:
        reason = payload
    elif payload and len(payload) >= 2 and payload[0] == '"' and payload[-1] == '"':
        quote = payload[1:-1]
    elif payload:
        st.report(
            Severity.ERROR,
            "malformed-provenance",
            'the quote must be the user\'s words in straight double quotes: "…"',
            line,
            rest_col + rest.index(payload[0]),
        )
    return Provenance(kind=kind, messages=messages, quote=quote, reason=reason, line=line)
