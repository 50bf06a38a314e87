"""The accounts store's schema, brought up to date by its Alembic migrations (``migrations/``).

Run on every opening of the store, so a hub started on a newer Haven upgrades its accounts in
place. The version is kept in a table of its own name, because ``auth.database_url`` may point
at a database that other Alembic-managed stores (the egress service's) share.

A store made before migrations existed (``create_all``, no version table) is stamped with the
revision its columns match, then upgraded like any other.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "haven_accounts_version"
TABLE = "haven_accounts"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolation would choke on a '%' in a password.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _unversioned_revision(connection) -> str | None:
    """The revision an accounts table made by ``create_all`` matches, or None if there is none."""
    inspector = inspect(connection)
    if VERSION_TABLE in inspector.get_table_names() or TABLE not in inspector.get_table_names():
        return None
    columns = {column["name"] for column in inspector.get_columns(TABLE)}
    # must_change_password came with one-time passwords, the last change before migrations.
    return "0002" if "must_change_password" in columns else "0001"


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply every migration not yet applied (safe to run on every start)."""
    with engine.begin() as connection:
        config = alembic_config(engine.url.render_as_string(hide_password=False))
        config.attributes["connection"] = connection
        baseline = _unversioned_revision(connection)
        if baseline is not None:
            command.stamp(config, baseline)
        command.upgrade(config, revision)
