"""Searching the ledger index: newest matches first, any input taken literally.

Words and "phrases" go through FTS5 (quoted, so no query syntax leaks in); queries the tokenizer
cannot split into words (no word characters, or a script written without spaces such as CJK) are
found through the character-gram index (`grams.py`) and checked with the exact substring test.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from charter.transcripts.grams import needs_substring_search, query_grams
from charter.transcripts.model import Hit
from charter.transcripts.rows import FTS, GRAMS, MESSAGES, row_record
from charter.transcripts.snippet import make_snippet, query_terms

if TYPE_CHECKING:
    from sqlite_utils import Database


def search_messages(db: Database, query: str, limit: int, role: str | None) -> list[Hit]:
    """Newest matches of a non-empty, stripped `query` in the `messages` table."""
    if needs_substring_search(query):
        rows = _substring_search(db, query, limit, role)
    else:
        # FTS5 walks its doclists in rowid order and stops at the limit; ranking every match
        # by bm25 instead costs 20x more on a large ledger (bench/bench_ledger.py).
        rows = list(
            db.table(MESSAGES).search(
                query,
                quote=True,
                order_by=f"{FTS}.rowid desc",
                limit=limit,
                where="role = :role" if role else None,
                where_args={"role": role} if role else None,
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


def _substring_search(
    db: Database, query: str, limit: int, role: str | None
) -> list[dict[str, Any]]:
    """Messages containing `query` (ASCII case folded), newest first: candidates come from the
    gram index, walked newest first along the rarest-looking gram, and each is checked for the
    other grams and with the exact substring test, so the walk stops at `limit`."""
    first, *others = query_grams(query)
    params: dict[str, Any] = {"gram": first, "needle": query, "limit": limit}
    checks = ["instr(lower(m.text), lower(:needle)) > 0"]
    for n, gram in enumerate(others):
        params[f"g{n}"] = gram
        checks.append(f"exists (select 1 from [{GRAMS}] o where o.gram = :g{n} and o.seq = g.seq)")
    if role:
        params["role"] = role
        checks.append("m.role = :role")
    sql = (
        f"select m.* from [{GRAMS}] g join [{MESSAGES}] m on m.seq = g.seq "
        f"where g.gram = :gram and {' and '.join(checks)} order by g.seq desc limit :limit"
    )
    return list(db.query(sql, params))
