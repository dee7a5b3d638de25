"""Builds from the TUI: launch `charter build REV` as its own process (DESIGN §7), and read every
build's record (status and task states, rewritten atomically by the builder as it runs) and the
questions builds raised, through `graphs.build`'s public readers.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import Any

from app.tui.backend import Backend
from app.tui.views import BuildTaskView, BuildView, QuestionView

MAX_LISTED = 50


def build_view(record: Any) -> BuildView:
    """A `graphs.build` BuildRecord as the pane shows it."""
    tasks = [
        BuildTaskView(
            id=task.id,
            title=task.title,
            state=task.state.value,
            detail=task.error or (f"question {task.question}" if task.question else ""),
        )
        for task in record.tasks.values()
    ]
    return BuildView(
        id=record.id,
        status=record.status.value,
        rev=record.commit or record.rev,
        started=record.started[:19].replace("T", " "),
        tasks=tasks,
        error=record.message or "",
    )


class BuildRunner:
    """Starts build processes and lists builds."""

    def __init__(self, backend: Backend) -> None:
        """Builds of `backend`'s workspace."""
        self.backend = backend
        self.running = 0

    def list_builds(self) -> list[BuildView]:
        """The newest builds first (at most MAX_LISTED); blocking, run it on the I/O thread."""
        builds_dir = self.backend.workspace.builds_dir
        if not builds_dir.is_dir():
            return []
        from graphs.build import list_builds

        return [build_view(r) for r in reversed(list_builds(builds_dir)[-MAX_LISTED:])]

    def list_questions(self) -> list[QuestionView]:
        """Every question a build raised, newest first; blocking."""
        builds_dir = self.backend.workspace.builds_dir
        if not builds_dir.is_dir():
            return []
        from graphs.build import list_questions

        return [
            QuestionView(id=q.id, build=q.build, task=q.task, text=q.text)
            for q in reversed(list_questions(builds_dir))
        ]

    def command(self, rev: str) -> list[str]:
        """`charter -C ROOT build REV`, run with this interpreter. `-P` keeps the working
        directory off sys.path: a workspace's `specs/` and `transcripts/` directories would
        otherwise shadow Charter's packages of the same names."""
        root = str(self.backend.workspace.root)
        return [sys.executable, "-P", "-m", "app.cli", "-C", root, "build", rev]

    async def run(self, rev: str, on_line: Callable[[str], None]) -> int:
        """Run `charter build REV`, passing each output line to `on_line`; return its exit code."""
        self.running += 1
        try:
            proc = await asyncio.create_subprocess_exec(
                *self.command(rev),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                env=dict(self.backend.env),
                cwd=str(self.backend.workspace.root),
            )
            assert proc.stdout is not None
            async for raw in proc.stdout:
                on_line(raw.decode("utf-8", "replace").rstrip("\n"))
            return await proc.wait()
        finally:
            self.running -= 1
