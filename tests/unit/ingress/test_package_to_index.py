"""An approved package request reaches the real package index, wired as the service starts
(``startup.open_ingress``): only the request's project sees it, with who approved it and why.
The wheels come from the package index tests' local source (the stand-in for PyPI)."""

from __future__ import annotations

import pytest

from haven_egress.blobs import BlobStore
from haven_egress.errors import Conflict, NotFound
from haven_egress.ingress.workflow import State
from haven_egress.package_index import index_of
from haven_egress.service import EgressService
from haven_egress.storage import open_engine, session_factory
from haven_egress.web.startup import open_ingress
from haven_hub.settings import Settings
from tests.unit.package_index.wheels import make_wheel, package_source

from .factories import AUTHOR, CHECKER, PROJECT


@pytest.fixture
def wired(sqlite_url, tmp_path, data_dir):
    with package_source() as source:
        settings = Settings.model_validate({"hub": {"data_dir": str(data_dir)},
                                            "egress": {"package_source_url": source.url}})
        engine = open_engine(sqlite_url)
        service = EgressService(session_factory(engine), BlobStore(tmp_path / "blobs"), settings.egress)
        yield source, service, open_ingress(settings, service)
        engine.dispose()


def test_an_approved_package_is_in_the_index_for_its_project_only(wired):
    source, service, ingress = wired
    source.publish("tinypkg", *make_wheel("tinypkg", "1.0"))
    request_id = ingress.request_package(AUTHOR, PROJECT, "TinyPkg", "1.0", "fits the survival models")
    with pytest.raises(NotFound):
        index_of(service).releases(PROJECT, "tinypkg")  # nothing before the approval
    assert ingress.approve(CHECKER, request_id, "pure Python, small") is State.DELIVERED
    [record] = index_of(service).releases(PROJECT, "tinypkg")
    assert (record.version, record.added_by, record.projects) == ("1.0", "cara", (PROJECT,))
    assert record.reason.startswith("pure Python, small")
    with pytest.raises(NotFound):
        index_of(service).releases("beta", "tinypkg")


def test_a_package_the_source_lacks_leaves_the_request_approved(wired):
    _, _, ingress = wired
    request_id = ingress.request_package(AUTHOR, PROJECT, "absentpkg", "9.9", "why not")
    with pytest.raises(Conflict, match="approved, but not delivered yet"):
        ingress.approve(CHECKER, request_id, "fine")
    assert ingress.get(AUTHOR, request_id).state is State.APPROVED
