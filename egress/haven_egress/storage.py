"""Opening the egress database and bringing its schema up to date.

SQLite (the embedded default) is opened in WAL mode so readers never block the one
writer, with foreign keys on (SQLite leaves them off unless asked). PostgreSQL needs
nothing special. The schema is only ever created by the Alembic migrations in
``migrations/``, never by ``create_all``, so production and tests share one path.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL with synchronous=FULL: a committed submission survives power loss.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


# Execution option a writing transaction sets on its connection (see ``writing``).
WRITE = "haven_write"


def _begin(connection) -> None:
    # A writer takes the write lock at BEGIN: one that reads, then writes, could otherwise
    # decide on a stale read or fail with "database is locked" when another writer
    # committed in between. Readers begin deferred, so WAL lets them run alongside.
    immediate = connection.get_execution_options().get(WRITE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def writing(session: Session) -> None:
    """Mark the session's transaction, before its first statement, as one that will write.

    On SQLite this takes the write lock at once; PostgreSQL ignores it (the service
    locks the rows it decides on with SELECT … FOR UPDATE instead).
    """
    session.connection(execution_options={WRITE: True})


# Any fixed number: the PostgreSQL advisory lock fsck's deletions and submissions' commits share.
BLOB_LOCK = 0x68617665


def lock_blobs(session: Session, exclusive: bool = False) -> None:
    """Hold the blob store's lock until the transaction ends: shared by each submission
    (they never wait for each other), exclusive for fsck deleting orphans.

    SQLite needs nothing more: ``writing`` already holds its one write lock.
    """
    if session.get_bind().dialect.name == "postgresql":
        function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
        session.execute(text(f"SELECT {function}(:key)"), {"key": BLOB_LOCK})


def open_engine(url: str) -> Engine:
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _begin)
    return engine


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolation would choke on a '%' in a password.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Apply every migration not yet applied (safe to run on every start)."""
    engine = open_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    # expire_on_commit=False: views built inside a transaction stay readable after it.
    return sessionmaker(engine, expire_on_commit=False)
