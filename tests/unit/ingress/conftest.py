"""Fixtures for the ingress unit tests: the real service on a migrated database (SQLite here;
the lifecycle test runs on PostgreSQL too), a real blob store, a real workspace folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from haven_egress.blobs import BlobStore
from haven_egress.ingress.service import Destinations, IngressService
from haven_egress.storage import open_engine, session_factory, upgrade
from haven_hub.settings import Egress
from tests.postgres import create_database, drop_database
from tests.postgres import postgresql_server  # noqa: F401 (fixture)

CONTAINER_UID = 70000


@pytest.fixture(scope="session")
def ingress_sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ingress-template") / "egress.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(tmp_path: Path, ingress_sqlite_template: Path) -> str:
    target = tmp_path / "egress.db"
    shutil.copyfile(ingress_sqlite_template, target)
    return f"sqlite:///{target}"


class PackageIndexLog:
    """Stands in for ``haven_egress.package_index.approve`` (another helper's module, whose
    real index needs the network to fetch wheels): records each call so a test can read what
    the ingress queue asked the index to add, and can be told to fail."""

    def __init__(self) -> None:
        self.added: list[tuple[str, str, str, list[str]]] = []
        self.fail_with: Exception | None = None

    def __call__(self, requirement: str, actor: str, reason: str, projects: list[str]) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.added.append((requirement, actor, reason, projects))


@pytest.fixture
def package_index() -> PackageIndexLog:
    return PackageIndexLog()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "haven"
    path.mkdir(mode=0o700)
    return path


def build(url: str, tmp_path: Path, data_dir: Path, package_index: PackageIndexLog,
          rules: Egress = Egress()) -> IngressService:
    engine = open_engine(url)
    return IngressService(session_factory(engine), BlobStore(tmp_path / "blobs"), rules,
                          Destinations(data_dir, CONTAINER_UID, package_index))


@pytest.fixture
def make_ingress(sqlite_url, tmp_path, data_dir, package_index):
    def make(rules: Egress = Egress()) -> IngressService:
        return build(sqlite_url, tmp_path, data_dir, package_index, rules)

    return make


@pytest.fixture
def ingress(make_ingress) -> IngressService:
    return make_ingress()


@pytest.fixture
def postgres_ingress(postgresql_server, tmp_path, data_dir, package_index):  # noqa: F811
    name = create_database(postgresql_server)
    upgrade(postgresql_server.url(name))
    service = build(postgresql_server.url(name), tmp_path, data_dir, package_index)
    yield service
    service.sessions.kw["bind"].dispose()
    drop_database(postgresql_server, name)
