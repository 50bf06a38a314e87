"""The built-in accounts: hashed passwords, TOTP secrets, approval, lock-out, approved-until.

One table in its own database (SQLite beside the hub's by default, or any SQLAlchemy URL),
used only by the hub process: the authenticator at login, and the ``/hub/haven-accounts``
API that ``haven account`` calls. The hub's own ``users`` table still says who exists and
holds which roles; this store says who may log in.

The clock is injected (``clock() -> aware datetime``), so tests move time instead of
waiting for it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, DateTime, Integer, String, create_engine, select, update
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from ..roles import ASSIGNABLE
from . import schema, totp
from .passwords import _dummy_hash, hash_password, needs_rehash, password_matches

USERNAME = re.compile(r"^[a-z][a-z0-9._-]{0,31}$")
# The roles an account may hold are roles.py's (one list of them).
ROLE_NAMES = ASSIGNABLE
MIN_PASSWORD_LENGTH = 12


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


Clock = Callable[[], datetime]


class AccountError(Exception):
    """A refused account operation; ``status`` is the HTTP code the API answers with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def new_password() -> str:
    return secrets.token_urlsafe(12)


class _Base(DeclarativeBase):
    pass


class AccountRow(_Base):
    __tablename__ = "haven_accounts"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    totp_secret: Mapped[str] = mapped_column(String(64))
    totp_enrolled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The time step of the last code accepted: a code of this step or an earlier one is refused
    # (RFC 6238 §5.2), so a code seen over a shoulder or in a log cannot log in again.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    # Set for a password an administrator handed over (create, reset): it logs in nowhere
    # until its holder has chosen their own on the password page.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    admin: Mapped[bool] = mapped_column(Boolean, default=False)
    approved: Mapped[bool] = mapped_column(Boolean, default=False)
    approved_until: Mapped[date] = mapped_column(Date)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite gives naive datetimes back; every moment stored here is UTC.
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment


@dataclass(frozen=True)
class Account:
    """What an administrator may see of an account (never its password hash or TOTP secret)."""

    name: str
    roles: list[str]
    admin: bool
    approved: bool
    approved_until: date
    totp_enrolled: bool
    must_change_password: bool
    disabled: bool
    failed_logins: int
    locked_until: datetime | None
    created_at: datetime
    last_login_at: datetime | None

    @classmethod
    def of(cls, row: AccountRow, now: datetime) -> Account:
        locked_until = _aware(row.locked_until)
        return cls(
            name=row.name, roles=list(row.roles or []), admin=row.admin, approved=row.approved,
            approved_until=row.approved_until, totp_enrolled=row.totp_enrolled_at is not None,
            must_change_password=bool(row.must_change_password),
            disabled=row.disabled, failed_logins=row.failed_logins,
            locked_until=locked_until if locked_until and locked_until > now else None,
            created_at=_aware(row.created_at), last_login_at=_aware(row.last_login_at),
        )

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, (date, datetime)):
                data[key] = value.isoformat()
        data["locked"] = self.locked_until is not None
        return data


@dataclass(frozen=True)
class NewAccount:
    """A created account with its credentials, shown once and never stored in clear."""

    account: Account
    password: str
    totp_secret: str

    @property
    def otpauth_uri(self) -> str:
        return totp.enrolment_uri(self.totp_secret, self.account.name)


@dataclass(frozen=True)
class LoginOutcome:
    """``ok``; else ``reason`` (a short word for the audit log) and ``message`` (for the person)."""

    ok: bool
    reason: str
    message: str = ""


# The one answer to a login that did not prove its password and code: an unknown name, a wrong
# password or code, and a locked account all get it, so the form tells no one which names exist
# or are locked. The audit log (events.on_login) and ``haven account show`` keep the real reason.
BAD_CREDENTIALS = ("Invalid username, password or code. After repeated failed logins an account is locked "
                   "for a while; an administrator can unlock it sooner.")
FIRST_PASSWORD = "This password was for your first login only: choose your own password to continue."


def _weak_password(name: str, old: str, new: str) -> str | None:
    if len(new) < MIN_PASSWORD_LENGTH:
        return f"Choose a password of at least {MIN_PASSWORD_LENGTH} characters."
    if new == old:
        return "Choose a password different from the one you were given."
    if name and name.lower() in new.lower():
        return "Choose a password that does not contain your username."
    return None


class AccountStore:
    def __init__(self, url: str, *, clock: Clock = utcnow, max_failed_logins: int = 5,
                 lockout: timedelta = timedelta(minutes=15), default_approval: timedelta = timedelta(days=365)) -> None:
        self.engine = create_engine(url, future=True)
        schema.upgrade(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.clock = clock
        self.max_failed_logins = max_failed_logins
        self.lockout = lockout
        self.default_approval = default_approval
        _dummy_hash()  # made now, so the first unknown name costs no more than the next

    def today(self) -> date:
        return self.clock().astimezone(timezone.utc).date()

    def _session(self) -> Session:
        return self._sessions()

    def _row(self, session: Session, name: str) -> AccountRow:
        row = session.get(AccountRow, name)
        if row is None:
            raise AccountError(f"no account named {name!r}", status=404)
        return row

    # -- administration ---------------------------------------------------------------

    def create(self, name: str, *, roles: list[str] | None = None, admin: bool = False,
               approved: bool = True, approved_until: date | None = None,
               password: str | None = None, totp_secret: str | None = None,
               one_time_password: bool = True) -> NewAccount:
        """``one_time_password``: the holder must choose their own before logging in."""
        if not USERNAME.match(name or ""):
            raise AccountError(
                f"invalid account name {name!r}: lower-case letters, digits, '.', '_' or '-', "
                "starting with a letter, at most 32 characters"
            )
        roles = list(dict.fromkeys(roles if roles is not None else ["analyst"]))
        unknown = [role for role in roles if role not in ROLE_NAMES]
        if unknown:
            raise AccountError(f"unknown role {unknown[0]!r}: choose from {', '.join(ROLE_NAMES)}")
        if password is not None and len(password) < MIN_PASSWORD_LENGTH:
            raise AccountError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
        password = password or new_password()
        totp_secret = totp_secret or totp.new_secret()
        now = self.clock()
        until = approved_until or (now + self.default_approval).date()
        with self._session() as session:
            if session.get(AccountRow, name) is not None:
                raise AccountError(f"an account named {name!r} already exists", status=409)
            row = AccountRow(
                name=name, password_hash=hash_password(password), totp_secret=totp_secret, roles=roles,
                admin=admin, approved=approved, approved_until=until, disabled=False, failed_logins=0,
                created_at=now, must_change_password=one_time_password,
            )
            session.add(row)
            session.commit()
            return NewAccount(Account.of(row, now), password, totp_secret)

    def get(self, name: str) -> Account:
        with self._session() as session:
            return Account.of(self._row(session, name), self.clock())

    def exists(self, name: str) -> bool:
        with self._session() as session:
            return session.get(AccountRow, name) is not None

    def list(self) -> list[Account]:
        now = self.clock()
        with self._session() as session:
            return [Account.of(row, now) for row in session.scalars(select(AccountRow).order_by(AccountRow.name))]

    def update(self, name: str, **changes: Any) -> Account:
        """Sets ``approved``, ``disabled``, ``approved_until`` or ``roles``/``admin``; ``unlock=True`` clears a lock."""
        allowed = {"approved", "disabled", "approved_until", "roles", "admin", "unlock"}
        unknown = set(changes) - allowed
        if unknown:
            raise AccountError(f"cannot change {', '.join(sorted(unknown))} of an account")
        if "roles" in changes:
            bad = [role for role in changes["roles"] if role not in ROLE_NAMES]
            if bad:
                raise AccountError(f"unknown role {bad[0]!r}: choose from {', '.join(ROLE_NAMES)}")
        with self._session() as session:
            row = self._row(session, name)
            if changes.pop("unlock", False):
                row.locked_until, row.failed_logins = None, 0
            for key, value in changes.items():
                setattr(row, key, value)
            session.commit()
            return Account.of(row, self.clock())

    def reset_credentials(self, name: str) -> NewAccount:
        """A new one-time password and a new TOTP secret (the old ones stop working)."""
        password, secret = new_password(), totp.new_secret()
        with self._session() as session:
            row = self._row(session, name)
            row.password_hash, row.totp_secret, row.totp_enrolled_at = hash_password(password), secret, None
            row.totp_last_step = None  # no code of the new secret was used yet
            row.must_change_password = True
            row.locked_until, row.failed_logins = None, 0
            session.commit()
            return NewAccount(Account.of(row, self.clock()), password, secret)

    def delete(self, name: str) -> None:
        with self._session() as session:
            session.delete(self._row(session, name))
            session.commit()

    # -- policy -----------------------------------------------------------------------

    def refusal(self, name: str) -> str | None:
        """Why this account may not use Haven now (None: it may). Written for its holder."""
        with self._session() as session:
            row = session.get(AccountRow, name)
            if row is None:
                return f"There is no Haven account named {name!r}."
            return self._refusal(row)

    def _refusal(self, row: AccountRow) -> str | None:
        if row.disabled:
            return "This account is disabled. Ask an administrator if you think that is a mistake."
        if not row.approved:
            return "This account is waiting for an administrator's approval."
        if self.today() > row.approved_until:
            return (f"Your approval to use Haven ended on {row.approved_until.isoformat()} "
                    "(training and data-access agreement). Ask an administrator to renew it.")
        return None

    def _verify(self, session: Session, name: str, password: str, code: str) -> tuple[AccountRow | None, LoginOutcome | None]:
        """(row, None) when the password and code are right; (row or None, refusal) otherwise.
        Failures count towards the lock-out; a success resets the count and replaces a hash of
        an older scheme or weaker parameters. Every refusal here answers ``BAD_CREDENTIALS``
        (only ``reason`` differs) after one password hash, so neither the words nor the time
        of the answer tell an unknown name, a locked account or a wrong password apart."""
        now = self.clock()
        row = session.get(AccountRow, name) if USERNAME.match(name or "") else None
        if row is None:
            password_matches(password or "", _dummy_hash())
            return None, LoginOutcome(False, "unknown-user", BAD_CREDENTIALS)
        password_ok = password_matches(password or "", row.password_hash)
        locked_until = _aware(row.locked_until)
        if locked_until is not None and locked_until > now:
            return row, LoginOutcome(False, "locked", BAD_CREDENTIALS)
        if not password_ok:
            return row, self._failed(session, row, now, "bad-password")
        step = totp.matching_step(row.totp_secret, code, when=now)
        if step is None:
            return row, self._failed(session, row, now, "bad-code")
        if not self._use_step(session, row, step):
            return row, self._failed(session, row, now, "reused-code")
        row.failed_logins, row.locked_until = 0, None
        if needs_rehash(row.password_hash):
            row.password_hash = hash_password(password)
        return row, None

    def _use_step(self, session: Session, row: AccountRow, step: int) -> bool:
        """Records ``step`` as the account's last used one unless it (or a later one) was used.

        One conditional UPDATE, so of two logins racing with the same code only one wins,
        on SQLite and PostgreSQL alike. The step counts as used even when the login is then
        refused (pending, expired, a first password): whoever saw the code cannot replay it.
        """
        used = AccountRow.totp_last_step
        answer = session.execute(
            update(AccountRow)
            .where(AccountRow.name == row.name, (used.is_(None)) | (used < step))
            .values(totp_last_step=step)
            .execution_options(synchronize_session=False)
        )
        if answer.rowcount != 1:
            return False
        row.totp_last_step = step
        return True

    def check_login(self, name: str, password: str, code: str) -> LoginOutcome:
        """Checks a login attempt and records its effect on the lock-out counter."""
        now = self.clock()
        with self._session() as session:
            row, failure = self._verify(session, name, password, code)
            if failure is not None:
                return failure
            refusal = self._refusal(row)
            if refusal is None and row.must_change_password:
                session.commit()
                return LoginOutcome(False, "password-change", FIRST_PASSWORD)
            if refusal is None:
                row.last_login_at = now
                if row.totp_enrolled_at is None:
                    row.totp_enrolled_at = now
            session.commit()
            if refusal is not None:
                reason = "disabled" if row.disabled else "pending" if not row.approved else "expired"
                return LoginOutcome(False, reason, refusal)
            return LoginOutcome(True, "ok")

    def change_password(self, name: str, password: str, code: str, new_password: str) -> LoginOutcome:
        """The holder chooses a new password, proving the current one and a TOTP code."""
        problem = _weak_password(name, password, new_password)
        with self._session() as session:
            row, failure = self._verify(session, name, password, code)
            if failure is not None:
                return failure
            if row.disabled:
                session.commit()
                return LoginOutcome(False, "disabled", self._refusal(row) or "")
            if problem:
                session.commit()
                return LoginOutcome(False, "weak-password", problem)
            row.password_hash, row.must_change_password = hash_password(new_password), False
            if row.totp_enrolled_at is None:
                row.totp_enrolled_at = self.clock()
            session.commit()
            return LoginOutcome(True, "ok")

    def _failed(self, session: Session, row: AccountRow, now: datetime, reason: str) -> LoginOutcome:
        row.failed_logins += 1
        if row.failed_logins >= self.max_failed_logins:
            row.locked_until, row.failed_logins = now + self.lockout, 0
            reason = f"{reason},locked"
        session.commit()
        return LoginOutcome(False, reason, BAD_CREDENTIALS)
