"""Helpers for the builder's tests: committed specs, scripted planner/coder/fixer replies, reading
build directories. The scripted replies answer by content (role from the system prompt, task ID
from the prompt's `# Task T1:` heading) because tasks run in parallel.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import tomli_w

from tests.fakellm import ScriptedReply

TASK_RE = re.compile(r"^# Task (\S+):", re.MULTILINE)
Files = list[dict[str, str]]


def git(root: Path, *args: str) -> str:
    """Run git in `root` and return its stdout."""
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout


def spec_text(
    title: str, sections: dict[str, list[tuple[str, str]]], locked: frozenset[str] = frozenset()
) -> str:
    """A spec file in Charter's format: sections of (ID, text) requirements, inferred provenance."""
    lines = [f"# {title}", ""]
    for section, reqs in sections.items():
        lines += [f"## {section}", ""]
        for rid, text in reqs:
            flag = "LOCKED " if rid in locked else ""
            lines += [f"- **{rid}** {flag}{text}", "  > inferred: test fixture"]
        lines.append("")
    return "\n".join(lines)


def commit_spec(root: Path, files: dict[str, str], message: str = "spec") -> str:
    """Write spec files, commit them (with charter.toml), return the commit SHA."""
    for rel, text in files.items():
        path = root / "specs" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    git(root, "add", "-A", "specs", "charter.toml", ".gitignore")
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()


def set_build(root: Path, **settings: Any) -> None:
    """Change `[build]` settings in charter.toml."""
    path = root / "charter.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    data.setdefault("build", {}).update(settings)
    path.write_text(tomli_w.dumps(data), encoding="utf-8")


def task(
    tid: str, reqs: list[str], outputs: list[str], verify: str, deps: list[str] | None = None
) -> dict[str, Any]:
    """A planned task as the planner tool sends it."""
    return {
        "id": tid,
        "title": f"build {tid}",
        "requirements": reqs,
        "sections": [],
        "depends_on": deps or [],
        "outputs": outputs,
        "verify": verify,
        "notes": "",
    }


def result(
    files: Files | None = None,
    *,
    question: str | None = None,
    assumptions: list[str] | None = None,
    deviations: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """A TaskResult as the coder/fixer tool sends it."""
    out: dict[str, Any] = {
        "files": files or [],
        "assumptions": assumptions or [],
        "deviations": deviations or [],
        "notes": "",
    }
    if question is not None:
        out["question"] = question
    return out


class Script:
    """A content-routed handler for the fake server: planner, coder and fixer replies."""

    def __init__(
        self,
        plan: dict[str, Any],
        coder: Callable[[str, str], dict[str, Any]],
        fixer: Callable[[str, str], dict[str, Any]] | None = None,
        delay: Callable[[str, str], float] | None = None,
    ) -> None:
        """`coder(task_id, prompt)` and `fixer(task_id, prompt)` return TaskResult dicts."""
        self.plan = plan
        self.coder = coder
        self.fixer = fixer
        self.delay = delay or (lambda role, tid: 0.0)
        self.calls: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.down = False  # when set, every request gets an HTTP 500

    def __call__(self, body: dict[str, Any]) -> ScriptedReply | None:
        """Answer one chat request."""
        if self.down:
            return ScriptedReply.fault("500")
        messages = body.get("messages", [])
        system = str(messages[0].get("content", "")) if messages else ""
        prompt = "\n".join(str(m.get("content", "")) for m in messages[1:])
        if "Charter's planner" in system:
            self._log("planner", "")
            return ScriptedReply.tools([("Plan", self.plan)])
        found = TASK_RE.search(prompt)
        if found is None:
            return None
        tid = found.group(1)
        role = "fixer" if "Charter's fixer" in system else "coder"
        self._log(role, tid)
        fn = self.fixer if role == "fixer" and self.fixer else self.coder
        return ScriptedReply.tools([("TaskResult", fn(tid, prompt))], delay=self.delay(role, tid))

    def _log(self, role: str, tid: str) -> None:
        """Remember a call."""
        with self.lock:
            self.calls.append((role, tid))

    def count(self, role: str, tid: str | None = None) -> int:
        """How many calls `role` got (for task `tid`)."""
        with self.lock:
            return sum(1 for r, t in self.calls if r == role and (tid is None or t == tid))


def builds(root: Path) -> list[Path]:
    """Build directories, oldest first."""
    base = root / ".charter" / "builds"
    return sorted(p for p in base.iterdir() if p.is_dir()) if base.is_dir() else []


def record(bdir: Path) -> dict[str, Any]:
    """A build's build.json."""
    return json.loads((bdir / "build.json").read_text(encoding="utf-8"))


def tree(path: Path) -> dict[str, bytes]:
    """Every file under `path` (excluding .git) → bytes."""
    return {
        p.relative_to(path).as_posix(): p.read_bytes()
        for p in sorted(path.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(path).parts
    }


def commits(workspace: Path) -> list[str]:
    """Subjects of the workspace repository's commits, oldest first."""
    out = git(workspace, "log", "--reverse", "--format=%s")
    return [line for line in out.splitlines() if line]


def survivors(*marks: str) -> list[str]:
    """Command lines of live (not zombie) processes carrying one of `marks`."""
    import psutil

    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        cmd = " ".join(proc.info["cmdline"] or [])
        if proc.info["status"] != psutil.STATUS_ZOMBIE and any(m in cmd for m in marks):
            found.append(cmd)
    return found


def kill_once_done(root: Path, env: dict[str, str], task_id: str = "T1") -> Path:
    """Start `charter build` in `root`, SIGKILL it once `task_id` is done; its build dir."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "charter.app.cli", "build"],
        cwd=root,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            found = builds(root)
            ready = found and (found[0] / "build.json").exists()
            if ready and record(found[0]).get("tasks", {}).get(task_id, {}).get("state") == "done":
                return found[0]
            time.sleep(0.05)
        raise AssertionError(f"{task_id} never finished")
    finally:
        proc.kill()
        proc.wait()
