"""A project granted a dataset whose catalogue entry is damaged: the spawn is refused with a 409
naming the dataset and what is wrong (before: a 500 from a pydantic traceback), nothing is made,
and a pinned grant of a sound version of the same dataset still resolves (docs/datasets.md)."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from haven_hub.datasets import AddRequest, Catalogue
from haven_hub.projects import ProjectRecord
from haven_hub.settings import DatasetGrant

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure")]

PROJECT = "hvb-damaged-grant"
DATASET = "hvb_damaged_extract"


@pytest.fixture
def damaged_grant(haven_hub, tmp_path):
    settings = haven_hub.settings
    catalogue = Catalogue(settings.data_path(settings.datasets.catalogue_dir))
    source = tmp_path / "extract.parquet"
    duckdb.sql(f"copy (select range as id from range(5)) to '{source}' (format parquet)")
    catalogue.add(AddRequest(name=DATASET, source=source))
    catalogue.add(AddRequest(name=DATASET, source=source))
    metadata = catalogue.root / DATASET / "2" / "metadata.json"
    metadata.parent.chmod(0o755)
    metadata.chmod(0o644)
    metadata.write_text(metadata.read_text()[:50])  # the newest version's metadata, truncated
    group = f"project-{PROJECT}"
    record = ProjectRecord(title="Damaged grant", purpose="testing",
                           datasets=(DatasetGrant(name="patients"), DatasetGrant(name=DATASET)))
    try:
        assert haven_hub.api("POST", f"/groups/{group}").status_code == 201
        assert haven_hub.api("PUT", f"/groups/{group}/properties", json=record.properties()).status_code == 200
        assert haven_hub.api("POST", f"/groups/{group}/users", json={"users": ["bob"]}).status_code == 200
        yield catalogue
    finally:
        haven_hub.api("DELETE", f"/groups/{group}")
        for path in (catalogue.root / DATASET).rglob("*"):
            path.chmod(0o755)
        shutil.rmtree(catalogue.root / DATASET)


def test_a_grant_of_a_damaged_dataset_refuses_the_spawn_naming_it(haven_hub, docker_client, damaged_grant):
    response = haven_hub.api("POST", f"/users/bob/servers/{PROJECT}", token=haven_hub.user_token("bob"))
    assert response.status_code == 409, response.text
    message = response.json()["message"]
    assert f"granted dataset {DATASET!r}, but it cannot be mounted" in message
    assert f"version {DATASET}/2: metadata.json is damaged" in message and "Ask an administrator" in message
    assert not docker_client.containers.list(all=True, filters={"name": haven_hub.container_name("bob", PROJECT)})
    # The sound version is still what a pinned grant mounts.
    assert damaged_grant.resolve(DATASET, "1") == damaged_grant.root / DATASET / "1"
