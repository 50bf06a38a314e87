"""Alembic environment of the hub-audit store: runs on the connection ``schema.upgrade`` passes in, or on the URL."""

from alembic import context
from sqlalchemy import MetaData, create_engine

from haven_hub.audit.chain import audit_table
from haven_hub.audit.schema import TABLE, VERSION_TABLE

config = context.config
target_metadata = MetaData()
audit_table(target_metadata, TABLE)


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
