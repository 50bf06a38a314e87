"""Fixtures for the package index's unit tests: a migrated egress database, a fake source."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from haven_egress.package_index import PackageIndex
from haven_egress.storage import open_engine, session_factory, upgrade

from .wheels import package_source


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("package-index-template") / "egress.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def served_source():
    with package_source() as served:
        yield served


@pytest.fixture
def source(served_source):
    """The fake source, publishing nothing yet (one server for the session: stopping one takes 0.5 s)."""
    served_source.projects.clear()
    served_source.requests.clear()
    return served_source


@pytest.fixture
def index(tmp_path: Path, migrated_template: Path, source) -> PackageIndex:
    shutil.copyfile(migrated_template, tmp_path / "egress.db")
    engine = open_engine(f"sqlite:///{tmp_path / 'egress.db'}")
    yield PackageIndex(session_factory(engine), tmp_path / "package-index", source=source.url)
    engine.dispose()
