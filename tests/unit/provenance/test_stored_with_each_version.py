"""Each request version keeps the provenance the hub vouches for, beside what the server declared.

The hub is the one outer edge here: a lookup standing in for its API answers with the record
the spawner keeps (tests/integration/provenance reads the real one from a real hub).
"""

from __future__ import annotations

import io
import json
import shutil
import zipfile

import pytest

from haven_egress import provenance
from haven_egress.errors import Invalid
from haven_egress.storage import session_factory
from haven_egress.service import EgressService
from haven_egress.workflow import State
from haven_hub import provenance as hub_provenance
from haven_hub.theme import environment
from haven_egress.web.pages import TEMPLATES

from tests.unit.egress.factories import AUTHOR, CHECKER, CHECKER_2, PROJECT, default_files, vote_all

IMAGE_ID = "sha256:" + "ab" * 32


def hub_record(image_id: str = IMAGE_ID) -> dict:
    return {"format": hub_provenance.FORMAT, "recorded_by": "hub", "recorded_at": "2026-12-02T04:00:00+00:00",
            "image": {"name": "haven/notebook:latest", "id": image_id, "repo_digests": [], "created": ""},
            "kernel": {"packages": {"pandas": "3.1.1"}, "source": "image label"},
            "datasets": [{"name": "patients", "version": "2", "granted": "latest", "title": "Patients",
                          "rows": 50, "files": [{"path": "data.parquet", "sha256": "ef" * 32}]}]}


class Hub:
    """Answers as the hub's API would for the servers it knows; records who was asked about."""

    def __init__(self, servers: dict[tuple[str, str], dict]) -> None:
        self.servers = servers
        self.asked: list[tuple[str, str]] = []

    def __call__(self, user: str, server: str) -> provenance.HubAnswer:
        self.asked.append((user, server))
        model = self.servers.get((user, server))
        if model is None:
            return provenance.HubAnswer(missing=f"the hub answered 404 for server {user}/{server}")
        return provenance.record_of(model)


@pytest.fixture
def db_url(tmp_path, migrated_templates) -> str:
    """SQLite only: the document is one JSON column, and test_on_postgresql proves it there."""
    target = tmp_path / "egress.db"
    shutil.copyfile(migrated_templates["sqlite"], target)
    return f"sqlite:///{target}"


@pytest.fixture
def hub() -> Hub:
    return Hub({(AUTHOR.name, PROJECT): {"name": PROJECT, "state": {"object_id": "c0ffee",
                                                                     hub_provenance.STATE_KEY: hub_record()}}})


@pytest.fixture
def service(engine, blobs, signer, hub) -> EgressService:
    return EgressService(session_factory(engine), blobs, signer=signer, hub_records=hub)


DECLARED = {"user_packages": {"tableone": "0.9.1"}, "sources": {"out/analysis.html": "out/analysis.ipynb"}}


def test_a_submission_keeps_the_hubs_record_of_the_callers_own_server(service, hub):
    request_id = service.submit(AUTHOR, PROJECT, "Counts", "paper", default_files(), declared=DECLARED)
    stored = service.get_request(CHECKER, request_id).versions[-1].provenance
    assert hub.asked == [(AUTHOR.name, PROJECT)]  # the server the token is bound to, nothing the body named
    assert stored["server"] == f"{AUTHOR.name}/{PROJECT}"
    assert stored["hub"] == hub_record()
    assert stored["hub_missing"] == ""
    assert stored["declared_by_server"] == DECLARED


@pytest.mark.parametrize("declared, says", [
    ({"image": {"id": "sha256:forged"}}, "unknown field"),
    ({"hub": {}}, "unknown field"),
    ({"user_packages": {"pandas": "3.1.1; rm -rf"}}, "not a package"),
    ({"user_packages": ["pandas==3"]}, "must be an object"),
    ({"user_packages": {f"p{i}": "1" for i in range(provenance.MAX_USER_PACKAGES + 1)}}, "at most"),
    ({"sources": {"out/a.html": 7}}, "maps each sent path"),
    ("pandas==3", "must be an object"),
])
def test_a_malformed_declaration_is_refused_and_files_nothing(service, snapshot, declared, says):
    before = snapshot()
    with pytest.raises(Invalid, match=says):
        service.submit(AUTHOR, PROJECT, "Counts", "paper", default_files(), declared=declared)
    assert snapshot() == before


@pytest.mark.parametrize("model, says", [
    ({"name": PROJECT}, "lacks admin:server_state"),
    ({"name": PROJECT, "state": {"object_id": "c0ffee"}}, "started before Haven recorded provenance"),
    ({"name": PROJECT, "state": {}, "stopped": True}, "the server is not running"),
    ({"name": PROJECT, "state": {hub_provenance.STATE_KEY: {"format": "other/9"}}}, "unknown format"),
])
def test_a_server_the_hub_has_no_record_of_is_still_filed_and_says_why(engine, blobs, signer, model, says):
    service = EgressService(session_factory(engine), blobs, signer=signer,
                            hub_records=Hub({(AUTHOR.name, PROJECT): model}))
    request_id = service.submit(AUTHOR, PROJECT, "Counts", "paper", default_files())
    stored = service.get_request(CHECKER, request_id).versions[-1].provenance
    assert stored["hub"] is None and says in stored["hub_missing"]
    assert stored["declared_by_server"] is None


def test_a_resubmission_records_the_environment_it_was_made_in_and_keeps_the_first(service, hub):
    request_id = service.submit(AUTHOR, PROJECT, "Counts", "paper", default_files())
    service.start_review(CHECKER, request_id)
    vote_all(service, request_id, CHECKER, "request_changes")  # both agree: split votes conflict
    vote_all(service, request_id, CHECKER_2, "request_changes")
    assert service.get_request(AUTHOR, request_id).state is State.RETURNED
    # The server was restarted on a new image in between.
    hub.servers[(AUTHOR.name, PROJECT)]["state"][hub_provenance.STATE_KEY] = hub_record("sha256:" + "99" * 32)
    service.resubmit(AUTHOR, request_id, default_files()[:1], keep=["out/figure.png"], declared=DECLARED)
    first, second = service.get_request(AUTHOR, request_id).versions
    assert first.provenance["hub"]["image"]["id"] == IMAGE_ID
    assert second.provenance["hub"]["image"]["id"] == "sha256:" + "99" * 32
    assert second.provenance["declared_by_server"]["sources"] == DECLARED["sources"]


def test_the_release_manifest_carries_the_released_versions_provenance(service):
    request_id = service.submit(AUTHOR, PROJECT, "Counts", "paper", default_files())
    service.start_review(CHECKER, request_id)
    vote_all(service, request_id, CHECKER, "approve")
    vote_all(service, request_id, CHECKER_2, "approve")
    service.release(CHECKER, request_id)
    with zipfile.ZipFile(io.BytesIO(service.bundle(AUTHOR, request_id))) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["provenance"]["hub"]["image"]["id"] == IMAGE_ID
    assert manifest["provenance"]["hub"]["datasets"][0]["version"] == "2"


def render(provenance_document, version: int = 1) -> str:
    template = environment(TEMPLATES).get_template("_provenance.html")
    return template.render(provenance=provenance_document, provenance_version=version)


def test_the_partial_shows_the_hubs_record_and_marks_the_servers_word_as_such():
    page = render(provenance.document("alice/alpha", provenance.HubAnswer(hub_record()), DECLARED))
    assert IMAGE_ID in page
    assert 'data-dataset="patients" data-version="2"' in page
    assert "1 packages" in page and "<code>pandas</code> 3.1.1" in page
    declared = page[page.index('id="provenance-declared"'):]
    assert "declared by the server" in declared and "<code>tableone</code> 0.9.1" in declared
    assert "tableone" not in page[:page.index('id="provenance-declared"')]


def test_the_partial_says_when_nothing_or_only_part_was_recorded():
    assert "Not recorded" in render(None)
    missing = render(provenance.document("alice/alpha", provenance.HubAnswer(missing="the hub answered 404"), None))
    assert "the hub answered 404" in missing and "provenance-declared" not in missing


def test_the_partial_includes_from_the_request_page_with_only_the_request_in_context(service):
    request_id = service.submit(AUTHOR, PROJECT, "Counts", "paper", default_files())
    view = service.get_request(CHECKER, request_id)
    page = environment(TEMPLATES).from_string('{% include "_provenance.html" %}').render(request=view)
    assert IMAGE_ID in page and "version 1" in page
