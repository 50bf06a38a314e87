"""Alembic environment of the accounts store: runs on the connection ``schema.upgrade`` passes in, or on the URL."""

from alembic import context
from sqlalchemy import create_engine

from haven_hub.auth.schema import VERSION_TABLE
from haven_hub.auth.store import AccountRow

config = context.config
target_metadata = AccountRow.metadata


def run(connection) -> None:
    # render_as_batch lets migrations alter tables on SQLite too.
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                      version_table=VERSION_TABLE)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as own_connection:
        run(own_connection)
    engine.dispose()
