"""The ledger index's tables: their names and columns, and a record as a `messages` row and back.

`messages` has one row per record (its rowid is the message number, so FTS rowid order is message
order) with FTS5 on `text`; `messages_files` keeps, per session file, how far it is indexed.
"""

from __future__ import annotations

import json
from typing import Any

from charter.transcripts.model import Record

MESSAGES = "messages"
FILES = "messages_files"
FTS = f"{MESSAGES}_fts"
GRAMS = f"{MESSAGES}_grams"
GRAM_COLUMNS: dict[str, type] = {"gram": str, "seq": int}
TOKENIZE = "porter unicode61 remove_diacritics 2"
MESSAGE_COLUMNS: dict[str, type] = {
    "seq": int,  # the message number, also the rowid: FTS rowid order is message order
    "id": str,
    "session": str,
    "ts": str,
    "role": str,
    "kind": str,
    "text": str,
    "reply_to": str,
    "proposal": str,
    "commit": str,
    "build": str,
    "question": str,
    "data": str,
}
FILE_COLUMNS: dict[str, type] = {
    "session": str,
    "size": int,
    "mtime_ns": int,
    "offset": int,
    "tail": bytes,
    "count": int,
    "first_ts": str,
    "last_ts": str,
}


def record_row(record: Record) -> dict[str, Any]:
    """The `messages` row of a record."""
    row: dict[str, Any] = dict.fromkeys(MESSAGE_COLUMNS)
    row.update(record.to_dict())
    row["seq"] = record.number
    if record.data is not None:
        row["data"] = json.dumps(record.data, ensure_ascii=False)
    return row


def row_record(row: dict[str, Any]) -> Record:
    """Rebuild a record from its `messages` row."""
    fields = {k: v for k, v in row.items() if k in MESSAGE_COLUMNS and v is not None}
    del fields["seq"]
    if "data" in fields:
        fields["data"] = json.loads(fields["data"])
    return Record.model_validate(fields)
