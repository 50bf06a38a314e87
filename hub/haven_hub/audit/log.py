"""The hub side's audit log: logins, servers, projects, members, grants, accounts, API tokens.

Its own small SQLite file (``<data_dir>/audit/hub.sqlite``), not a table in JupyterHub's
database: that schema belongs to JupyterHub and its migrations, and three kinds of
process write these events (the hub itself, the ``haven`` command and the admin
service), none of which should reach into the hub's tables. It is one chain in the
shared format (:mod:`.chain`), anchored by a head file (:mod:`.anchor`).

Appends from several processes are serialised by an exclusive lock on a lock file
held from reading the head to writing the head file, so the chain never forks and the
head file names the newest event a Haven writer appended (never one it did not).
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, Table, create_engine, event, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from . import chain, schema

TABLE = schema.TABLE
AUDIT_DIR = Path("audit")
HEAD_KEY = Path("secrets/audit-head-key")

log = logging.getLogger("haven.audit")


@dataclass(frozen=True)
class StoredEvent:
    id: int  # within its chain
    event: chain.AuditEvent
    chain_name: str = "hub"

    def as_json(self) -> dict[str, Any]:
        e = self.event
        return {"chain": self.chain_name, "id": self.id, "time": chain._utc(e.time).isoformat(), "actor": e.actor,
                "action": e.action, "target": e.target, "project": e.project, "details": e.details}


@dataclass(frozen=True)
class EventFilter:
    user: str | None = None  # who acted, or whose account/server it was about
    project: str | None = None
    type: str | None = None  # an action ("project.create") or a prefix of one ("project")
    since: datetime | None = None
    until: datetime | None = None
    limit: int | None = None  # the newest N that match


class HubAuditLog:
    def __init__(self, directory: Path, key_path: Path) -> None:
        self.directory = directory
        self.key_path = key_path
        directory.mkdir(parents=True, exist_ok=True)
        self.head_path = directory / "hub.head"
        self._lock_path = directory / "hub.lock"
        self.engine = _engine(directory / "hub.sqlite")
        metadata = MetaData()
        self.table = chain.audit_table(metadata, TABLE)
        # Migrated, never create_all'd; under the append lock, so two processes opening a new
        # log do not both create it.
        with self._append_lock():
            schema.upgrade(self.engine)
        chain.anchor_table(self.engine, self.table, self.anchor)

    @property
    def anchor(self) -> chain.Anchor:
        return chain.Anchor(self.head_path, self.key_path)

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> HubAuditLog:
        return cls(data_dir / AUDIT_DIR, data_dir / HEAD_KEY)

    @classmethod
    def from_settings(cls, settings: Any) -> HubAuditLog:
        return cls.for_data_dir(settings.hub.data_dir)

    def close(self) -> None:
        self.engine.dispose()

    # -- writing --------------------------------------------------------------------

    def record(self, actor: str, action: str, target: str, project: str | None = None,
               **details: Any) -> None:
        event_ = chain.AuditEvent(actor=actor, action=action, target=target, project=project, details=details)
        # Held from reading the chain's last hash until the head file moved past this event,
        # so writers in other processes append and anchor strictly one after the other: the
        # head then connects to every genuine segment at once, and never to a planted event.
        with self._append_lock(), Session(self.engine) as session:
            with session.begin():
                chain.record(session, self.table, event_)

    def accept(self, actor: str) -> None:
        """The chain as it stands becomes anchored, with an ``audit.accept`` event (``chain.accept``)."""
        with self._append_lock():
            chain.accept(self._transaction, self.table, self.anchor, actor)

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        with Session(self.engine) as session, session.begin():
            yield session

    @contextmanager
    def _append_lock(self) -> Iterator[None]:
        # 0600 whatever the umask (the audit folder must stay private: haven_hub.host_state).
        with os.fdopen(os.open(self._lock_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    # -- reading --------------------------------------------------------------------

    def events(self, filter_: EventFilter = EventFilter()) -> list[StoredEvent]:
        """Matching events, oldest first."""
        with Session(self.engine) as session:
            return matching(session, self.table, filter_, "hub")

    def verify(self, grace_seconds: float = chain.DEFAULT_GRACE_SECONDS) -> chain.ChainReport:
        """The chain walked from its first event, then held against the anchored head."""
        with Session(self.engine) as session:
            return chain.verify_anchored(session, self.table, self.anchor, grace_seconds)


def matching(session: Session, table: Table, filter_: EventFilter, chain_name: str) -> list[StoredEvent]:
    """The events of any chain in the shared format that match, oldest first."""
    t = table
    query = select(t)
    if filter_.user:
        query = query.where(or_(t.c.actor == filter_.user, t.c.target == f"user/{filter_.user}",
                                t.c.target.like(f"server/{_escape(filter_.user)}/%", escape="\\")))
    if filter_.project:
        query = query.where(t.c.project == filter_.project)
    if filter_.type:
        query = query.where(or_(t.c.action == filter_.type,
                                t.c.action.like(f"{_escape(filter_.type)}.%", escape="\\")))
    if filter_.since:
        query = query.where(t.c.time >= filter_.since)
    if filter_.until:
        query = query.where(t.c.time <= filter_.until)
    query = query.order_by(t.c.id.desc())
    if filter_.limit:
        query = query.limit(filter_.limit)
    rows = session.execute(query).all()
    return [StoredEvent(row.id, chain._event(row), chain_name) for row in reversed(rows)]


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _engine(path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _pragmas(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    return engine


_logs: dict[Path, HubAuditLog] = {}


def hub_log(data_dir: Path) -> HubAuditLog:
    """One log per data directory in this process (the hub's hooks call it per event)."""
    if data_dir not in _logs:
        _logs[data_dir] = HubAuditLog.for_data_dir(data_dir)
    return _logs[data_dir]
