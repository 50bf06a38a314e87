"""The ingress tables, on the egress database's ``Base`` (one schema, one migration history).

A request's state is never a column: it is the latest row of ``ingress_events``, which is
only ever appended to, as for release requests.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, String, Text, event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from ..audit import utcnow
from ..models import Base, HistoryRewrite


def _now() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), default=utcnow, nullable=False)


class IngressRequest(Base):
    __tablename__ = "ingress_requests"

    # Random, unguessable: a forged or guessed id finds nothing.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    project: Mapped[str] = mapped_column(String(64), index=True)
    author: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # file | package
    description: Mapped[str] = mapped_column(Text)
    justification: Mapped[str] = mapped_column(Text)
    # A file: its name (one segment), content address, size and type.
    file_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    media_type: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # A package: its normalised name and exact version.
    package_name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    package_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = _now()

    events: Mapped[list[IngressEvent]] = relationship(order_by="IngressEvent.id")


class IngressEvent(Base):
    """One row per change of state; the current state is the row with the highest id."""

    __tablename__ = "ingress_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("ingress_requests.id"), index=True)
    state: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = _now()


@event.listens_for(Session, "before_flush")
def _refuse_rewrites(session: Session, _context, _instances) -> None:
    # A request and its events, once written, are the record: never changed, never deleted.
    for obj in session.deleted:
        if isinstance(obj, IngressEvent | IngressRequest):
            raise HistoryRewrite(f"{obj.__tablename__} rows are never deleted")
    for obj in session.dirty:
        if isinstance(obj, IngressEvent | IngressRequest) and session.is_modified(obj, include_collections=False):
            raise HistoryRewrite(f"{obj.__tablename__} rows are never changed; append an event")
