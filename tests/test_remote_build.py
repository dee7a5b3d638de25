"""Remote builds on LangGraph Server: `charter build --remote URL` against a real `langgraph dev`.

One in-memory server per module (`langgraph dev` on 127.0.0.1, this repository's langgraph.json)
whose model endpoint is the scripted fake; the CLI runs as a user would run it. The server holds
the model key; the client holds only the bearer token.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.buildkit import (
    Script,
    builds,
    commit_spec,
    commits,
    git,
    record,
    result,
    spec_text,
    tree,
)
from tests.buildkit import task as plan_task
from tests.conftest import run_charter
from tests.fakellm import FakeLLM, ScriptedReply
from tests.lgserver import SERVER_KEY, langgraph_dev

TOKEN = "remote-token-7f3a"
CLIENT_KEY = "sk-client-key-MUST-NOT-TRAVEL-88c1"
LEDGER_SENTINEL = "LEDGER-SENTINEL-3b9f"
EDIT_SENTINEL = "UNCOMMITTED-EDIT-SENTINEL-a41c"

SPEC = {
    "app.md": spec_text(
        "App", {"Parts": [(f"APP-{n}", f"The app MUST have part {n}.") for n in (1, 2, 3)]}
    )
}
PLAN = {
    "tasks": [
        plan_task("T1", ["APP-1"], ["t1.txt"], "test -f t1.txt"),
        plan_task("T2", ["APP-2"], ["t2.txt"], "test -f t2.txt && test -f t1.txt", ["T1"]),
        plan_task("T3", ["APP-3"], ["t3.txt"], "grep -q good t3.txt"),
    ],
    "not_built": [],
}


def coder(tid: str, prompt: str) -> dict[str, Any]:
    """Each task writes its file; T3 starts wrong so the fixer runs too."""
    return result([{"path": f"{tid.lower()}.txt", "content": "v0\n" if tid == "T3" else tid}])


def fixer(tid: str, prompt: str) -> dict[str, Any]:
    """The fixer gets T3 right."""
    return result([{"path": f"{tid.lower()}.txt", "content": "good\n"}])


class Dispatch:
    """The module server's one handler: forwards to the current test's script."""

    def __init__(self) -> None:
        """No script yet."""
        self.script: Script | None = None

    def __call__(self, body: dict[str, Any]) -> ScriptedReply | None:
        """Answer with the current script."""
        return self.script(body) if self.script is not None else None


class Server:
    """A running `langgraph dev` and the fake model endpoint it talks to."""

    def __init__(self, url: str, fake: FakeLLM, dispatch: Dispatch, root: Path) -> None:
        """Keep the handles the tests need."""
        self.url = url
        self.fake = fake
        self.dispatch = dispatch
        self.root = root


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`langgraph dev` (in memory) serving Charter's build graph, with the fake as its model."""
    root = tmp_path_factory.mktemp("lgserver")
    fake = FakeLLM().start()
    dispatch = Dispatch()
    fake.handler(dispatch)
    try:
        with langgraph_dev(root, fake, TOKEN) as url:
            yield Server(url, fake, dispatch, root)
    finally:
        fake.stop()


def client_env(**extra: str) -> dict[str, str]:
    """The client's environment: the token, and a model key of its own that must not travel."""
    return {"CHARTER_REMOTE_TOKEN": TOKEN, "OPENAI_API_KEY": CLIENT_KEY, **extra}


def prepare(workspace: Path) -> str:
    """Commit the spec and a ledger line; leave an uncommitted spec edit; return the commit."""
    ledger = workspace / "transcripts" / "s-remote.jsonl"
    ledger.parent.mkdir(parents=True, exist_ok=True)
    line = {"id": "m-0001", "session": "s-remote", "role": "user", "text": LEDGER_SENTINEL}
    ledger.write_text(json.dumps(line) + "\n", encoding="utf-8")
    git(workspace, "add", "transcripts")
    sha = commit_spec(workspace, SPEC)
    edited = SPEC["app.md"] + f"\n- **APP-9** The app MUST say {EDIT_SENTINEL}.\n"
    (workspace / "specs" / "app.md").write_text(edited, encoding="utf-8")
    return sha


def test_remote_build_sees_only_the_commit_and_matches_a_local_build(
    workspace: Path, server: Server
) -> None:
    """A remote build sends only the committed spec (no ledger, no uncommitted edit, no client
    key), streams progress, and brings back a build that equals a local build byte for byte;
    the local commands (`builds`, `--replay`, `build diff`) work on it as on a local one."""
    sha = prepare(workspace)
    local_script = Script(PLAN, coder, fixer)
    server.dispatch.script = local_script
    local = run_charter(
        "build", "--json", cwd=workspace, env={**server.fake.env(), "OPENAI_API_KEY": SERVER_KEY}
    )
    assert local.code == 0, local.err + local.out
    (local_dir,) = builds(workspace)

    remote_script = Script(PLAN, coder, fixer)
    server.dispatch.script = remote_script
    seen = len(server.fake.requests)
    out = run_charter(
        "build", "--remote", server.url, "--json", cwd=workspace, env=client_env(), timeout=120
    )
    assert out.code == 0, out.err + out.out
    summary = json.loads(out.out)
    assert summary["status"] == "done" and summary["commit"] == sha
    # Progress came through the same display as a local build's.
    assert "T3 verify failed (attempt 1/3)" in out.err
    assert remote_script.count("planner") == 1 and remote_script.count("coder") == 3
    assert remote_script.count("fixer", "T3") == 1

    sent = server.fake.requests[seen:]
    assert sent, "the server never called the model"
    wire = json.dumps([{"h": r.headers, "b": r.body} for r in sent])
    assert LEDGER_SENTINEL not in wire and EDIT_SENTINEL not in wire and CLIENT_KEY not in wire
    assert all(r.headers.get("authorization") == f"Bearer {SERVER_KEY}" for r in sent)

    remote_dir = workspace / ".charter" / "builds" / summary["build"]
    assert remote_dir in builds(workspace) and remote_dir != local_dir
    assert (remote_dir / "workspace" / "t3.txt").read_text() == "good\n"
    for part in ("workspace", "spec"):
        assert tree(remote_dir / part) == tree(local_dir / part), part
    # Independent tasks commit in the order they finish; the set of commits is the same.
    assert sorted(commits(remote_dir / "workspace")) == sorted(commits(local_dir / "workspace"))
    assert (remote_dir / "plan.toml").read_bytes() == (local_dir / "plan.toml").read_bytes()
    # The same prompts got the same answers (call files are numbered in arrival order).
    assert calls(remote_dir) == calls(local_dir)
    assert (remote_dir / "logs" / "T3-verify-0.log").is_file()
    assert "| T3 | build T3 | done | 1 |" in (remote_dir / "report.md").read_text()
    for path in remote_dir.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert SERVER_KEY.encode() not in data and LEDGER_SENTINEL.encode() not in data

    listed = run_charter("builds", "--json", cwd=workspace)
    shown = {b["id"]: b["status"] for b in json.loads(listed.out)}
    assert shown[remote_dir.name] == "done"
    # The remote build's responses came back too: it replays here, with no model at all.
    replay = run_charter("build", "--replay", remote_dir.name, "--json", cwd=workspace)
    assert replay.code == 0, replay.err + replay.out
    assert json.loads(replay.out)["replay_identical"] is True
    diff = run_charter("build", "diff", local_dir.name, remote_dir.name, cwd=workspace)
    assert diff.code == 0, diff.err + diff.out


def calls(bdir: Path) -> dict[str, Any]:
    """A build's model calls by label: what was sent and what came back."""
    out = {}
    for path in (bdir / "calls").glob("*.json"):
        call = json.loads(path.read_text(encoding="utf-8"))
        label = path.name.split("-", 1)[1]
        out[label] = (call["request_hash"], call["messages"], call["output"], call["cached"])
    return out


def test_killed_client_resumes_without_redoing_finished_tasks(
    workspace: Path, server: Server
) -> None:
    """Kill the client while T2 runs on the server; `--resume` follows the build to its end and
    no finished task is asked for again."""
    commit_spec(workspace, SPEC)

    def slow_t2(role: str, tid: str) -> float:
        """T2's coder call takes long enough for the test to kill the client."""
        return 6.0 if tid == "T2" and role == "coder" else 0.0

    script = Script(PLAN, coder, fixer, delay=slow_t2)
    server.dispatch.script = script
    proc = subprocess.Popen(
        [sys.executable, "-m", "charter.app.cli", "build", "--remote", server.url],
        cwd=workspace,
        env={**os.environ, **client_env()},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while script.count("coder", "T2") == 0:
            assert time.monotonic() < deadline, "T2 never started"
            assert proc.poll() is None, "the client ended before T2 started"
            time.sleep(0.05)
    finally:
        proc.kill()
        proc.wait()
    (bdir,) = builds(workspace)
    assert (bdir / "remote.json").is_file() and not (bdir / "build.json").exists()

    out = run_charter(
        "build", "--resume", bdir.name, "--json", cwd=workspace, env=client_env(), timeout=120
    )
    assert out.code == 0, out.err + out.out
    final = record(bdir)
    assert final["status"] == "done"
    assert {t: s["state"] for t, s in final["tasks"].items()} == dict.fromkeys(
        ("T1", "T2", "T3"), "done"
    )
    assert script.count("planner") == 1
    assert script.count("coder", "T1") == 1 and script.count("coder", "T2") == 1
    assert sorted(commits(bdir / "workspace")) == ["T1: build T1", "T2: build T2", "T3: build T3"]
    again = run_charter("build", "--resume", bdir.name, cwd=workspace, env=client_env())
    assert again.code == 1 and "nothing to resume" in again.err


def test_a_build_the_server_failed_resumes_there_from_its_checkpoints(
    workspace: Path, server: Server
) -> None:
    """The model endpoint goes down after T1: the remote build ends in error (exit 4) with its
    record fetched; once the endpoint is back, `--resume` continues it on the server from the
    thread's checkpoints, and T1 is not asked for again."""
    commit_spec(workspace, SPEC)

    def down_after_t1(tid: str, prompt: str) -> dict[str, Any]:
        """T1 is answered, then the endpoint fails every request."""
        if tid == "T1":
            script.down = True
        return coder(tid, prompt)

    script = Script(PLAN, down_after_t1, fixer)
    server.dispatch.script = script
    out = run_charter("build", "--remote", server.url, cwd=workspace, env=client_env(), timeout=120)
    assert out.code == 4, out.err + out.out
    (bdir,) = builds(workspace)
    failed = record(bdir)
    assert failed["status"] == "error" and failed["tasks"]["T1"]["state"] == "done"

    script.down = False
    out = run_charter(
        "build", "--resume", bdir.name, "--json", cwd=workspace, env=client_env(), timeout=120
    )
    assert out.code == 0, out.err + out.out
    final = record(bdir)
    assert final["status"] == "done" and final["options"]["resumed"] == 1
    assert script.count("planner") == 1 and script.count("coder", "T1") == 1
    assert sorted(commits(bdir / "workspace")) == ["T1: build T1", "T2: build T2", "T3: build T3"]
    assert (bdir / "remote.json").is_file()


def test_several_clients_build_at_once_on_one_server(
    tmp_path: Path, workspace: Path, server: Server
) -> None:
    """Three clients send builds at the same time; each gets its own, complete build back
    (builds share the server's process: nothing of one may leak into another)."""
    from charter.app.workspace import init_workspace

    roots = [workspace]
    for n in (1, 2):
        root = tmp_path / f"client{n}"
        root.mkdir()
        init_workspace(root)
        roots.append(root)
    for root in roots:
        commit_spec(root, SPEC)

    script = Script(PLAN, coder, fixer)
    server.dispatch.script = script
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "charter.app.cli", "build", "--remote", server.url, "--json"],
            cwd=root,
            env={**os.environ, **client_env()},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for root in roots
    ]
    for root, proc in zip(roots, procs, strict=True):
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err.decode() + out.decode()
        (bdir,) = builds(root)
        assert record(bdir)["status"] == "done"
        assert tree(bdir / "workspace") == {"t1.txt": b"T1", "t2.txt": b"T2", "t3.txt": b"good\n"}
        assert sorted(commits(bdir / "workspace")) == [f"T{n}: build T{n}" for n in (1, 2, 3)]
    assert script.count("planner") == 3 and script.count("coder") == 9


def test_requests_without_the_token_are_refused(workspace: Path, server: Server) -> None:
    """Every route, the artefacts route too, refuses a request without the right token; the CLI
    says so."""
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        made = httpx.post(f"{server.url}/threads", json={}, headers=headers, timeout=10)
        assert made.status_code in (401, 403), made.text
        listed = httpx.post(f"{server.url}/threads/search", json={}, headers=headers, timeout=10)
        assert listed.status_code in (401, 403), listed.text
        fetched = httpx.get(
            f"{server.url}/charter/threads/00000000-0000-0000-0000-000000000000/artefacts",
            headers=headers,
            timeout=10,
        )
        assert fetched.status_code in (401, 403), fetched.text
    ok = httpx.post(
        f"{server.url}/threads", json={}, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    )
    assert ok.status_code == 200

    commit_spec(workspace, SPEC)
    out = run_charter(
        "build", "--remote", server.url, cwd=workspace, env=client_env(CHARTER_REMOTE_TOKEN="bad")
    )
    assert out.code == 4 and "401" in out.err and "token" in out.err, out.err
    missing = run_charter("build", "--remote", server.url, cwd=workspace, env={})
    assert missing.code == 2 and "CHARTER_REMOTE_TOKEN" in missing.err


async def test_the_tui_builds_on_the_server_that_build_remote_names(
    workspace: Path, server: Server
) -> None:
    """With `[build] remote` set, Build HEAD in the TUI's Builds pane runs on the server: the
    server's model answers, the artefacts come back, and the pane lists the finished build."""
    from charter.app.tui.widgets.builds import BuildsPane
    from tests.tui_support import Notes, main_of, running, settle, wait_for

    settings = workspace / "charter.toml"
    text = settings.read_text(encoding="utf-8")
    assert "[build]\n" in text
    settings.write_text(
        text.replace("[build]\n", f'[build]\nremote = "{server.url}"\n', 1), encoding="utf-8"
    )
    sha = commit_spec(workspace, SPEC)
    script = Script(PLAN, coder, fixer)
    server.dispatch.script = script
    seen = len(server.fake.requests)
    notes = Notes()
    # The scribe's model is the client's own; builds use the server's.
    async with running(workspace, client_env(CHARTER_MODEL="client-model"), notes) as (app, pilot):
        main = main_of(app)
        main.action_focus_pane("builds")
        await pilot.pause()
        await pilot.press("B")
        await wait_for(pilot, lambda: "finished with status" in notes.text(), timeout=100)
        await settle(pilot, app)
        assert "Build of HEAD finished with status 0." in notes.text(), notes.text()
        (build,) = main.query_one(BuildsPane).builds.values()
        assert build.status == "done" and build.rev == sha
        assert sorted(t.id for t in build.tasks) == ["T1", "T2", "T3"]
    # The server's builder asked the model (the client's key never travelled), and the
    # workspace it built came back into .charter/builds/<id>/.
    sent = server.fake.requests[seen:]
    assert sent and script.count("coder") == 3
    assert all(CLIENT_KEY not in json.dumps(r.headers) for r in sent)
    (bdir,) = builds(workspace)
    assert (bdir / "remote.json").is_file()
    assert (bdir / "workspace" / "t3.txt").read_text() == "good\n"
