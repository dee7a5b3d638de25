"""Builds from the TUI: launch `charter build REV` as its own process (DESIGN §7), and read every
build's record (status and task states, rewritten atomically by the builder as it runs), the
questions builds raised (through `graphs.build`'s public readers), and a build's files: every
model call in `calls/` (prompts and responses verbatim, with token usage and timing) and its
Markdown reports.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from charter.app.tui.clients.workspace import Backend
from charter.app.tui.views import BuildTaskView, BuildView, CallView, QuestionView

MAX_LISTED = 50
BUILD_FILES = ("report.md", "plan.toml", "assumptions.md", "deviations.md", "questions.md")
"""The files of a build directory the browser offers besides its calls, in this order."""


def call_view(name: str, data: dict[str, Any]) -> CallView:
    """A call file's summary: who asked, for which task, tokens and time over its exchanges."""
    exchanges = data.get("exchanges") or []
    tokens = sum(int((e.get("usage") or {}).get("total_tokens") or 0) for e in exchanges)
    return CallView(
        name=name,
        role=str(data.get("role") or "?"),
        task=data.get("task"),
        attempt=int(data.get("attempt") or 0),
        cached=bool(data.get("cached")),
        tokens=tokens,
        duration_ms=sum(float(e.get("duration_ms") or 0.0) for e in exchanges),
        error=data.get("error"),
    )


def _text(value: Any) -> str:
    """A message part verbatim: strings as they are, anything else as indented JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False)


def _message_lines(message: dict[str, Any]) -> list[str]:
    """One message: a rule with its role, its content verbatim, then any tool calls."""
    lines = [f"── {message.get('role') or message.get('type') or 'message'} ──"]
    content = message.get("content")
    if content not in (None, ""):
        lines.append(_text(content))
    for call in message.get("tool_calls") or []:
        function = call.get("function") or call
        lines.append(f"tool call {function.get('name', '?')}:")
        lines.append(_text(function.get("arguments", function.get("args", ""))))
    return lines


def render_call(name: str, data: dict[str, Any]) -> str:
    """A call file as plain text: what was asked and answered, verbatim, with usage and timing."""
    view = call_view(name, data)
    model = data.get("model") or {}
    lines = [
        f"call {name}",
        f"role {view.role} · task {view.task or '(plan)'} · attempt {view.attempt} · "
        f"model {model.get('name', '?')} · {'answered from the cache' if view.cached else 'sent'}",
        f"{view.tokens} tokens · {view.duration_ms:.0f} ms · written {data.get('written', '?')}",
        f"request hash {data.get('request_hash', '?')}",
    ]
    exchanges = data.get("exchanges") or []
    if not exchanges:
        lines += ["", "(no request was sent: the prompt, and the answer from the cache)"]
        for message in data.get("messages") or []:
            lines += ["", *_message_lines(message)]
    for n, exchange in enumerate(exchanges, 1):
        usage = exchange.get("usage") or {}
        lines += [
            "",
            f"━━ exchange {n} of {len(exchanges)} · started {exchange.get('started', '?')} · "
            f"{float(exchange.get('duration_ms') or 0):.0f} ms · "
            f"{usage.get('prompt_tokens', 0)} prompt + {usage.get('completion_tokens', 0)} "
            f"completion = {usage.get('total_tokens', 0)} tokens",
        ]
        for message in exchange.get("messages") or []:
            lines += ["", *_message_lines(message)]
        if exchange.get("response") is not None:
            lines += ["", *_message_lines({**exchange["response"], "role": "response"})]
        if exchange.get("error"):
            lines += ["", "── error ──", str(exchange["error"])]
    if data.get("output") is not None:
        lines += ["", "── output (as checked) ──", _text(data["output"])]
    if data.get("error"):
        lines += ["", "── error ──", str(data["error"])]
    return "\n".join(lines) + "\n"


def build_view(record: Any, status: str) -> BuildView:
    """A `graphs.build` BuildRecord as the pane shows it, with the status to show."""
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
        status=status,
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
        from charter.graphs.build import list_builds, shown_status

        return [
            build_view(r, shown_status(builds_dir, r).value)
            for r in reversed(list_builds(builds_dir)[-MAX_LISTED:])
        ]

    def list_questions(self, answered: Collection[str] = ()) -> list[QuestionView]:
        """The questions builds raised that are not in `answered`, newest first; blocking."""
        builds_dir = self.backend.workspace.builds_dir
        if not builds_dir.is_dir():
            return []
        from charter.graphs.build import list_questions

        return [
            QuestionView(id=q.id, build=q.build, task=q.task, text=q.text)
            for q in reversed(list_questions(builds_dir))
            if q.id not in answered
        ]

    def build_dir(self, build_id: str) -> Path:
        """The directory of one build (`build_id` must be a listed build's ID)."""
        root = self.backend.workspace.builds_dir / Path(build_id).name
        if not root.is_dir():
            raise FileNotFoundError(f"no build {build_id}")
        return root

    def list_calls(self, build_id: str) -> list[CallView]:
        """Every model call a build recorded, in the order made; blocking."""
        from charter.graphs.build import BuildDir

        calls = BuildDir(self.build_dir(build_id)).calls
        if not calls.is_dir():
            return []
        out = []
        for path in sorted(calls.glob("*.json")):
            try:
                out.append(call_view(path.name, json.loads(path.read_text(encoding="utf-8"))))
            except (OSError, ValueError):
                continue  # a call being written right now; the next look finds it
        return out

    def list_files(self, build_id: str) -> list[str]:
        """The report files the build has written so far; blocking."""
        root = self.build_dir(build_id)
        return [name for name in BUILD_FILES if (root / name).is_file()]

    def read_call(self, build_id: str, name: str) -> str:
        """One call as text (see `render_call`); blocking."""
        from charter.graphs.build import BuildDir

        path = BuildDir(self.build_dir(build_id)).calls / Path(name).name
        return render_call(path.name, json.loads(path.read_text(encoding="utf-8")))

    def read_file(self, build_id: str, name: str) -> str:
        """One of the build's report files, verbatim; blocking."""
        if name not in BUILD_FILES:
            raise FileNotFoundError(name)
        return (self.build_dir(build_id) / name).read_text(encoding="utf-8", errors="replace")

    def export(self, build_id: str, where: str, branch: bool) -> str:
        """Export a build's generated tree into the directory `where` (relative to the
        workspace), or as the one commit of a new branch named `where`; what was done, as one
        sentence. Blocking; raises `ExportError` saying why not."""
        from charter.graphs.build import export_to_branch, export_to_dir

        ws = self.backend.workspace
        if branch:
            sha = export_to_branch(ws.root, ws.builds_dir, build_id, where)
            return f"Exported build {build_id} to branch {where} (commit {sha[:10]})."
        target = (ws.root / Path(where).expanduser()).resolve()
        count = export_to_dir(ws.builds_dir, build_id, target)
        return f"Exported {count} file(s) of build {build_id} to {target}."

    def diff(self, a: str, b: str) -> str:
        """What changed from build `a` to build `b` (spec by requirement, then the generated
        files), as `charter build diff` prints it. Blocking; raises `ExportError`."""
        from charter.graphs.build import diff_builds, render_diff

        ws = self.backend.workspace
        return render_diff(diff_builds(ws.builds_dir, a, b))

    def command(self, rev: str) -> list[str]:
        """`charter -C ROOT build REV`, run with this interpreter."""
        root = str(self.backend.workspace.root)
        return [sys.executable, "-m", "charter.app.cli", "-C", root, "build", rev]

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
