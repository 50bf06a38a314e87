"""People's accreditations with their history: every award or revocation is a new row.

The table lives in the accounts database (``auth.database_url``, migrated with it by
``haven upgrade``) but is keyed by username alone, not by an account row: an OIDC
deployment keeps no accounts there and records accreditations all the same. A person's
current accreditation of a kind is the newest row for (username, kind), unless that row
is a revocation.

The clock is injected, so tests move time instead of waiting for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import Date, DateTime, Integer, String, Text, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from ..auth import schema
from ..auth.store import USERNAME, Clock, utcnow
from ..settings.accreditation import ACCREDITATION_KIND

AWARD = "award"
REVOKE = "revoke"
MAX_NOTE = 2000


class AccreditationError(Exception):
    """A refused change; ``status`` is the HTTP code the API answers with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class _Base(DeclarativeBase):
    pass


class AccreditationRow(_Base):
    __tablename__ = "haven_accreditations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(40))
    change: Mapped[str] = mapped_column(String(10))
    awarded_on: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    awarded_by: Mapped[str] = mapped_column(String(200), default="")
    evidence: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class Change:
    """One row of a person's history (an award or a revocation)."""

    id: int
    username: str
    kind: str
    change: str
    awarded_on: date | None
    expires_on: date | None
    awarded_by: str
    evidence: str
    reason: str
    recorded_by: str
    recorded_at: datetime

    @classmethod
    def of(cls, row: AccreditationRow) -> Change:
        recorded = row.recorded_at if row.recorded_at.tzinfo else row.recorded_at.replace(tzinfo=timezone.utc)
        return cls(id=row.id, username=row.username, kind=row.kind, change=row.change, awarded_on=row.awarded_on,
                   expires_on=row.expires_on, awarded_by=row.awarded_by, evidence=row.evidence, reason=row.reason,
                   recorded_by=row.recorded_by, recorded_at=recorded)

    def to_json(self) -> dict[str, Any]:
        return {key: value.isoformat() if isinstance(value, (date, datetime)) else value
                for key, value in self.__dict__.items()}


def _note(text: str, what: str) -> str:
    text = (text or "").strip()
    if len(text) > MAX_NOTE:
        raise AccreditationError(f"{what} is {len(text)} characters; at most {MAX_NOTE}")
    return text


def _username(name: str) -> str:
    if not re.match(USERNAME, name or ""):
        raise AccreditationError(f"invalid username {name!r}")
    return name


class AccreditationStore:
    def __init__(self, url: str, *, clock: Clock = utcnow) -> None:
        self.engine = create_engine(url, future=True)
        # The accounts store's migrations own this table (auth/migrations, 0004).
        schema.upgrade(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.clock = clock

    def today(self) -> date:
        return self.clock().astimezone(timezone.utc).date()

    def award(self, username: str, kind: str, *, expires_on: date, awarded_on: date | None = None,
              awarded_by: str = "", evidence: str = "", recorded_by: str) -> Change:
        """Records an accreditation (a renewal is a new award: the newest row counts)."""
        _username(username)
        if not re.match(ACCREDITATION_KIND, kind or ""):
            raise AccreditationError(f"invalid accreditation kind {kind!r}")
        awarded_on = awarded_on or self.today()
        if expires_on <= awarded_on:
            raise AccreditationError(f"the expiry date {expires_on} must be after the award date {awarded_on}")
        if awarded_on > self.today():
            raise AccreditationError(f"the award date {awarded_on} is in the future")
        row = AccreditationRow(
            username=username, kind=kind, change=AWARD, awarded_on=awarded_on, expires_on=expires_on,
            awarded_by=_note(awarded_by, "awarded by") or recorded_by, evidence=_note(evidence, "the evidence note"),
            reason="", recorded_by=recorded_by, recorded_at=self.clock())
        return self._add(row)

    def revoke(self, username: str, kind: str, *, reason: str, recorded_by: str) -> Change:
        _username(username)
        reason = _note(reason, "the reason")
        if not reason:
            raise AccreditationError("say why the accreditation is revoked (--reason)")
        if self.current(username).get(kind) is None:
            raise AccreditationError(f"{username} holds no {kind} accreditation to revoke", status=409)
        row = AccreditationRow(username=username, kind=kind, change=REVOKE, awarded_on=None, expires_on=None,
                               awarded_by="", evidence="", reason=reason, recorded_by=recorded_by,
                               recorded_at=self.clock())
        return self._add(row)

    def _add(self, row: AccreditationRow) -> Change:
        with self._sessions() as session:
            session.add(row)
            session.commit()
            return Change.of(row)

    def history(self, username: str | None = None) -> list[Change]:
        """Every change, oldest first (one person's, or everyone's)."""
        query = select(AccreditationRow).order_by(AccreditationRow.id)
        if username is not None:
            query = query.where(AccreditationRow.username == username)
        with self._sessions() as session:
            return [Change.of(row) for row in session.scalars(query)]

    def current(self, username: str) -> dict[str, Change]:
        """The standing award of each kind the person holds (expired ones included: the
        rules say what an expired one stops)."""
        latest: dict[str, Change] = {}
        for change in self.history(username):
            latest[change.kind] = change
        return {kind: change for kind, change in latest.items() if change.change == AWARD}

    def holders(self) -> dict[str, dict[str, Change]]:
        """Everyone's standing awards, by username."""
        latest: dict[tuple[str, str], Change] = {}
        for change in self.history():
            latest[(change.username, change.kind)] = change
        people: dict[str, dict[str, Change]] = {}
        for (username, kind), change in sorted(latest.items()):
            if change.change == AWARD:
                people.setdefault(username, {})[kind] = change
        return people


def store_of(settings: Any, clock: Clock = utcnow) -> AccreditationStore:
    """The store of the settings' accounts database (one engine per URL in a process)."""
    from ..auth.configure import accounts_url

    url = accounts_url(settings)
    key = (url, clock)
    if key not in _stores:
        _stores[key] = AccreditationStore(url, clock=clock)
    return _stores[key]


_stores: dict[tuple[str, Clock], AccreditationStore] = {}
