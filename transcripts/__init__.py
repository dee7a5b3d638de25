"""The verbatim transcript ledger (append-only JSONL per session) and its SQLite full-text index.

Public surface: `Ledger` (append, read, search, sessions, reindex), the `Record` model and the
read/search result models, `LedgerError` for refused operations, and messages kept but not
answered yet (`hold`, `unanswered`, `spool`, `drain_spool`).
"""

from charter.transcripts.held import HELD, drain_spool, hold, spool, unanswered
from charter.transcripts.jsonl import read_session
from charter.transcripts.ledger import Ledger
from charter.transcripts.model import (
    MESSAGE_ID_RE,
    ROLES,
    SESSION_ID_RE,
    Hit,
    LedgerError,
    LedgerProblem,
    Record,
    ReindexStats,
    Role,
    SessionInfo,
    SessionRead,
)

__all__ = [
    "HELD",
    "MESSAGE_ID_RE",
    "ROLES",
    "SESSION_ID_RE",
    "Hit",
    "Ledger",
    "LedgerError",
    "LedgerProblem",
    "Record",
    "ReindexStats",
    "Role",
    "SessionInfo",
    "SessionRead",
    "drain_spool",
    "hold",
    "read_session",
    "spool",
    "unanswered",
]
