"""Fixtures for the egress unit tests: every storage test runs on SQLite AND PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from haven_egress import models
from haven_egress.blobs import BlobStore
from haven_hub.settings import Egress
from haven_egress.service import EgressService
from haven_egress.signing import Signer
from haven_egress.storage import open_engine, session_factory, upgrade
from tests.postgres import create_database, drop_database
from tests.postgres import postgresql_server, postgresql_url  # noqa: F401 (fixtures)


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory):
    """One migrated database per engine, copied for each test: migrating each time is slow.

    The copies are made by the migrations themselves, so the schema under test is still
    the migrated one (and ``test_storage`` migrates empty databases too).
    """
    sqlite_file = tmp_path_factory.mktemp("sqlite-template") / "egress.db"
    upgrade(f"sqlite:///{sqlite_file}")
    return {"sqlite": sqlite_file}


@pytest.fixture(scope="session")
def postgresql_template(postgresql_server):
    name = create_database(postgresql_server)
    upgrade(postgresql_server.url(name))
    return name


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path: Path, migrated_templates) -> str:
    """A migrated database of each engine, fresh for this test."""
    if request.param == "sqlite":
        target = tmp_path / "egress.db"
        shutil.copyfile(migrated_templates["sqlite"], target)
        yield f"sqlite:///{target}"
        return
    server = request.getfixturevalue("postgresql_server")
    name = create_database(server, template=request.getfixturevalue("postgresql_template"))
    yield server.url(name)
    drop_database(server, name)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request, tmp_path: Path) -> str:
    """An empty database of each engine, for the migration tests."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    return request.getfixturevalue("postgresql_url")


@pytest.fixture
def engine(db_url: str):
    engine = open_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def blobs(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "blobs")


@pytest.fixture(scope="session")
def signer(tmp_path_factory) -> Signer:
    return Signer.load_or_create(tmp_path_factory.mktemp("signing"))


@pytest.fixture
def make_service(engine, blobs, signer):
    """Build a service on the test database, with other rules or a fault hook."""

    def make(rules: Egress = Egress(), before_commit=None) -> EgressService:
        return EgressService(session_factory(engine), blobs, rules, before_commit, signer=signer)

    return make


@pytest.fixture
def service(make_service) -> EgressService:
    return make_service()


TABLES = [models.Request, models.RequestVersion, models.File, models.Review,
          models.Comment, models.StateEvent]


@pytest.fixture
def snapshot(engine, blobs):
    """Row counts of every table and the blob directory's listing, to prove 'nothing changed'."""

    def take() -> dict:
        with session_factory(engine)() as session:
            counts = {m.__tablename__: session.scalar(select(func.count()).select_from(m)) for m in TABLES}
            # Refused attempts are audited (egress.refused) by design; "nothing changed" means
            # nothing else was written (tests/unit/egress/test_refusals_audited.py counts those).
            counts["audit_events"] = session.scalar(select(func.count()).select_from(models.audit_events)
                                                    .where(models.audit_events.c.action != "egress.refused"))
        counts["blobs"] = sorted(str(p.relative_to(blobs.root)) for p in blobs.root.rglob("*"))
        return counts

    return take
