"""Searching the ledger index: newest matches first, any input taken literally.

Words and "phrases" go through FTS5 (quoted, so no query syntax leaks in); queries the tokenizer
cannot split into words (no word characters, or a script written without spaces such as CJK) are
found by substring instead.
"""

from __future__ import annotations

import re

from sqlite_utils.db import Table

from charter.transcripts.model import Hit
from charter.transcripts.rows import FTS, row_record
from charter.transcripts.snippet import make_snippet, query_terms

_WORD = re.compile(r"\w")
_UNSPACED = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff"
    "\uff66-\uff9f\U00020000-\U0003134f]"
)


def search_messages(messages: Table, query: str, limit: int, role: str | None) -> list[Hit]:
    """Newest matches of a non-empty, stripped `query` in the `messages` table."""
    where = "role = :role" if role else None
    args = {"role": role} if role else None
    if needs_substring_scan(query):
        condition = "instr(lower(text), lower(:needle)) > 0"
        rows = list(
            messages.rows_where(
                f"{condition} and {where}" if where else condition,
                {"needle": query, **(args or {})},
                order_by="seq desc",
                limit=limit,
            )
        )
    else:
        # FTS5 walks its doclists in rowid order and stops at the limit; ranking every match
        # by bm25 instead costs 20x more on a large ledger (bench/bench_ledger.py).
        rows = list(
            messages.search(
                query,
                quote=True,
                order_by=f"{FTS}.rowid desc",
                limit=limit,
                where=where,
                where_args=args,
                include_rank=True,
            )
        )
    terms = query_terms(query)
    return [
        Hit(
            record=row_record(row),
            snippet=make_snippet(row["text"], terms),
            rank=row.get("rank"),
        )
        for row in rows
    ]


def needs_substring_scan(query: str) -> bool:
    """Whether the tokenizer cannot find this query as words: it has no word characters, or
    it is in a script written without spaces between words (CJK, Thai, ...)."""
    return not _WORD.search(query) or bool(_UNSPACED.search(query))
