"""What a remote build sends and gets back: one home for both ends of the wire.

The client (`remote.py`) sends a `RemoteInput`: the committed spec snapshot of one revision (the
exact blobs of the commit tree, base64), the plan file's bytes if one was given, and the build
settings; never a model key, the ledger or `state.db`. The server (`server.py`) answers with
progress events (`BuildEvent` fields) and, at the end, an artefact archive: the build directory
(without its lock and checkpoints) and the response cache entries the build wrote, so that a
remote build can be replayed locally.
"""

from __future__ import annotations

import base64
import contextlib
import io
import os
import re
import shutil
import tarfile
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import BaseModel, Field, field_validator

GRAPH_ID = "charter_build"
TOKEN_ENV = "CHARTER_SERVER_TOKEN"  # the bearer token the server accepts (server side)
SERVER_DIR_ENV = "CHARTER_SERVER_DIR"  # where the server keeps one directory per thread
ARTEFACTS_PATH = "/charter/threads/{thread_id}/artefacts"
REMOTE_FILE = "remote.json"  # in a remote build's local directory: where it runs
BUILD_PREFIX = "build/"
CACHE_PREFIX = "cache/"
# Files of a build directory that belong to the process running it, not to its artefacts.
LOCAL_ONLY = frozenset({"build.lock", "checkpoints.db", "checkpoints.db-wal", "checkpoints.db-shm"})
BUILD_ID_RE = re.compile(r"^b-\d{8}-\d{6}-[0-9a-f]{6}$")


class RemoteSettings(BaseModel):
    """The client's `[build]` settings a server honours (its own jail decides the rest)."""

    model_config = {"extra": "forbid"}

    concurrency: int = Field(ge=1, le=64)
    max_fix_attempts: int = Field(ge=0, le=10)
    verify_timeout: float = Field(gt=0)
    output_bytes: int = Field(gt=0)
    file_bytes: int = Field(gt=0)
    processes: int = Field(ge=8)
    network: bool
    plan_only: bool = False
    force: bool = False
    fresh: bool = False
    replan: bool = False
    forced_audit: list[str] = Field(default_factory=list)


class RemoteInput(BaseModel):
    """The input of the server's build graph: one revision's committed spec and how to build."""

    model_config = {"extra": "forbid"}

    build_id: str
    rev: str
    commit: str = Field(pattern=r"^[0-9a-f]{40}([0-9a-f]{24})?$")
    spec: dict[str, str]  # path relative to the spec dir -> base64 of the blob's bytes
    plan: str | None = None  # base64 of the plan file's bytes
    settings: RemoteSettings

    @field_validator("build_id")
    @classmethod
    def _build_id(cls, value: str) -> str:
        """A build ID names a directory on the server: only the `b-...` form is accepted."""
        if not BUILD_ID_RE.match(value):
            raise ValueError(f"{value!r} is not a build ID")
        return value

    @field_validator("spec")
    @classmethod
    def _spec_paths(cls, value: dict[str, str]) -> dict[str, str]:
        """Spec paths become files of the server's snapshot: relative `.md` paths only."""
        for rel in value:
            pure = PurePosixPath(rel)
            if pure.is_absolute() or ".." in pure.parts or "\\" in rel or not rel.endswith(".md"):
                raise ValueError(f"{rel!r} is not a spec file path")
        return value

    @classmethod
    def make(
        cls,
        *,
        build_id: str,
        rev: str,
        commit: str,
        files: dict[str, bytes],
        plan: bytes | None,
        settings: RemoteSettings,
    ) -> RemoteInput:
        """Encode a snapshot for the wire."""
        return cls(
            build_id=build_id,
            rev=rev,
            commit=commit,
            spec={rel: _b64(data) for rel, data in sorted(files.items())},
            plan=_b64(plan) if plan is not None else None,
            settings=settings,
        )

    def files(self) -> dict[str, bytes]:
        """The spec snapshot, decoded."""
        return {rel: base64.b64decode(text) for rel, text in self.spec.items()}

    def plan_bytes(self) -> bytes | None:
        """The plan file's bytes, decoded (None when the planner makes the plan)."""
        return base64.b64decode(self.plan) if self.plan is not None else None


class RemoteLink(BaseModel):
    """`remote.json` of a remote build's local directory: where the build runs."""

    url: str
    thread_id: str
    build_id: str


def _b64(data: bytes) -> str:
    """Base64 text of `data`."""
    return base64.b64encode(data).decode("ascii")


def pack_artefacts(build_root: Path, cache_root: Path) -> bytes:
    """A gzip tarball of a build directory (`build/...`) and its cache entries (`cache/...`)."""
    buf = io.BytesIO()
    # Fast compression: git objects are compressed already, and the server packs many builds.
    with tarfile.open(fileobj=buf, mode="w:gz", compresslevel=1) as tar:
        for path in sorted(build_root.rglob("*")):
            rel = path.relative_to(build_root)
            if rel.parts[0] in LOCAL_ONLY or path.name.endswith(".tmp"):
                continue
            tar.add(path, BUILD_PREFIX + rel.as_posix(), recursive=False)
        if cache_root.is_dir():
            for path in sorted(cache_root.rglob("*.json")):
                tar.add(path, CACHE_PREFIX + path.relative_to(cache_root).as_posix())
    return buf.getvalue()


def unpack_artefacts(data: bytes, build_root: Path, cache_dir: Path, keep: dict[str, Any]) -> None:
    """Replace the local `build_root` with the archive's build; add its cache entries to
    `cache_dir`; write `keep` (file name -> JSON-able text) into the new directory first."""
    build_root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".remote-", dir=build_root.parent))
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            # The "tar" filter refuses absolute paths, `..` and links leading outside.
            tar.extractall(staging, filter="tar")
        new_build = staging / BUILD_PREFIX.rstrip("/")
        new_build.mkdir(exist_ok=True)
        for name, text in keep.items():
            (new_build / name).write_text(text, encoding="utf-8")
        cache = staging / CACHE_PREFIX.rstrip("/")
        if cache.is_dir():
            for entry in cache.rglob("*.json"):
                target = cache_dir / entry.relative_to(cache)
                if not target.exists():  # content-addressed: an existing entry is the same
                    target.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(entry, target)
        old = build_root.with_name(f".{build_root.name}.old")
        if build_root.exists():
            os.replace(build_root, old)
        os.replace(new_build, build_root)
        _remove(old)
    finally:
        _remove(staging)


def _remove(path: Path) -> None:
    """Delete a tree, read-only files (the spec snapshot, git objects) included."""
    if not path.exists():
        return

    def writable(fn: Any, target: str, _exc: Any) -> None:
        """Make the entry and its directory writable, and retry."""
        os.chmod(os.path.dirname(target), 0o700)
        with contextlib.suppress(OSError):
            os.chmod(target, 0o700)
        fn(target)

    shutil.rmtree(path, onerror=writable)
