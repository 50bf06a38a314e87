"""The hub side's audit log: logins, servers started and stopped, projects, members, grants, accounts.

Its own small SQLite file (``<data_dir>/audit/hub.sqlite``), not a table in JupyterHub's
database: that schema belongs to JupyterHub and its migrations, and three kinds of
process write these events (the hub itself, the ``haven`` command and the admin
service), none of which should reach into the hub's tables. It is one chain in the
shared format (:mod:`.chain`), anchored by a head file (:mod:`.anchor`).

Appends from several processes are serialised by an exclusive lock on a lock file
held from reading the head to writing the head file, so the chain never forks and the
head file always names the newest event.
"""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, create_engine, event, func, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from . import anchor, chain

TABLE = "hub_audit_events"
AUDIT_DIR = Path("audit")
HEAD_KEY = Path("secrets/audit-head-key")

log = logging.getLogger("haven.audit")


@dataclass(frozen=True)
class StoredEvent:
    id: int
    event: chain.AuditEvent

    def as_json(self) -> dict[str, Any]:
        e = self.event
        return {"id": self.id, "time": chain._utc(e.time).isoformat(), "actor": e.actor, "action": e.action,
                "target": e.target, "project": e.project, "details": e.details}


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
        metadata.create_all(self.engine)

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
        key = anchor.load_or_create_key(self.key_path)
        with self._append_lock(), Session(self.engine) as session:
            with session.begin():
                chain.record(session, self.table, event_)
                count = session.scalar(select(func.count()).select_from(self.table))
                last_hash = session.scalar(select(self.table.c.hash).order_by(self.table.c.id.desc()).limit(1))
            # After the commit and before the lock is released: if this process dies in
            # between, the head lags by one event, which verify reports without failing.
            anchor.write_head(self.head_path, key, anchor.Head(count, last_hash))

    @contextmanager
    def _append_lock(self) -> Iterator[None]:
        with open(self._lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    # -- reading --------------------------------------------------------------------

    def events(self, filter_: EventFilter = EventFilter()) -> list[StoredEvent]:
        """Matching events, oldest first."""
        t = self.table
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
        with Session(self.engine) as session:
            rows = session.execute(query).all()
        return [StoredEvent(row.id, chain._event(row)) for row in reversed(rows)]

    def verify(self) -> chain.ChainReport:
        """The chain walked from its first event, then held against the anchored head."""
        with Session(self.engine) as session:
            return chain.verify_anchored(session, self.table, chain.Anchor(self.head_path, self.key_path))


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
