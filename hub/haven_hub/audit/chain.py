"""The audit-event format and its hash chain, shared by every Haven part that records who did what.

An event is (time, actor, action, target, project, details). Each part owns its own
table, made by ``audit_table(metadata)`` on its own metadata, and writes events with
``record`` inside the same transaction as the change they describe: if the change rolls
back, so does its event, and there is never a change without one.

Each table is a hash chain of its own: an event stores ``prev_hash`` (the previous
event's ``hash``, or 64 zeros for the first) and ``hash`` = SHA-256 of ``prev_hash``, a
newline and the event's canonical form. Changing, inserting or deleting a row breaks
the chain from there on, and ``verify`` names the first broken link. Deleting events
from the *end* leaves a shorter chain that still holds, and an event appended with
plain SQL chains as well as a genuine one: ``anchor`` keeps the head (count and last
hash, with an HMAC) outside the event store, moved only along what Haven's writers
report they appended (``record`` notes it; the commit reports it), to catch both.

Appends must be serialised or two transactions would both chain onto the same event.
On PostgreSQL ``record`` takes a transaction-scoped advisory lock per table. SQLite has
one writer at a time; Haven's writers begin IMMEDIATE (``storage.writing``), and a
deferred one that read a stale head fails to write rather than forking the chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pathlib import Path

from sqlalchemy import JSON, Column, DateTime, Integer, MetaData, String, Table, event, func, insert, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from . import anchor

GENESIS = anchor.GENESIS
# How long a writer may take from its commit to the head file (``hub.audit_grace_seconds``).
DEFAULT_GRACE_SECONDS = 10.0


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


def _count(session: Session, table: Table) -> int:
    return session.scalar(select(func.count()).select_from(table))


def _segment_key(table: Table) -> str:
    return f"haven-audit-segment:{table.name}"


def _moves_the_head_after_commit(session: Session, table: Table) -> bool:
    """Once per session: after each commit, the head moves along what this session appended.
    False when the chain has no anchor in this process."""
    anchored = _anchor_of(session, table)
    flag = f"haven-audit-anchor:{table.name}"
    if anchored is None:
        return False
    if session.info.get(flag):
        return True
    session.info[flag] = True
    _engine, where = anchored
    key = _segment_key(table)

    def move(session_: Session) -> None:
        segment = session_.info.pop(key, None)
        if segment is not None:
            anchor.advance_head(where.head_path, anchor.load_or_create_key(where.key_path), segment)

    def forget(session_: Session) -> None:
        session_.info.pop(key, None)  # rolled back: nothing of it is in the chain

    event.listen(session, "after_commit", move)
    event.listen(session, "after_rollback", forget)
    return True


def record(session: Session, table: Table, event_: AuditEvent) -> None:
    """Add the event to the session's transaction (committed, or not, with the change).

    The head before the append and after it are read under the chain's write lock, so the
    segment this transaction reports to the anchor is exactly what it appended.
    """
    anchored = _moves_the_head_after_commit(session, table)
    prev_hash = _head(session, table)
    hash_ = event_.chain_hash(prev_hash)
    key = _segment_key(table)
    segment: anchor.Segment | None = session.info.get(key)
    if anchored and (segment is None or segment.end.last_hash != prev_hash):
        start = anchor.Head(_count(session, table), prev_hash)
        segment = anchor.Segment(start, start)
    session.execute(
        insert(table).values(
            time=event_.time,
            actor=event_.actor,
            action=event_.action,
            target=event_.target,
            project=event_.project,
            details=event_.details,
            prev_hash=prev_hash,
            hash=hash_,
        )
    )
    if anchored and segment is not None:
        session.info[key] = anchor.Segment(segment.start, anchor.Head(segment.end.events + 1, hash_))


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


def verify_anchored(session: Session, table: Table, where: Anchor,
                    grace_seconds: float = DEFAULT_GRACE_SECONDS, now: datetime | None = None) -> ChainReport:
    """``verify``, then the chain held against its anchored head: trimming the newest events,
    replacing the log with another valid chain, or appending to it without a Haven writer
    (events past the head for longer than ``grace_seconds``) is found too."""
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
        return _unanchored(session, table, report, head, grace_seconds, now or utcnow())
    return report


def _unanchored(session: Session, table: Table, report: ChainReport, head: anchor.Head,
                grace_seconds: float, now: datetime) -> ChainReport:
    """Events past the head: a genuine writer anchors its own within moments of its commit,
    so only a young tail is let pass. The time column is the writer's word, so a time in
    the future (a planted event dated ahead to stay "young") fails as well."""
    tail = session.execute(select(table.c.id, table.c.time).order_by(table.c.id).offset(head.events)).all()
    grace = timedelta(seconds=grace_seconds)
    for row in tail:
        age = now - _utc(row.time)
        if age > grace or age < -grace:
            return ChainReport(
                table.name, report.events, row.id,
                f"{len(tail)} event(s) from event {tail[0].id} on are not anchored {grace_seconds:g} s "
                "after they were written: no Haven writer reported them (someone appended to the "
                "log without its writer, or a writer stopped between its commit and the head file; "
                "after checking them, `haven audit accept --chain` anchors them)")
    return ChainReport(table.name, report.events, None,
                       f"the last {len(tail)} event(s) are not anchored yet (written in the last "
                       f"{grace_seconds:g} s)")


def accept(transaction: Callable[[], AbstractContextManager[Session]], table: Table, where: Anchor,
           actor: str) -> anchor.Head:
    """An operator accepts the chain as it stands, after reading the events ``verify`` named
    (a writer that died between its commit and the head file, or a legacy log with no head).

    Appends ``audit.accept`` (who, what the head covered, how many events it now covers), then
    anchors through it. The head file stays locked throughout, so no writer's segment is lost
    in between; the event is the trace of the decision, in the chain it concerns.
    """
    key = anchor.load_or_create_key(where.key_path)
    with anchor.head_lock(where.head_path):
        try:
            state = anchor.read_state(where.head_path, key)
            before: dict[str, Any] = {"anchored_events": state.head.events if state else 0}
        except anchor.AnchorError as error:
            before = {"anchored_events": None, "head_file": str(error)}
        with transaction() as session:
            prev_hash = _head(session, table)
            count = _count(session, table)
            event_ = AuditEvent(actor=actor, action="audit.accept", target=f"chain/{table.name}",
                                details={**before, "accepted_events": count})
            # Inserted here, not by ``record``: its own segment would wait on the lock held above.
            session.execute(insert(table).values(
                time=event_.time, actor=event_.actor, action=event_.action, target=event_.target,
                project=None, details=event_.details, prev_hash=prev_hash, hash=event_.chain_hash(prev_hash)))
            head = anchor.Head(count + 1, event_.chain_hash(prev_hash))
        anchor.write_head(where.head_path, key, head)
    return head
