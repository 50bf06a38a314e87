"""The day's totals of bytes sent to browsers, per (user, project, UTC day), in Haven's own SQLite file.

``<data_dir>/meter/browser.sqlite`` (0600 in a 0700 directory), not a table in JupyterHub's
database, for the same reason as the audit log: that schema belongs to JupyterHub. Only the
hub process writes it (the meter API); the spawner and the admin service read it.

Servers report increments, never totals, so a report can only raise a count: a server (or
an analyst holding its token) can make their own day look worse, never better.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import (BigInteger, Column, Date, DateTime, MetaData, String, Table, create_engine, event, select,
                        update)
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.engine import Engine

METER_DIR = Path("meter")
METER_FILE = "browser.sqlite"
# Far more than a server can send between two reports (a few seconds), far less than an
# overflow: anything larger is a broken or hostile reporter, refused.
MAX_INCREMENT = 64 * 1024**3
# browser.metered is audited at most this often per (user, project).
AUDIT_EVERY = timedelta(minutes=1)


class MeterError(ValueError):
    """A report that is not a count of bytes; the message says what was wrong."""


@dataclass(frozen=True)
class DayTotal:
    user: str
    project: str
    day: date
    bytes: int
    exceeded: bool = False  # past the budget at some point today
    crossed_now: bool = False  # this report took it past the budget
    audit_due: bool = False  # time for this day's periodic browser.metered event


def utcnow() -> datetime:
    return datetime.now(UTC)


def _utc(time: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; only UTC is ever written.
    return time.replace(tzinfo=UTC) if time is not None and time.tzinfo is None else time


def check_increment(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise MeterError(f"bytes must be a whole number of bytes, not {value!r}")
    if value < 0:
        raise MeterError(f"bytes must not be negative ({value}): reports only ever add")
    if value > MAX_INCREMENT:
        raise MeterError(f"bytes {value} is more than one report can carry ({MAX_INCREMENT})")
    return value


class MeterStore:
    def __init__(self, path: Path, clock: Callable[[], datetime] = utcnow) -> None:
        self.path = path
        self.clock = clock
        _private_file(path)
        self.engine = _engine(path)
        metadata = MetaData()
        self.table = Table(
            "browser_bytes", metadata,
            Column("user", String(255), primary_key=True),
            Column("project", String(64), primary_key=True),
            Column("day", Date, primary_key=True),
            Column("bytes", BigInteger, nullable=False),
            Column("updated", DateTime, nullable=False),
            Column("audited_at", DateTime, nullable=True),
            Column("exceeded_at", DateTime, nullable=True),
        )
        metadata.create_all(self.engine)

    @classmethod
    def for_data_dir(cls, data_dir: Path, clock: Callable[[], datetime] = utcnow) -> MeterStore:
        return cls(data_dir / METER_DIR / METER_FILE, clock)

    def close(self) -> None:
        self.engine.dispose()

    def today(self) -> date:
        return self.clock().astimezone(UTC).date()

    def add(self, user: str, project: str, increment: Any, budget: int | None) -> DayTotal:
        """Adds a server's increment to today's total; says whether it crossed ``budget`` just now
        and whether the periodic audit event is due."""
        increment = check_increment(increment)
        now = self.clock().astimezone(UTC)
        day = now.date()
        t = self.table
        key = (t.c.user == user) & (t.c.project == project) & (t.c.day == day)
        with self.engine.begin() as connection:
            upsert = insert(t).values(user=user, project=project, day=day, bytes=increment, updated=now)
            connection.execute(upsert.on_conflict_do_update(
                index_elements=[t.c.user, t.c.project, t.c.day],
                set_={"bytes": t.c.bytes + increment, "updated": now}))
            row = connection.execute(select(t).where(key)).one()
            crossed = budget is not None and row.bytes > budget and row.exceeded_at is None
            audited = _utc(row.audited_at)
            audit_due = increment > 0 and (audited is None or now - audited >= AUDIT_EVERY)
            changes = {**({"exceeded_at": now} if crossed else {}), **({"audited_at": now} if audit_due else {})}
            if changes:
                connection.execute(update(t).where(key).values(**changes))
        return DayTotal(user, project, day, row.bytes, exceeded=crossed or row.exceeded_at is not None,
                        crossed_now=crossed, audit_due=audit_due)

    def total(self, user: str, project: str) -> DayTotal:
        """Today's total so far (0 if nothing was reported today)."""
        day = self.today()
        t = self.table
        with self.engine.connect() as connection:
            row = connection.execute(
                select(t).where((t.c.user == user) & (t.c.project == project) & (t.c.day == day))).one_or_none()
        if row is None:
            return DayTotal(user, project, day, 0)
        return DayTotal(user, project, day, row.bytes, exceeded=row.exceeded_at is not None)

    def day_totals(self, day: date | None = None) -> list[DayTotal]:
        """Every (user, project) that sent anything on ``day`` (default today), by project then user."""
        day = day or self.today()
        t = self.table
        with self.engine.connect() as connection:
            rows = connection.execute(select(t).where(t.c.day == day).order_by(t.c.project, t.c.user)).all()
        return [DayTotal(r.user, r.project, r.day, r.bytes, exceeded=r.exceeded_at is not None) for r in rows]


def _private_file(path: Path) -> None:
    """The directory 0700 and the database 0600 before SQLite first opens it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    path.chmod(0o600)


def _engine(path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _pragmas(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    return engine


_stores: dict[Path, MeterStore] = {}


def meter_store(data_dir: Path) -> MeterStore:
    """One store per data directory in this process."""
    if data_dir not in _stores:
        _stores[data_dir] = MeterStore.for_data_dir(data_dir)
    return _stores[data_dir]
