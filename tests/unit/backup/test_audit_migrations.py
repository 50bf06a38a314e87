"""The hub audit log's schema comes from its own Alembic migrations (version table
``hub_audit_version``); a log made before them is stamped, never re-created, and a table no
revision describes is left alone with a clear error."""

from __future__ import annotations

import sqlite3

import pytest

from haven_hub.audit import schema
from haven_hub.audit.log import HubAuditLog


def test_a_new_log_is_made_by_the_migrations_and_stamped_at_head(tmp_path):
    log = HubAuditLog.for_data_dir(tmp_path)
    log.record("ada", "login", "user/ada")
    log.close()
    with sqlite3.connect(tmp_path / "audit" / "hub.sqlite") as connection:
        assert connection.execute(f"SELECT version_num FROM {schema.VERSION_TABLE}").fetchall() == \
            [(schema.head_revision(),)]
        indexes = {row[1] for row in connection.execute("PRAGMA index_list(hub_audit_events)")}
    assert {"ix_hub_audit_events_action", "ix_hub_audit_events_target", "ix_hub_audit_events_project"} <= indexes


def test_a_table_no_revision_describes_is_refused_and_left_alone(tmp_path):
    (tmp_path / "audit").mkdir()
    database = tmp_path / "audit" / "hub.sqlite"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE hub_audit_events (id INTEGER PRIMARY KEY, what TEXT)")
        connection.execute("INSERT INTO hub_audit_events VALUES (1, 'kept')")
    with pytest.raises(schema.UnknownAuditStore, match="no migration describes"):
        HubAuditLog.for_data_dir(tmp_path)
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT * FROM hub_audit_events").fetchall() == [(1, "kept")]
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert schema.VERSION_TABLE not in tables
