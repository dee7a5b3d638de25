"""A throwaway PostgreSQL server for tests and benchmarks: initdb in a temp dir, one port on
127.0.0.1, password authentication, stopped and deleted afterwards.

Uses Debian's binaries (`initdb`, `pg_ctl`, `createdb` on PATH or under
/usr/lib/postgresql/*/bin; `.ci/run` installs them). PostgreSQL refuses to run as root, so as
root the server runs as `nobody` (through `runuser`) from a directory that user owns.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

SERVER_USER = "nobody"  # who runs the server when the tests run as root
SUPERUSER = "charter"
START_TIMEOUT_S = 60


class PgUnavailable(RuntimeError):
    """PostgreSQL's binaries are missing or the server would not start; the message says why."""


def pg_bin(name: str) -> Path | None:
    """A PostgreSQL program: on PATH, else the newest under /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return Path(found)
    candidates = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return candidates[-1] if candidates else None


def _free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PgServer:
    """A running server: its directory, port and the superuser's password."""

    root: Path
    port: int
    password: str = field(repr=False)
    bindir: Path
    as_user: list[str]

    def dsn(self, dbname: str, *, password: str | None = None) -> str:
        """A connection URL for `dbname` with the password in it (what a user puts in env)."""
        secret = quote(self.password if password is None else password, safe="")
        return f"postgresql://{SUPERUSER}:{secret}@127.0.0.1:{self.port}/{dbname}"

    def createdb(self, name: str | None = None) -> str:
        """Create a fresh database (a random name by default) and return its URL."""
        name = name or f"t_{secrets.token_hex(6)}"
        env = {**os.environ, "PGPASSWORD": self.password}
        args = ["-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER, name]
        subprocess.run(
            [str(self.bindir / "createdb"), *args], env=env, check=True, capture_output=True
        )
        return self.dsn(name)

    def pg_ctl(self) -> list[str]:
        """The start of a `pg_ctl` command line on this server's data directory."""
        return [*self.as_user, str(self.bindir / "pg_ctl"), "-D", str(self.root / "data")]

    def stop(self) -> None:
        """Stop the server at once and delete its files."""
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            subprocess.run(
                [*self.pg_ctl(), "-m", "immediate", "-w", "stop"],
                check=False,
                capture_output=True,
                timeout=60,
            )
        shutil.rmtree(self.root, ignore_errors=True)


def start_postgres() -> PgServer:
    """initdb and start a server on a free loopback port; PgUnavailable when it cannot be."""
    initdb = pg_bin("initdb")
    if initdb is None or pg_bin("pg_ctl") is None:
        raise PgUnavailable("PostgreSQL is not installed (apt-get install -y postgresql)")
    bindir = initdb.resolve().parent
    as_user: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="charter-pg-"))
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        if runuser is None:
            raise PgUnavailable("running as root and there is no runuser to drop to nobody")
        as_user = [runuser, "-u", SERVER_USER, "--"]
        shutil.chown(root, SERVER_USER)
    password = secrets.token_urlsafe(16)
    pwfile = root / "pw"
    pwfile.write_text(password + "\n", encoding="utf-8")
    if as_user:
        shutil.chown(pwfile, SERVER_USER)
    server = PgServer(root, 0, password, bindir, as_user)
    try:
        auth = ["-U", SUPERUSER, "--pwfile", str(pwfile), "--auth=scram-sha-256"]
        _initdb([*as_user, str(initdb), "-D", str(root / "data"), *auth, "-E", "UTF8", "--no-sync"])
        pwfile.unlink()
        (root / "sock").mkdir()
        if as_user:
            shutil.chown(root / "sock", SERVER_USER)
        for _attempt in range(3):  # the free port may be taken between probe and start
            server.port = _free_port()
            # A throwaway server: nothing needs to survive a crash, so no fsync.
            options = (
                f"-p {server.port} -k {root / 'sock'} -c listen_addresses=127.0.0.1 "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c max_connections=100"
            )
            log = ["-l", str(root / "log"), "-w", "-t", str(START_TIMEOUT_S)]
            done = subprocess.run(
                [*server.pg_ctl(), "-o", options, *log, "start"],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode == 0:
                return server
        text = (root / "log").read_text(errors="replace") if (root / "log").exists() else ""
        raise PgUnavailable(f"pg_ctl start failed: {done.stderr.strip()} {text[-2000:]}")
    except BaseException:
        server.stop()
        raise


def _initdb(argv: list[str]) -> None:
    """Run initdb; PgUnavailable with its output when it fails."""
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise PgUnavailable(f"initdb failed: {done.stdout[-1000:]} {done.stderr[-1000:]}")
