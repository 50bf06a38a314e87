"""Provenance end to end: a real hub spawns a real container, the analyst files a request
through the lab in it, and the egress service stores what the hub recorded of that server,
which a checker then reads on the request page. The spawn page lists the image's packages."""

from __future__ import annotations

import html
import json
import re

import pytest
import requests

from haven_hub import provenance
from haven_hub.datasets import Catalogue
from tests.integration.egress.client import browser_sessions

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure", "dump_logs_on_failure")]

WRITE_OUTPUTS = """
import pathlib
workspace = pathlib.Path("/home/analyst/workspace")
(workspace / "provenance-table.csv").write_text("region,count\\nnorth,15\\nsouth,20\\n")
"""


@pytest.fixture(scope="module")
def filed(haven_hub, docker_client, egress):
    """A request ada filed from her running alpha server, through haven-lab in the container."""
    haven_hub.spawn("ada", "alpha")
    try:
        container = docker_client.containers.get(haven_hub.container_name("ada", "alpha"))
        written = container.exec_run(["python3", "-c", WRITE_OUTPUTS], user=str(haven_hub.settings.spawner.container_uid))
        assert written.exit_code == 0, written.output.decode()
        response = requests.post(
            f"{haven_hub.url}/user/ada/alpha/haven/requests",
            headers={"Authorization": f"token {haven_hub.user_token('ada')}"}, timeout=60,
            data=json.dumps({"title": "Provenance", "purpose": "where it was made", "files": [
                {"path": "workspace/provenance-table.csv", "description": "counts", "kind": "frequency_table"}]}))
        assert response.status_code == 201, response.text
        yield response.json()["id"], container.attrs["Image"]
    finally:
        haven_hub.stop("ada", "alpha")


def test_the_request_records_the_servers_image_and_its_granted_dataset_versions(haven_hub, docker_client, egress, filed):
    request_id, image_id = filed
    stored = egress.detail("carol", request_id)["versions"][-1]["provenance"]
    assert stored["server"] == "ada/alpha" and stored["hub_missing"] == ""
    hub = stored["hub"]
    assert hub["image"]["id"] == image_id  # the content id of what the container runs
    catalogue = Catalogue(haven_hub.settings.data_path(haven_hub.settings.datasets.catalogue_dir))
    # alpha is granted the latest admissions and patients: the versions the spawner mounted.
    assert {d["name"]: d["version"] for d in hub["datasets"]} == {
        name: catalogue.versions(name)[-1].version for name in ("admissions", "patients")}
    for dataset in hub["datasets"]:
        on_disk = catalogue.versions(dataset["name"])[-1]
        assert dataset["files"] == [{"path": f.path, "sha256": f.sha256} for f in on_disk.files]
    labels = docker_client.images.get(image_id).labels
    assert hub["kernel"]["packages"] == provenance.packages_from_label(labels[provenance.KERNEL_LOCK_LABEL])
    assert stored["declared_by_server"] == {"user_packages": {}, "sources": {}}


def test_a_checker_sees_the_provenance_on_the_request_page(egress, filed):
    request_id, image_id = filed
    page = browser_sessions(egress)("carol").get(f"{egress.base}requests/{request_id}", timeout=30)
    assert page.status_code == 200
    section = page.text[page.text.index('id="provenance"'):]
    assert image_id in section
    assert re.search(r'data-dataset="admissions" data-version="[^"]+"', section)
    assert "declared by the server" in section


def test_a_request_from_a_server_that_is_not_running_says_the_hub_has_no_record(egress):
    # grace's alpha token stands in for a server of hers that is not running: never started in
    # this session (the hub has no such server) or started and stopped by an earlier test (the
    # spawner forgot its record on stop). Either way nothing vouches for it, and it says which.
    response = egress.submit("grace", "alpha")
    assert response.status_code == 201, response.text
    stored = response.json()["versions"][-1]["provenance"]
    assert stored["hub"] is None
    assert ("answered 404" in stored["hub_missing"]
            or "the server is not running" in stored["hub_missing"]), stored["hub_missing"]


def test_the_home_page_lists_the_packages_of_the_image_a_start_would_run(haven_hub, notebook_image):
    page = haven_hub.login("grace").get(f"{haven_hub.url}/hub/home", timeout=30)
    assert page.status_code == 200
    listed = dict(re.findall(r"<li><code>([^<]+)</code> ([^<]+)</li>", html.unescape(page.text)))
    label = provenance.kernel_packages(notebook_image.labels)
    assert label, "the notebook image has no kernel label: rebuild it (images/build.py)"
    assert listed == label
    assert {"pandas", "duckdb", "scikit-learn", "matplotlib"} <= set(listed)
