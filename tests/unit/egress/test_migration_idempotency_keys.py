"""Revision 0004 (idempotency keys) upgrades a database in use at 0003, on both engines."""

from __future__ import annotations

from sqlalchemy import inspect, text

from haven_egress.blobs import BlobStore
from haven_egress.service import EgressService
from haven_egress.storage import open_engine, session_factory, upgrade

from .factories import AUTHOR, CHECKER, PROJECT, default_files, submit


def test_upgrade_from_0003_keeps_requests_and_adds_keys(empty_db_url, tmp_path):
    upgrade(empty_db_url, "0003")
    engine = open_engine(empty_db_url)
    try:
        assert "idempotency_keys" not in inspect(engine).get_table_names()
        blobs = BlobStore(tmp_path / "blobs")
        # A request filed at 0003, through the tables as they were (the models are at head).
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO requests (id, project, author, title, purpose, created_at) "
                "VALUES ('0123456789abcdef0123456789abcdef', :project, :author, 'old', 'before 0004', "
                "CURRENT_TIMESTAMP)"), {"project": PROJECT, "author": AUTHOR.name})
        upgrade(empty_db_url)
        assert "idempotency_keys" in inspect(engine).get_table_names()
        service = EgressService(session_factory(engine), blobs)
        first = service.submit(AUTHOR, PROJECT, "new", "after 0004", default_files(), idempotency_key="k")
        assert service.submit(AUTHOR, PROJECT, "new", "after 0004", default_files(), idempotency_key="k") == first
        submit(service)
        with engine.connect() as connection:
            titles = sorted(connection.scalars(text("SELECT title FROM requests")))
        assert titles == ["Counts by group", "new", "old"]
        assert service.get_request(CHECKER, first).title == "new"
    finally:
        engine.dispose()
