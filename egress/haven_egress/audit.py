"""A small audit-event format, shared by every Haven part that records who did what.

An event is (time, actor, action, target, project, details). Each part owns its own
table, made by ``audit_table(metadata)`` on its own metadata, and writes events with
``record`` inside the same transaction as the change they describe: if the change rolls
back, so does its event, and there is never a change without one.

Debt: the issue asks for a hash chain per table; ``AuditEvent.canonical`` is the byte
form such a chain would hash.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Integer, MetaData, String, Table, insert, select
from sqlalchemy.orm import Session


def utcnow() -> datetime:
    return datetime.now(UTC)


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
            "time": self.time.astimezone(UTC).isoformat(),
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "project": self.project,
            "details": self.details,
        }
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


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
    )


def record(session: Session, table: Table, event: AuditEvent) -> None:
    """Add the event to the session's transaction (committed, or not, with the change)."""
    session.execute(
        insert(table).values(
            time=event.time,
            actor=event.actor,
            action=event.action,
            target=event.target,
            project=event.project,
            details=event.details,
        )
    )


def read(session: Session, table: Table, target: str | None = None) -> list[AuditEvent]:
    query = select(table).order_by(table.c.id)
    if target is not None:
        query = query.where(table.c.target == target)
    return [
        AuditEvent(
            actor=row.actor,
            action=row.action,
            target=row.target,
            project=row.project,
            details=row.details,
            time=row.time,
        )
        for row in session.execute(query)
    ]
