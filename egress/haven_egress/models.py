"""The egress database, as SQLAlchemy 2 models.

A request has versions (a returned request is revised as a new version, the old one
kept); a version has files; files have reviews (one per reviewer). The state of a
request is never a column: it is the latest row of ``state_events``, which is only ever
appended to, so the history cannot be rewritten by an update.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, ForeignKey, MetaData, String, Text
from sqlalchemy import UniqueConstraint, event
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

from .audit import audit_table, utcnow

# Named constraints give the same names on SQLite and PostgreSQL, so migrations that
# alter them later work on both.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _now() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), default=utcnow, nullable=False)


class Request(Base):
    __tablename__ = "requests"

    # Random, unguessable ids: a forged or guessed id finds nothing.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    project: Mapped[str] = mapped_column(String(64), index=True)
    author: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = _now()

    versions: Mapped[list[RequestVersion]] = relationship(
        back_populates="request", order_by="RequestVersion.number"
    )
    events: Mapped[list[StateEvent]] = relationship(order_by="StateEvent.id")
    comments: Mapped[list[Comment]] = relationship(order_by="Comment.id")


class RequestVersion(Base):
    __tablename__ = "request_versions"
    __table_args__ = (UniqueConstraint("request_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("requests.id"), index=True)
    number: Mapped[int]
    created_at: Mapped[datetime] = _now()
    # The environment the files were made in (image digest, kernel packages, dataset versions);
    # None for versions filed before it was recorded.
    provenance: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True, default=None)

    request: Mapped[Request] = relationship(back_populates="versions")
    files: Mapped[list[File]] = relationship(back_populates="version", order_by="File.id")


class File(Base):
    __tablename__ = "files"
    __table_args__ = (UniqueConstraint("version_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("request_versions.id"), index=True)
    path: Mapped[str] = mapped_column(String(1024))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text)
    controls: Mapped[list[Any]] = mapped_column(JSON)
    kind: Mapped[str] = mapped_column(String(32))
    # Evidence shown to checkers (an ACRO results.json, the data behind a table); never released.
    supporting: Mapped[bool] = mapped_column(Boolean, default=False)

    version: Mapped[RequestVersion] = relationship(back_populates="files")
    reviews: Mapped[list[Review]] = relationship(back_populates="file", order_by="Review.id")
    # Oldest first; the last is the one shown. A file with none is waiting to be checked.
    check_results: Mapped[list[CheckResult]] = relationship(back_populates="file",
                                                            order_by="CheckResult.id")


class CheckResult(Base):
    """One run of the automated disclosure checks on one file; never changed (a re-run is a
    new row), so what checkers saw when they voted stays on record."""

    __tablename__ = "check_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))  # done | error
    verdict: Mapped[str | None] = mapped_column(String(16), nullable=True)  # pass | review | fail
    preset: Mapped[str] = mapped_column(String(64))
    # The parameters the checks ran with (the preset with the operator's overrides).
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    # ``FileResult.to_dict()`` when done (rule, parameters, cells, verdict per finding).
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # What ACRO itself said, when the file is an ACRO results.json (``acro_results``).
    acro: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = _now()

    file: Mapped[File] = relationship(back_populates="check_results")


class Review(Base):
    __tablename__ = "reviews"
    # One vote per reviewer per file: independence is counted in distinct people.
    __table_args__ = (UniqueConstraint("file_id", "reviewer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"), index=True)
    reviewer: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(String(32))  # approve | request_changes | reject
    comment: Mapped[str] = mapped_column(Text, default="")
    visibility: Mapped[str] = mapped_column(String(16))  # shared | private
    # The version the vote was cast on, when a resubmission carried it to an unchanged file
    # (same bytes, description and controls); None for a vote cast on this file's version.
    carried_from: Mapped[int | None] = mapped_column(nullable=True, default=None)
    created_at: Mapped[datetime] = _now()

    file: Mapped[File] = relationship(back_populates="reviews")


class Comment(Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("requests.id"), index=True)
    version_number: Mapped[int]
    author: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    visibility: Mapped[str] = mapped_column(String(16))  # shared (the author too) | private (checkers)
    # A comment on one file of the version (its discussion thread); None: on the whole request.
    file_id: Mapped[int | None] = mapped_column(ForeignKey("files.id"), index=True, nullable=True, default=None)
    created_at: Mapped[datetime] = _now()


class StateEvent(Base):
    """One row per change of state; the current state is the row with the highest id."""

    __tablename__ = "state_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("requests.id"), index=True)
    version_number: Mapped[int]
    state: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = _now()


class IdempotencyKey(Base):
    """A client's ``Idempotency-Key`` for a submission or resubmission, written in the same
    transaction: a retry (say after the service was killed before it could answer) finds
    the first result here instead of filing the request again."""

    __tablename__ = "idempotency_keys"

    # Scoped per caller: one person's key never answers for, or collides with, another's.
    caller: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    # SHA-256 of what was asked (``idempotency.fingerprint``): the same key with another
    # body is refused, never answered with a result for something else.
    fingerprint: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[str] = mapped_column(ForeignKey("requests.id"), index=True)
    version_number: Mapped[int]
    created_at: Mapped[datetime] = _now()


class PurgedFile(Base):
    """A submitted file whose content close-out deleted (haven_egress.closeout): the row and its
    history stay; fsck expects no blob for it. Appended once, never changed."""

    __tablename__ = "purged_files"

    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"), primary_key=True)
    # Whether this close-out deleted the blob (False: another kept file shares the content).
    blob_deleted: Mapped[bool] = mapped_column(Boolean)
    actor: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = _now()


audit_events = audit_table(Base.metadata)


class HistoryRewrite(Exception):
    """Something tried to change or delete a state event: history is append-only."""


@event.listens_for(Session, "before_flush")
def _refuse_history_rewrites(session: Session, _context, _instances) -> None:
    # A guard in the code path; the schema does not (yet) forbid it with triggers.
    for obj in session.deleted:
        if isinstance(obj, StateEvent | CheckResult):
            raise HistoryRewrite(f"{obj.__tablename__} rows are never deleted")
    for obj in session.dirty:
        if isinstance(obj, StateEvent | CheckResult) and session.is_modified(obj):
            raise HistoryRewrite(f"{obj.__tablename__} rows are never changed; append a new one")


# The ingress tables share this Base (one schema, one migration history); imported here so
# every reader of ``Base.metadata`` (Alembic, the schema tests) sees them.
from .ingress import models as _ingress_models  # noqa: E402, F401
