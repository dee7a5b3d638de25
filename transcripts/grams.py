"""Character grams for the searches full-text words cannot answer: queries in scripts written
without spaces (CJK, Thai, ...) and queries with no word characters at all (`*`, `🚀`).

The word index (FTS5, porter) sees `日本語のラベル` as one token and `*` as nothing, so such a
query used to scan every message. Instead each message contributes its "special" characters
(anything that is neither a space nor an ordinary word character, plus every character of an
unspaced script) as unigrams and the bigrams around them; a query's grams are then looked up
in an index and only the messages holding them are checked with the exact substring test. The
grams are a filter that can only let through too much, never too little: a text that contains
the query contains every gram of it (SQLite's `lower()` folds ASCII only, and so do the grams).
"""

from __future__ import annotations

import re
from functools import cache

_UNSPACED_CLASS = (
    "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff"
    "\uff66-\uff9f\U00020000-\U0003134f"
)
_WORD = re.compile(r"\w")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


# Compiled on first use: the wide character classes cost milliseconds to compile, and a
# command that only reads the index (`charter status`) never needs them.
@cache
def _unspaced() -> re.Pattern[str]:
    """A character of a script written without spaces between words."""
    return re.compile(f"[{_UNSPACED_CLASS}]")


@cache
def _special() -> re.Pattern[str]:
    """A character that is neither a space nor an ordinary word character, or unspaced."""
    return re.compile(rf"[^\w\s]|[{_UNSPACED_CLASS}]")


def needs_substring_search(query: str) -> bool:
    """Whether the word index cannot find this query: it has no word characters, or it is in a
    script written without spaces between words (CJK, Thai, ...)."""
    return not _WORD.search(query) or bool(_unspaced().search(query))


def fold(text: str) -> str:
    """Lower-case ASCII letters only, exactly as SQLite's built-in `lower()` does."""
    return text.translate(_ASCII_LOWER)


def message_grams(text: str) -> set[str]:
    """Every special character of a message and the two bigrams around each one."""
    folded = fold(text)
    grams: set[str] = set()
    for found in _special().finditer(folded):
        i = found.start()
        grams.add(folded[i])
        if i > 0:
            grams.add(folded[i - 1 : i + 1])
        if i + 1 < len(folded):
            grams.add(folded[i : i + 2])
    return grams


def query_grams(query: str) -> list[str]:
    """The grams a message must hold to contain `query` (a substring-search query), the one
    most likely to be rare first (unspaced-script and other non-ASCII characters, bigrams)."""
    folded = fold(query)
    if len(folded) == 1:
        return [folded]
    special = _special()
    grams = {
        folded[i : i + 2]
        for i in range(len(folded) - 1)
        if special.match(folded, i) or special.match(folded, i + 1)
    }
    return sorted(grams, key=lambda g: (-sum(not c.isascii() for c in g), g))
