"""A real `langgraph dev` serving Charter's build graph, for the remote-build tests and bench.

The server runs in memory on 127.0.0.1 (a free port) from this repository's `langgraph.json`,
with the scripted fake (`tests/fakellm.py`) as its model endpoint and a key only it holds.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.fakellm import FAKE_MODEL, FakeLLM

ROOT = Path(__file__).resolve().parent.parent
SERVER_KEY = "sk-server-only-key-5e1d"
START_TIMEOUT_S = 90


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def langgraph_dev(root: Path, fake: FakeLLM, token: str, jobs: int = 10) -> Iterator[str]:
    """Start `langgraph dev` with its state under `root`; yield its URL; stop it afterwards."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPENAI_", "CHARTER_", "LANGSMITH_", "LANGCHAIN_", "LANGGRAPH_"))
    }
    env.update(
        OPENAI_BASE_URL=fake.base_url,
        OPENAI_API_KEY=SERVER_KEY,
        CHARTER_MODEL=FAKE_MODEL,
        CHARTER_SERVER_TOKEN=token,
        CHARTER_SERVER_DIR=str(root / "threads"),
        HOME=str(root),
        PYTHONDONTWRITEBYTECODE="1",
        LANGGRAPH_CLI_NO_ANALYTICS="1",
        LANGSMITH_TRACING="false",
    )
    port = free_port()
    command = [
        str(Path(sys.executable).with_name("langgraph")),
        *("dev", "--config", str(ROOT / "langgraph.json")),
        *("--host", "127.0.0.1", "--port", str(port)),
        *("--n-jobs-per-worker", str(jobs), "--no-browser", "--no-reload"),
    ]
    log_path = root / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            command,
            cwd=root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its reloader and workers go with it
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(url, proc, log_path)
            yield url
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log_path: Path) -> None:
    """Poll `/ok` until the server answers; fail with the end of its log if it never does."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            if httpx.get(f"{url}/ok", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            tail = log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"langgraph dev did not start:\n{tail}")
        time.sleep(0.2)
