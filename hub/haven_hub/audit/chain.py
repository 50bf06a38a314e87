"""The audit-event format and its hash chain, shared by every Haven part that records who did what.

An event is (time, actor, action, target, project, details). Each part owns its own
table, made by ``audit_table(metadata)`` on its own metadata, and writes events with
``record`` inside the same transaction as the change they describe: if the change rolls
back, so does its event, and there is never a change without one.

Each table is a hash chain of its own: an event stores ``prev_hash`` (the previous
event's ``hash``, or 64 zeros for the first) and ``hash`` = SHA-256 of ``prev_hash``, a
newline and the event's canonical form. Changing, inserting or deleting a row breaks
the chain from there on, and ``verify`` names the first broken link. Deleting events
from the *end* leaves a shorter chain that still holds: ``anchor`` keeps the head
(count and last hash, with an HMAC) outside the event store to catch that.

Appends must be serialised or two transactions would both chain onto the same event.
On PostgreSQL ``record`` takes a transaction-scoped advisory lock per table. SQLite has
one writer at a time; Haven's writers begin IMMEDIATE (``storage.writing``), and a
deferred one that read a stale head fails to write rather than forking the chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pathlib import Path

from sqlalchemy import JSON, Column, DateTime, Integer, MetaData, String, Table, event, func, insert, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from . import anchor

GENESIS = "0" * 64


def utcnow() -> datetime:
    return datetime.now(UTC)


def _utc(time: datetime) -> datetime:
    # SQLite hands back naive datetimes; Haven only ever writes UTC.
    return time.replace(tzinfo=UTC) if time.tzinfo is None else time.astimezone(UTC)


@dataclass(frozen=True)
class AuditEvent:
    actor: str
    action: str  # dotted verb, e.g. "egress.submit", "project.create"
    target: str  # what was acted on, e.g. "request/3f2a…", "file/17"
    project: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    time: datetime = field(default_factory=utcnow)

    def canonical(self) -> bytes:
        """A stable byte form (sorted keys, UTC ISO time) for hashing or signing."""
        body = {
            "time": _utc(self.time).isoformat(),
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "project": self.project,
            "details": self.details,
        }
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()

    def chain_hash(self, prev_hash: str) -> str:
        return hashlib.sha256(prev_hash.encode() + b"\n" + self.canonical()).hexdigest()


def audit_table(metadata: MetaData, name: str = "audit_events") -> Table:
    return Table(
        name,
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("time", DateTime(timezone=True), nullable=False),
        Column("actor", String(64), nullable=False),
        Column("action", String(64), nullable=False, index=True),
        Column("target", String(128), nullable=False, index=True),
        Column("project", String(64), nullable=True, index=True),
        Column("details", JSON, nullable=False),
        Column("prev_hash", String(64), nullable=False),
        Column("hash", String(64), nullable=False),
    )


def _lock_key(table: Table) -> int:
    # A stable signed 64-bit number per table: its chain's lock, whoever takes it.
    return int.from_bytes(hashlib.sha256(f"haven-audit:{table.name}".encode()).digest()[:8], "big", signed=True)


def _head(session: Session, table: Table) -> str:
    if session.get_bind().dialect.name == "postgresql":
        # Held until this transaction ends: the next writer reads our event as its head.
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(table)})
    last = session.scalar(select(table.c.hash).order_by(table.c.id.desc()).limit(1))
    return last or GENESIS


@dataclass(frozen=True)
class Anchor:
    """Where a chain's head is kept outside its database (see :mod:`.anchor`)."""

    head_path: Path
    key_path: Path


# (database URL, table name) -> its anchor; a chain whose database has none is not anchored.
_anchors: dict[tuple[str, str], Anchor] = {}


def anchor_table(engine: Engine, table: Table, where: Anchor) -> None:
    """From now on, every commit in this process that appended to ``table`` moves its head forward."""
    _anchors[(engine.url.render_as_string(hide_password=True), table.name)] = where


def _anchor_of(session: Session, table: Table) -> tuple[Engine, Anchor] | None:
    engine = session.get_bind()
    where = _anchors.get((engine.url.render_as_string(hide_password=True), table.name))
    return (engine, where) if where else None


def current_head(connection: Any, table: Table) -> anchor.Head:
    count = connection.scalar(select(func.count()).select_from(table))
    last = connection.scalar(select(table.c.hash).order_by(table.c.id.desc()).limit(1))
    return anchor.Head(count, last or GENESIS)


def _after_commit_moves_the_head(session: Session, table: Table) -> None:
    anchored = _anchor_of(session, table)
    flag = f"haven-audit-anchor:{table.name}"
    if anchored is None or session.info.get(flag):
        return
    session.info[flag] = True
    engine, where = anchored

    def move(_session: Session) -> None:
        # Read after the commit, from the database itself, so the head is never ahead of it;
        # advance_head only moves forward, so a slower writer cannot pull it back.
        with engine.connect() as connection:
            head = current_head(connection, table)
        anchor.advance_head(where.head_path, anchor.load_or_create_key(where.key_path), head)

    event.listen(session, "after_commit", move)


def record(session: Session, table: Table, event_: AuditEvent) -> None:
    """Add the event to the session's transaction (committed, or not, with the change)."""
    _after_commit_moves_the_head(session, table)
    prev_hash = _head(session, table)
    session.execute(
        insert(table).values(
            time=event_.time,
            actor=event_.actor,
            action=event_.action,
            target=event_.target,
            project=event_.project,
            details=event_.details,
            prev_hash=prev_hash,
            hash=event_.chain_hash(prev_hash),
        )
    )


def _event(row: Any) -> AuditEvent:
    return AuditEvent(actor=row.actor, action=row.action, target=row.target, project=row.project,
                      details=row.details, time=row.time)


def read(session: Session, table: Table, target: str | None = None) -> list[AuditEvent]:
    query = select(table).order_by(table.c.id)
    if target is not None:
        query = query.where(table.c.target == target)
    return [_event(row) for row in session.execute(query)]


@dataclass(frozen=True)
class ChainReport:
    table: str
    events: int  # checked, up to and including the first broken one
    broken_at: int | None = None  # id of the first event whose link does not hold
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def _rows(session: Session, table: Table, batch: int = 1000) -> Iterator[Any]:
    last_id = None
    while True:
        query = select(table).order_by(table.c.id).limit(batch)
        if last_id is not None:
            query = query.where(table.c.id > last_id)
        rows = session.execute(query).all()
        yield from rows
        if len(rows) < batch:
            return
        last_id = rows[-1].id


def verify(session: Session, table: Table) -> ChainReport:
    """Walk the chain from the first event; report the first link that does not hold."""
    expected_prev = GENESIS
    count = 0
    for row in _rows(session, table):
        count += 1
        if row.prev_hash != expected_prev:
            return ChainReport(table.name, count, row.id,
                               "prev_hash is not the previous event's hash (an event was removed, "
                               "inserted or reordered before this one)")
        if _event(row).chain_hash(row.prev_hash) != row.hash:
            return ChainReport(table.name, count, row.id, "the event's content does not match its hash "
                               "(it was changed after it was written)")
        expected_prev = row.hash
    return ChainReport(table.name, count)


def verify_anchored(session: Session, table: Table, where: Anchor) -> ChainReport:
    """``verify``, then the chain held against its anchored head: trimming the newest events,
    or replacing the log with another valid chain, is found too."""
    report = verify(session, table)
    if not report.intact:
        return report
    try:
        head = anchor.read_head(where.head_path, anchor.load_or_create_key(where.key_path))
    except anchor.AnchorError as error:
        return ChainReport(table.name, report.events, 0, str(error))
    if head is None:
        if report.events:
            return ChainReport(table.name, report.events, 0,
                               f"the log holds {report.events} events but its head file {where.head_path} is missing")
        return report
    if head.events > report.events:
        return ChainReport(table.name, report.events, report.events + 1,
                           f"{head.events - report.events} event(s) were removed from the end: the head records "
                           f"{head.events} events, the log holds {report.events}")
    anchored = session.scalar(select(table.c.hash).order_by(table.c.id).offset(head.events - 1).limit(1)) \
        if head.events else GENESIS
    if anchored != head.last_hash:
        return ChainReport(table.name, report.events, head.events,
                           "the event the head anchors is not the one in the log (the log was rewritten)")
    if report.events > head.events:
        return ChainReport(table.name, report.events, None,
                           f"the last {report.events - head.events} event(s) are not anchored yet "
                           "(a writer stopped between its commit and the head file)")
    return report
