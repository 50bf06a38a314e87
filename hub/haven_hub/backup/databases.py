"""One database copied consistently while Haven runs, and put back.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies a consistent snapshot
page by page while writers carry on. PostgreSQL: ``pg_dump`` in its custom format (one
snapshot of the whole database) and ``pg_restore --single-transaction``, so a failed
restore leaves the database as it was. The tools are Debian's ``postgresql-client``
(found on PATH or under /usr/lib/postgresql/*/bin, newest first).

An audit chain's head file lives outside its database; the two are copied as a pair that
agrees (:func:`save_with_chain`), or the backup says it could not make them agree.
"""

from __future__ import annotations

import fcntl
import glob
import os
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, func, select, table
from sqlalchemy.engine import make_url

from ..audit import anchor
from .state import Chain, Database, StateError

ATTEMPTS = 20
PAUSE_SECONDS = 0.1


def find_tool(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)),
                                       None)
    if found is None:
        raise StateError(f"{name} was not found (on PATH or under /usr/lib/postgresql/*/bin): "
                         "install Debian's postgresql-client")
    return found


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection URL for the tools, and the environment carrying the password
    (never on the command line, where every account on the host could read it)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    return parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database into a new file ``target`` (0600)."""
    if not source.is_file():
        raise StateError(f"the SQLite database {source} does not exist")
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as reader, sqlite3.connect(target) as writer:
        reader.backup(writer)
    writer.close()
    reader.close()


def save(database: Database, target: Path) -> None:
    if database.engine == "sqlite":
        sqlite_copy(database.path, target)
        return
    url, env = _libpq(database.url)
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    done = subprocess.run([find_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                           f"--file={target}", url], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise StateError(f"pg_dump of the {database.name} database failed: {done.stderr.strip()}")


def exists(database: Database) -> bool:
    return database.engine == "postgresql" or database.path.is_file()


def _chain_length(sqlite_file: Path, table_name: str) -> int:
    engine = create_engine(f"sqlite:///{sqlite_file}")
    try:
        with engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(table(table_name)))
    finally:
        engine.dispose()


def save_with_chain(database: Database, chain: Chain, target: Path, head_target: Path) -> str | None:
    """The database and its chain's head file, copied so that they agree: the head read before
    and after the copy is the same, and (SQLite) the copy holds exactly the events it anchors.
    A writer between its commit and its head file makes them differ for a moment, so this
    tries again a few times. Returns a note when they never agreed (the copy is kept: an
    unanchored tail is for ``haven audit accept``, never a reason to have no backup)."""
    key = anchor.load_or_create_key(chain.key_file) if chain.head_file.exists() else None
    for _attempt in range(ATTEMPTS):
        with _writers_held(chain):
            before = chain.head_file.read_bytes() if chain.head_file.exists() else None
            target.unlink(missing_ok=True)
            save(database, target)
            after = chain.head_file.read_bytes() if chain.head_file.exists() else None
        if before == after:
            anchored = anchor.read_head(chain.head_file, key).events if key and before is not None else 0
            if database.engine != "sqlite" or _chain_length(target, chain.table) == anchored:
                break
        time.sleep(PAUSE_SECONDS)
    else:
        return (f"the {database.name} database and its audit head file {chain.head_file} kept moving while "
                "they were copied; after restoring, `haven audit verify` may name unanchored events")
    if before is not None:
        with open(os.open(head_target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
            out.write(before)
    return None


@contextmanager
def _writers_held(chain: Chain) -> Iterator[None]:
    """The chain's writers paused (they wait on their own lock) while its copy is made."""
    if chain.writers_lock is None or not chain.writers_lock.exists():
        yield
        return
    with open(chain.writers_lock, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def load_sqlite(backup_file: Path, target: Path) -> None:
    """The backed-up database at ``target`` (a new file, 0600)."""
    sqlite_copy(backup_file, target)


def load_postgresql(database: Database, backup_file: Path) -> None:
    """Replaces what the database holds with the dump, in one transaction (all or nothing)."""
    url, env = _libpq(database.url)
    done = subprocess.run([find_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
                           "--single-transaction", "--exit-on-error", f"--dbname={url}", str(backup_file)],
                          env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise StateError(f"pg_restore of the {database.name} database failed (it was left as it was): "
                         f"{done.stderr.strip()}")
