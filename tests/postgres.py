"""A real PostgreSQL server for the test run, from Debian's ``postgresql`` package.

``postgresql_server`` (session scope) runs initdb in a temporary directory, starts the
server as the ``postgres`` OS user on a free loopback port, and stops it by its PID at
the end. ``postgresql_url`` gives each test a fresh, empty database on it. Missing
binaries FAIL the run, never skip it: a green run must mean PostgreSQL was tested.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

INSTALL_HINT = "install Debian's PostgreSQL server: apt-get install -y postgresql"
# Durability is not under test here and costs seconds per run.
FAST_SETTINGS = ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    pid: int

    def admin_url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@{self.host}:{self.port}/{database}"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@{self.host}:{self.port}/{database}"


def find_bin_dir(pattern: str = "/usr/lib/postgresql/*/bin") -> Path:
    """The newest Debian PostgreSQL server binaries; fails the run (never skips) without them."""
    candidates = sorted(glob.glob(pattern), reverse=True)
    for candidate in candidates:
        if all(os.access(Path(candidate, name), os.X_OK) for name in ("initdb", "postgres")):
            return Path(candidate)
    pytest.fail(f"PostgreSQL binaries not found under {pattern}; {INSTALL_HINT}", pytrace=False)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_ready(server: PostgresServer, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"PostgreSQL exited at start-up:\n{log.read_text()}", pytrace=False)
        try:
            psycopg.connect(server.admin_url(), connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            time.sleep(0.1)
    pytest.fail(f"PostgreSQL did not accept connections in 30 s:\n{log.read_text()}", pytrace=False)


@pytest.fixture(scope="session")
def postgresql_server():
    bin_dir = find_bin_dir()
    try:
        owner = pwd.getpwnam("postgres")
    except KeyError:
        pytest.fail(f"no 'postgres' OS user to run the server as; {INSTALL_HINT}", pytrace=False)
    base = Path(tempfile.mkdtemp(prefix="haven-pg-"))
    data, sockets, log = base / "data", base / "sockets", base / "server.log"
    sockets.mkdir()
    log.touch()
    os.chown(base, owner.pw_uid, owner.pw_gid)
    for path in (sockets, log):
        os.chown(path, owner.pw_uid, owner.pw_gid)
    # PostgreSQL refuses to run as root, hence user=; trust auth is fine on loopback in a test.
    subprocess.run(
        [bin_dir / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"],
        user=owner.pw_uid, group=owner.pw_gid, check=True, capture_output=True, cwd=base,
    )
    port = _free_port()
    with open(log, "ab") as log_file:
        process = subprocess.Popen(
            [bin_dir / "postgres", "-D", data, "-h", "127.0.0.1", "-p", str(port),
             "-k", sockets, *FAST_SETTINGS],
            user=owner.pw_uid, group=owner.pw_gid, stdout=log_file, stderr=subprocess.STDOUT,
            cwd=base,
        )
    server = PostgresServer("127.0.0.1", port, process.pid)
    try:
        _wait_ready(server, process, log)
        yield server
    finally:
        # SIGINT is PostgreSQL's "fast shutdown": roll back sessions, stop cleanly.
        os.kill(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
        shutil.rmtree(base, ignore_errors=True)


_database_numbers = itertools.count(1)


def create_database(server: PostgresServer, template: str | None = None) -> str:
    """A new database (a copy of ``template`` if given); returns its name."""
    name = f"test_{os.getpid()}_{next(_database_numbers)}"
    # FILE_COPY clones a template far faster than the default WAL_LOG with fsync off.
    clone = f' TEMPLATE "{template}" STRATEGY FILE_COPY' if template else ""
    with psycopg.connect(server.admin_url(), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"{clone}')
    return name


def drop_database(server: PostgresServer, name: str) -> None:
    with psycopg.connect(server.admin_url(), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
def postgresql_url(postgresql_server: PostgresServer) -> str:
    """A SQLAlchemy URL to a new, empty database (dropped at the end of the test)."""
    name = create_database(postgresql_server)
    yield postgresql_server.url(name)
    drop_database(postgresql_server, name)
