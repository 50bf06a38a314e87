"""The migrated schema is exactly the models', on SQLite and PostgreSQL; SQLite runs in WAL."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from haven_egress.models import Base
from haven_egress.storage import MIGRATIONS, open_engine, upgrade

HEAD = ScriptDirectory(str(MIGRATIONS)).get_current_head()


@pytest.fixture
def migrated_engine(empty_db_url):
    upgrade(empty_db_url)
    engine = open_engine(empty_db_url)
    yield engine
    engine.dispose()


def test_migrations_produce_the_models_schema(migrated_engine):
    with migrated_engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diffs == []


def test_migrations_create_every_table(migrated_engine):
    tables = set(inspect(migrated_engine).get_table_names())
    assert tables == set(Base.metadata.tables) | {"alembic_version"}


def test_upgrade_twice_is_harmless(db_url, engine):
    upgrade(db_url)
    with engine.connect() as connection:
        assert connection.scalar(text("select version_num from alembic_version")) == HEAD


def test_sqlite_uses_wal_and_foreign_keys(tmp_path):
    url = f"sqlite:///{tmp_path / 'wal.db'}"
    upgrade(url)
    engine = open_engine(url)
    with engine.connect() as connection:
        assert connection.scalar(text("PRAGMA journal_mode")) == "wal"
        assert connection.scalar(text("PRAGMA foreign_keys")) == 1
    engine.dispose()


def test_compare_would_notice_a_drifted_schema(migrated_engine):
    # Guards the test above: a schema change made outside the migrations is caught.
    with migrated_engine.begin() as connection:
        connection.execute(text("CREATE TABLE stray (id INTEGER PRIMARY KEY)"))
    with migrated_engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d[0] for d in diffs] == ["remove_table"]
