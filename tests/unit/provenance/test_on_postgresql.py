"""The provenance document round-trips through both engines' JSON column (migration 0005)."""

from __future__ import annotations

from haven_egress.service import EgressService
from haven_egress.storage import session_factory

from tests.unit.egress.factories import AUTHOR, CHECKER, PROJECT, default_files

from .test_stored_with_each_version import DECLARED, Hub, hub, hub_record  # noqa: F401 (hub: a fixture)


def test_the_document_is_stored_and_read_back_whole(engine, blobs, signer, hub):  # noqa: F811
    service = EgressService(session_factory(engine), blobs, signer=signer, hub_records=hub)
    request_id = service.submit(AUTHOR, PROJECT, "Counts", "paper", default_files(), declared=DECLARED)
    stored = service.get_request(CHECKER, request_id).versions[-1].provenance
    assert stored["hub"] == hub_record() and stored["declared_by_server"] == DECLARED
