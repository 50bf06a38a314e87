"""The hub-audit store's schema, brought up to date by its Alembic migrations (``migrations/``).

Run on every opening of the log (as the accounts store does), so a Haven started on a newer
release upgrades its hub audit log in place; ``haven upgrade`` runs it too, after a backup.
The version is kept in a table of its own name, like the accounts store's.

A log made before migrations existed (``create_all``, no version table) is recognised by its
columns and stamped with the revision they match, never re-created: its events, and so its
hash chain, stay exactly as they were.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "hub_audit_version"
TABLE = "hub_audit_events"
# The columns of the chain's table as the first release made it (chain.audit_table).
FIRST_RELEASE_COLUMNS = {"id", "time", "actor", "action", "target", "project", "details", "prev_hash", "hash"}


class UnknownAuditStore(RuntimeError):
    """A hub_audit_events table no revision describes: upgrading it could lose events."""


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolation would choke on a '%' in a path.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def _unversioned_revision(connection) -> str | None:
    """The revision an events table made before migrations matches, or None if there is none."""
    inspector = inspect(connection)
    tables = inspector.get_table_names()
    if VERSION_TABLE in tables or TABLE not in tables:
        return None
    columns = {column["name"] for column in inspector.get_columns(TABLE)}
    if columns != FIRST_RELEASE_COLUMNS:
        raise UnknownAuditStore(f"the hub audit log's table {TABLE} has columns {sorted(columns)}, which no "
                                "migration describes; it was left as it is")
    return "0001"


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply every migration not yet applied (safe to run on every opening)."""
    with engine.begin() as connection:
        config = alembic_config(engine.url.render_as_string(hide_password=False))
        config.attributes["connection"] = connection
        baseline = _unversioned_revision(connection)
        if baseline is not None:
            command.stamp(config, baseline)
        command.upgrade(config, revision)
