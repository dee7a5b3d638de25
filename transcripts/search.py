"""Searching the ledger index: newest matches first, any input taken literally.

Words and "phrases" go through FTS5 (quoted, so no query syntax leaks in); queries the tokenizer
cannot split into words (no word characters, or a script written without spaces such as CJK) are
found through the character-gram index (`grams.py`) and checked with the exact substring test.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from charter.transcripts.grams import needs_substring_search, query_grams
from charter.transcripts.model import Hit
from charter.transcripts.rows import FTS, MESSAGES, row_record
from charter.transcripts.snippet import make_snippet, query_terms

if TYPE_CHECKING:
    from sqlite_utils import Database


def search_messages(db: Database, query: str, limit: int, role: str | None) -> list[Hit]:
    """Newest matches of a non-empty, stripped `query` in the `messages` table."""
    if needs_substring_search(query):
        rows = _substring_search(db, query, limit, role)
    else:
        # FTS5 walks its doclists in rowid order and stops at the limit; ranking every match
        # by bm25 instead costs 20x more on a large ledger (bench/bench_ledger.py). Even the
        # bm25 of the returned rows alone is not free: it counts every row holding each term
        # (a whole doclist per term), so results carry no rank at all.
        rows = list(
            db.table(MESSAGES).search(
                query,
                quote=True,
                order_by=f"{FTS}.rowid desc",
                limit=limit,
                where="role = :role" if role else None,
                where_args={"role": role} if role else None,
            )
        )
    terms = query_terms(query)
    return [Hit(record=row_record(row), snippet=make_snippet(row["text"], terms)) for row in rows]


def _substring_search(
    db: Database, query: str, limit: int, role: str | None
) -> list[dict[str, Any]]:
    """Messages containing `query` (ASCII case folded), newest first, through the gram index:
    one fixed statement (`gram_search.sql`) walks the rarest-looking gram and checks the rest."""
    first, *others = query_grams(query)
    params = {
        "gram": first,
        "others": json.dumps(others, ensure_ascii=False),
        "needle": query,
        "role": role,
        "limit": limit,
    }
    return list(db.query(_statement("gram_search"), params))


@cache
def _statement(name: str) -> str:
    """A fixed SQL statement of this package, read once from `<name>.sql`."""
    return (files("charter.transcripts") / f"{name}.sql").read_text(encoding="utf-8")
