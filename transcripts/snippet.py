"""One-line snippets of a message around the first occurrence of a search term, for result lists."""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+")
_SPACE = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u2028\u2029]+")
BEFORE = 40
WIDTH = 120


def query_terms(query: str) -> list[str]:
    """The words of a query (operators and punctuation dropped), longest first, plus the query."""
    words = sorted(set(_WORD.findall(query)), key=len, reverse=True)
    whole = query.strip().strip('"')
    return [whole, *words] if whole and whole not in words else words


def make_snippet(text: str, terms: list[str]) -> str:
    """A single line of about WIDTH characters around the earliest match of any term."""
    first: tuple[int, int] | None = None
    for term in terms:
        match = re.search(re.escape(term), text, re.IGNORECASE)
        if match and (first is None or match.start() < first[0]):
            first = (match.start(), match.end())
    start = 0 if first is None else max(0, first[0] - BEFORE)
    end = min(len(text), start + WIDTH)
    if first is not None and first[1] > end:
        end = min(len(text), first[1] + BEFORE)
    body = _SPACE.sub(" ", text[start:end]).strip()
    return f"{'…' if start > 0 else ''}{body}{'…' if end < len(text) else ''}"
