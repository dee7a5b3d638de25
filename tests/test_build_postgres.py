"""Builds checkpointing to PostgreSQL (`[build] checkpointer = "postgres"`): a build completes
and replays, a killed build resumes from the database without redoing finished tasks, several
clients build concurrently on one database, and the password never lands on disk or in output.

A real PostgreSQL server is started by the test (tests/pgserver.py) on 127.0.0.1 with password
authentication. Locally the tests skip without PostgreSQL's binaries; under CI (`CI=true`,
where `.ci/run` installs them) a missing server is a failure.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.buildkit import (
    Script,
    builds,
    commit_spec,
    commits,
    git,
    kill_once_done,
    record,
    result,
    set_build,
    spec_text,
    task,
    tree,
)
from tests.conftest import run_charter
from tests.fakellm import FakeLLM
from tests.pgserver import PgServer, PgUnavailable, start_postgres

DSN_VAR = "CHARTER_CHECKPOINTER_DSN"
WORD = re.compile(r'say "([a-z0-9-]+)"')
# A verify command that fails if the connection string or a password reached its environment.
NO_DSN_IN_ENV = f"! env | grep -q -e {DSN_VAR} -e PGPASSWORD"


@pytest.fixture(scope="module")
def pg() -> Iterator[PgServer]:
    """One throwaway PostgreSQL server for this module's tests; each test makes its database."""
    try:
        server = start_postgres()
    except PgUnavailable as exc:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"CI must test builds on PostgreSQL: {exc}")
        pytest.skip(str(exc))
    yield server
    server.stop()


def spec(tag: str) -> dict[str, str]:
    """Three requirements, each asking for a word that names the workspace (`tag`)."""
    reqs = [(f"APP-{n}", f'The app MUST say "{tag}-{n}".') for n in (1, 2, 3)]
    return {"app.md": spec_text("App", {"Parts": reqs})}


PLAN = {
    "tasks": [
        task("T1", ["APP-1"], ["t1.txt"], f"test -f t1.txt && {NO_DSN_IN_ENV}"),
        task("T2", ["APP-2"], ["t2.txt"], "test -f t2.txt"),
        task("T3", ["APP-3"], ["t3.txt"], "test -f t3.txt", ["T1", "T2"]),
    ],
    "not_built": [],
}


def coder(tid: str, prompt: str) -> dict[str, Any]:
    """Each task writes the word its requirement asks for (so results differ per workspace)."""
    (word,) = WORD.findall(prompt)
    return result([{"path": f"{tid.lower()}.txt", "content": f"{word}\n"}])


def postgres_workspace(root: Path, tag: str) -> None:
    """Configure `root` to checkpoint to PostgreSQL and commit its spec."""
    set_build(root, checkpointer="postgres")
    commit_spec(root, spec(tag))


def checkpointed_tasks(dsn: str, thread_id: str) -> dict[str, str]:
    """The task states of a thread's latest checkpoint, read back through LangGraph's saver."""
    from langgraph.checkpoint.postgres import PostgresSaver

    with PostgresSaver.from_conn_string(dsn) as saver:
        latest = saver.get_tuple({"configurable": {"thread_id": thread_id}})
    assert latest is not None, f"no checkpoint for thread {thread_id}"
    return dict(latest.checkpoint["channel_values"].get("tasks", {}))


def no_secret_anywhere(secret: str, root: Path, *outputs: str) -> None:
    """`secret` is in no file under `root` (workspace, build dirs, git objects) nor any output."""
    for path in root.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path
    for text in outputs:
        assert secret not in text


def test_a_build_on_postgres_completes_replays_and_keeps_the_password_out(
    workspace: Path, llm: FakeLLM, pg: PgServer
) -> None:
    """A build checkpoints to PostgreSQL (no SQLite file), finishes, and replays identically;
    the database holds its thread; the password is nowhere on disk, in output or in verify's
    environment."""
    dsn = pg.createdb()
    postgres_workspace(workspace, "solo")
    script = Script(PLAN, coder)
    llm.handler(script)
    env = {**llm.env(), DSN_VAR: dsn}
    out = run_charter("build", "--json", cwd=workspace, env=env)
    assert out.code == 0, out.err + out.out
    (bdir,) = builds(workspace)
    assert json.loads(out.out)["status"] == "done"
    assert tree(bdir / "workspace") == {f"t{n}.txt": f"solo-{n}\n".encode() for n in (1, 2, 3)}
    assert not (bdir / "checkpoints.db").exists()
    store = json.loads((bdir / "checkpointer.json").read_text())
    assert store["database"] == f"postgresql://charter@127.0.0.1:{pg.port}/{dsn.rsplit('/')[-1]}"
    assert store["thread_id"].startswith(bdir.name + "-")
    assert checkpointed_tasks(dsn, store["thread_id"]) == dict.fromkeys(("T1", "T2", "T3"), "done")

    before = len(llm.requests)
    replay = run_charter("build", "--replay", bdir.name, "--json", cwd=workspace, env=env)
    assert replay.code == 0, replay.err + replay.out
    assert json.loads(replay.out)["replay_identical"] is True
    assert len(llm.requests) == before  # a replay asks no model
    _, second = builds(workspace)
    other = json.loads((second / "checkpointer.json").read_text())["thread_id"]
    assert other != store["thread_id"]
    assert checkpointed_tasks(dsn, other) == dict.fromkeys(("T1", "T2", "T3"), "done")

    no_secret_anywhere(pg.password, workspace, out.out, out.err, replay.out, replay.err)
    assert pg.password not in git(workspace, "log", "-p", "--all")


def test_settings_that_would_leak_or_lack_the_connection_string_are_refused(
    workspace: Path, llm: FakeLLM, pg: PgServer
) -> None:
    """A password in charter.toml is refused naming the file and field; "postgres" without the
    variable names the variable, and without the extra says how to install it; a wrong password
    fails the build (exit 4) without echoing it, and `--resume` with the right one finishes it
    on the same database."""
    dsn = pg.createdb()
    commit_spec(workspace, spec("conf"))
    llm.handler(Script(PLAN, coder))
    set_build(workspace, checkpointer=dsn)
    leaky = run_charter("build", cwd=workspace, env=llm.env())
    assert leaky.code == 2
    assert "charter.toml" in leaky.err and "build.checkpointer" in leaky.err
    assert pg.password not in leaky.err + leaky.out
    assert builds(workspace) == []

    set_build(workspace, checkpointer="postgres")
    unset = run_charter("build", cwd=workspace, env=llm.env())
    assert unset.code == 2 and f"${DSN_VAR}" in unset.err and "not set" in unset.err

    # Without the `postgres` extra (psycopg shadowed by a module that is "not installed").
    shadow = workspace.parent / "no-psycopg" / "psycopg"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'psycopg'\", name='psycopg')\n"
    )
    bare = run_charter(
        "build", cwd=workspace, env={**llm.env(), DSN_VAR: dsn, "PYTHONPATH": str(shadow.parent)}
    )
    assert bare.code == 2 and "charter[postgres]" in bare.err and "psycopg" in bare.err
    assert "Traceback" not in bare.err and builds(workspace) == []

    wrong = "wrong-SECRET-7f3a"
    bad_db = dsn.rsplit("/")[-1]
    bad_env = {**llm.env(), DSN_VAR: pg.dsn(bad_db, password=wrong)}
    bad = run_charter("build", cwd=workspace, env=bad_env)
    assert bad.code == 4, bad.err + bad.out
    assert "Traceback" not in bad.err
    assert f"postgresql://charter@127.0.0.1:{pg.port}/{bad_db}" in bad.out + bad.err
    (bdir,) = builds(workspace)
    assert record(bdir)["status"] == "error"
    no_secret_anywhere(wrong, workspace, bad.out, bad.err)

    good = run_charter(
        "build", "--resume", bdir.name, cwd=workspace, env={**llm.env(), DSN_VAR: dsn}
    )
    assert good.code == 0, good.err + good.out
    assert record(bdir)["status"] == "done"


def test_a_killed_build_resumes_from_postgres_without_redoing_finished_tasks(
    workspace: Path, llm: FakeLLM, pg: PgServer
) -> None:
    """SIGKILL once T1 is done; `--resume` continues from the database's checkpoint: T1 keeps
    its one model call and commit; a resume pointed at SQLite instead is refused, not restarted."""
    dsn = pg.createdb()
    postgres_workspace(workspace, "kill")

    def slow_first_t2(role: str, tid: str) -> float:
        """T2's first coder call hangs long enough for the test to kill the build."""
        return 30.0 if tid == "T2" and script.count("coder", "T2") == 1 else 0.0

    script = Script(PLAN, coder, delay=slow_first_t2)
    llm.handler(script)
    env = {**llm.env(), DSN_VAR: dsn}
    bdir = kill_once_done(workspace, env)
    assert record(bdir)["tasks"]["T2"]["state"] != "done"
    thread = json.loads((bdir / "checkpointer.json").read_text())["thread_id"]
    assert checkpointed_tasks(dsn, thread).get("T1") == "done"

    set_build(workspace, checkpointer="sqlite")
    elsewhere = run_charter("build", "--resume", bdir.name, cwd=workspace, env=env)
    assert elsewhere.code == 4 and "Traceback" not in elsewhere.err
    assert "checkpoints to postgresql://" in elsewhere.out + elsewhere.err
    assert script.count("coder", "T2") == 1 and not (bdir / "checkpoints.db").exists()

    set_build(workspace, checkpointer="postgres")
    out = run_charter("build", "--resume", bdir.name, "--json", cwd=workspace, env=env)
    assert out.code == 0, out.err + out.out
    final = record(bdir)
    assert final["status"] == "done"
    assert {t: s["state"] for t, s in final["tasks"].items()} == dict.fromkeys(
        ("T1", "T2", "T3"), "done"
    )
    assert len(list((bdir / "calls").glob("*T1-coder*"))) == 1
    assert script.count("coder", "T1") == 1 and script.count("coder", "T2") == 2
    assert sorted(commits(bdir / "workspace")) == ["T1: build T1", "T2: build T2", "T3: build T3"]
    assert checkpointed_tasks(dsn, thread) == dict.fromkeys(("T1", "T2", "T3"), "done")


# Four Python processes start at once on a small shared machine: a hang guard, not a target.
@pytest.mark.timeout(300)
def test_concurrent_builds_from_several_clients_share_one_database(
    tmp_path: Path, llm: FakeLLM, pg: PgServer
) -> None:
    """Four client processes, each with its own workspace, build at once on one fresh database
    (racing to create its tables): all finish, each with its own results and thread."""
    from charter.app.workspace import init_workspace

    dsn = pg.createdb()
    script = Script(PLAN, coder)
    llm.handler(script)
    roots = []
    for n in range(4):
        root = tmp_path / f"client{n}"
        root.mkdir()
        init_workspace(root)
        postgres_workspace(root, f"client{n}")
        roots.append(root)
    env = {**os.environ, **llm.env(), DSN_VAR: dsn}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "charter.app.cli", "build", "--json"],
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for root in roots
    ]
    outputs = [proc.communicate(timeout=280) for proc in procs]
    threads = set()
    for n, (root, proc, (stdout, stderr)) in enumerate(zip(roots, procs, outputs, strict=True)):
        assert proc.returncode == 0, stderr.decode() + stdout.decode()
        assert json.loads(stdout)["status"] == "done"
        (bdir,) = builds(root)
        expected = {f"t{k}.txt": f"client{n}-{k}\n".encode() for k in (1, 2, 3)}
        assert tree(bdir / "workspace") == expected
        thread = json.loads((bdir / "checkpointer.json").read_text())["thread_id"]
        assert checkpointed_tasks(dsn, thread) == dict.fromkeys(("T1", "T2", "T3"), "done")
        threads.add(thread)
    assert len(threads) == 4
    assert script.count("planner") == 4 and script.count("coder") == 12
