"""Session files on disk: durable appends, tolerant reads, and finding a file's last record.

Lines are split on `\\n` bytes only (never `str.splitlines`, which would also split on U+2028,
U+0085 and friends that JSON leaves unescaped). A torn or garbled line is reported as a
`LedgerProblem` and never hides the lines around it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from charter.transcripts.model import LedgerProblem, Record, SessionRead, message_number

_CHUNK = 64 * 1024
# A torn line still starts with its ID (the first key): never hand that number out again.
_TORN_ID = re.compile(rb'^\{"id":"m-(\d{4,})"')


@dataclass(frozen=True)
class FileState:
    """Size and modification time of a session file, as the index remembers them."""

    size: int
    mtime_ns: int

    @classmethod
    def of(cls, st: os.stat_result) -> FileState:
        """Build from a stat result."""
        return cls(st.st_size, st.st_mtime_ns)


@dataclass(frozen=True)
class Appended:
    """Where an append landed: the file's state before and after, and the bytes written."""

    before: FileState
    after: FileState
    line: bytes


def parse_line(raw: bytes, session: str) -> Record:
    """Parse one JSONL line into a Record of `session`; raise ValueError with a short reason."""
    try:
        record = Record.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ValueError(f"{where}: {first['msg']}" if where else first["msg"]) from None
    if record.session != session:
        raise ValueError(f"record {record.id} names session {record.session}, not {session}")
    return record


def read_session(
    path: Path, offset: int = 0, first_line: int = 1, end: int | None = None
) -> SessionRead:
    """Read every record of a session file from `offset` (up to the line boundary `end`, else to
    the end of the file), reporting unreadable lines as problems."""
    session = path.stem
    try:
        with path.open("rb") as fh:
            fh.seek(offset)
            data = fh.read() if end is None else fh.read(max(0, end - offset))
    except FileNotFoundError:
        return SessionRead(end_offset=offset, next_line=first_line)
    records: list[Record] = []
    problems: list[LedgerProblem] = []
    lines = data.split(b"\n")
    tail = lines.pop()  # bytes after the last newline: empty unless the last line is unterminated
    for number, raw in enumerate(lines, start=first_line):
        if not raw.strip():
            continue
        try:
            records.append(parse_line(raw, session))
        except ValueError as exc:
            problems.append(LedgerProblem(file=str(path), line=number, message=f"garbled: {exc}"))
    end_offset = offset + len(data) - len(tail)
    next_line = first_line + len(lines)
    if tail.strip():
        try:
            records.append(parse_line(tail, session))
        except ValueError as exc:
            problems.append(
                LedgerProblem(
                    file=str(path),
                    line=next_line,
                    message=f"incomplete last line ({len(tail)} bytes, torn write?): {exc}",
                )
            )
    return SessionRead(
        records=records, problems=problems, end_offset=end_offset, next_line=next_line
    )


def last_number(path: Path) -> int | None:
    """The highest message number at the end of a file: its last readable record's, or that of a
    torn line after it (read backwards from the end, so only the tail is read)."""
    try:
        fh = path.open("rb")
    except FileNotFoundError:
        return None
    session = path.stem
    torn: int | None = None
    with fh:
        pos = fh.seek(0, os.SEEK_END)
        pending = b""  # the (possibly partial) first line of what has been read so far
        while True:
            start = max(0, pos - _CHUNK)
            fh.seek(start)
            chunk = fh.read(pos - start) + pending
            pos = start
            lines = chunk.split(b"\n")
            pending = lines.pop(0) if pos > 0 else b""
            for raw in reversed(lines):
                number = _number_of(raw, session)
                if number is not None:
                    return max(number, torn or 0)
                match = _TORN_ID.match(raw.lstrip())
                if match:
                    torn = max(torn or 0, int(match.group(1)))
            if pos == 0:
                return torn


def _number_of(raw: bytes, session: str) -> int | None:
    """The message number of a line if it is a readable record."""
    if not raw.strip():
        return None
    try:
        return message_number(parse_line(raw, session).id)
    except ValueError:
        return None


def append_line(path: Path, line: bytes) -> Appended:
    """Append one line and fsync it (and the directory for a new file) before returning."""
    directory = path.parent
    if not directory.is_dir():
        directory.mkdir(parents=True, exist_ok=True)
        _fsync_dir(directory.parent)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        before = FileState.of(os.fstat(fd))
        # After a torn write the file does not end in a newline: start on a fresh line so the
        # new record is never glued onto the torn bytes.
        if before.size > 0 and os.pread(fd, 1, before.size - 1) != b"\n":
            line = b"\n" + line
        view = memoryview(line)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
        after = FileState.of(os.fstat(fd))
    finally:
        os.close(fd)
    if before.size == 0:
        _fsync_dir(directory)
    return Appended(before=before, after=after, line=line)


def _fsync_dir(directory: Path) -> None:
    """Make a directory entry (a newly created file) durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
