"""The response cache: every model response stored under the hash of the request that produced it.

A request is hashed from what determines the answer (model identity, role, output schema and
messages), never from build-specific paths or times, so an unchanged request in a later build,
and every request of a `--replay`, is answered from `.charter/cache/` without a model. Entries
are content-addressed JSON files written atomically, so concurrent builds can share the cache
without a lock.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import Any


class CacheMode(StrEnum):
    """How a build uses the cache."""

    USE = "use"  # read hits, write misses
    REFRESH = "refresh"  # never read, always write (`--fresh`)
    REPLAY = "replay"  # read only; a miss is an error


class CacheMiss(LookupError):
    """A replay needed a response that is not in the cache."""


def canonical_json(value: Any) -> str:
    """Serialise to JSON with sorted keys and no whitespace: the form that gets hashed."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(value: Any) -> str:
    """SHA-256 of the canonical JSON of `value`, hex."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to a temporary file next to `path`, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class ResponseCache:
    """Responses by request hash under `root` (`.charter/cache/`)."""

    def __init__(self, root: Path, mode: CacheMode = CacheMode.USE) -> None:
        """Open (lazily create) the cache at `root`."""
        self.root = root
        self.mode = mode

    def _path(self, key: str) -> Path:
        """Where the entry for `key` lives (two-level fan-out keeps directories small)."""
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The cached entry for `key`, or None; in replay mode a miss raises CacheMiss."""
        if self.mode is CacheMode.REFRESH:
            return None
        path = self._path(key)
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            entry = None
        if entry is None and self.mode is CacheMode.REPLAY:
            raise CacheMiss(key)
        return entry

    def put(self, key: str, entry: dict[str, Any]) -> None:
        """Store `entry` under `key` (never in replay mode, which must not change the cache)."""
        if self.mode is CacheMode.REPLAY:
            return
        atomic_write(self._path(key), canonical_json(entry).encode("utf-8"))
