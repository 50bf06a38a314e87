"""The accounts store's schema comes from its Alembic migrations: a store made by an older Haven
(``create_all``, no version table) is upgraded in place on opening and keeps its accounts, on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import (
    JSON, Boolean, Column, Date, DateTime, Integer, MetaData, String, Table, create_engine, inspect, text,
)

from haven_hub.auth import totp
from haven_hub.auth.passwords import hash_password
from haven_hub.auth.schema import VERSION_TABLE
from haven_hub.auth.store import AccountStore
from tests.postgres import postgresql_server, postgresql_url  # noqa: F401 (fixtures)

PASSWORD = "correct horse battery staple"
CREATED = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def old_accounts_table(with_one_time_passwords: bool) -> Table:
    """The table as Haven's model declared it before migrations (first release, or with one-time passwords)."""
    columns = [
        Column("name", String(32), primary_key=True),
        Column("password_hash", String(200), nullable=False),
        Column("totp_secret", String(64), nullable=False),
        Column("totp_enrolled_at", DateTime(timezone=True)),
        *([Column("must_change_password", Boolean, nullable=False)] if with_one_time_passwords else []),
        Column("roles", JSON, nullable=False),
        Column("admin", Boolean, nullable=False),
        Column("approved", Boolean, nullable=False),
        Column("approved_until", Date, nullable=False),
        Column("disabled", Boolean, nullable=False),
        Column("failed_logins", Integer, nullable=False),
        Column("locked_until", DateTime(timezone=True)),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("last_login_at", DateTime(timezone=True)),
    ]
    return Table("haven_accounts", MetaData(), *columns)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'accounts.sqlite'}"
    return request.getfixturevalue("postgresql_url")


def make_old_store(url: str, with_one_time_passwords: bool) -> str:
    """An accounts database as the older Haven left it, with one account; returns its TOTP secret."""
    table = old_accounts_table(with_one_time_passwords)
    secret = totp.new_secret()
    engine = create_engine(url)
    table.metadata.create_all(engine)  # exactly what the old store did on opening
    row = dict(name="ada", password_hash=hash_password(PASSWORD), totp_secret=secret, totp_enrolled_at=CREATED,
               roles=["analyst", "output-checker"], admin=True, approved=True, approved_until=date(2031, 1, 31),
               disabled=False, failed_logins=2, locked_until=None, created_at=CREATED, last_login_at=CREATED)
    if with_one_time_passwords:
        row["must_change_password"] = False
    with engine.begin() as connection:
        connection.execute(table.insert().values(**row))
    engine.dispose()
    return secret


@pytest.mark.parametrize("old", ["first release", "one-time passwords"])
def test_an_older_store_is_upgraded_on_opening_and_keeps_its_accounts(database_url, old):
    secret = make_old_store(database_url, with_one_time_passwords=old == "one-time passwords")
    store = AccountStore(database_url)

    ada = store.get("ada")
    assert (ada.roles, ada.admin, ada.approved, ada.approved_until, ada.failed_logins, ada.totp_enrolled) == \
        (["analyst", "output-checker"], True, True, date(2031, 1, 31), 2, True)
    assert ada.must_change_password is False  # accounts from before one-time passwords are not asked now
    columns = {c["name"] for c in inspect(store.engine).get_columns("haven_accounts")}
    assert {"must_change_password", "totp_last_step"} <= columns
    with store.engine.connect() as connection:
        assert connection.scalar(text(f"SELECT version_num FROM {VERSION_TABLE}")) == "0004"
    # The new column works: the same code logs in once.
    code = totp.code_at(secret)
    assert store.check_login("ada", PASSWORD, code).ok
    assert store.check_login("ada", PASSWORD, code).reason == "reused-code"
    store.engine.dispose()


def test_a_new_store_is_made_by_the_migrations_and_reopening_changes_nothing(database_url):
    store = AccountStore(database_url)
    store.create("ada", password=PASSWORD)
    store.engine.dispose()
    reopened = AccountStore(database_url)
    assert [a.name for a in reopened.list()] == ["ada"]
    tables = set(inspect(reopened.engine).get_table_names())
    # Its own version table, so a database shared with the egress store's migrations stays apart.
    assert {"haven_accounts", VERSION_TABLE} <= tables and "alembic_version" not in tables
    reopened.engine.dispose()
