"""A second Charter process for the lock tests: `python -m tests.lockholder WORKSPACE PURPOSE`.

It tries to take the workspace lock once and prints `won` or `lost: <message>`; a winner then
holds the lock until its stdin closes (or it is killed).
"""

from __future__ import annotations

import sys
from pathlib import Path

from charter.app.lock import LockedError, WorkspaceLock


def main(workspace: str, purpose: str) -> int:
    """Contend for the lock once; hold it until stdin closes when won."""
    try:
        lock = WorkspaceLock(Path(workspace)).acquire(purpose)
    except LockedError as exc:
        print(f"lost: {exc}", flush=True)
        return 3
    with lock:
        print("won", flush=True)
        sys.stdin.read()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
