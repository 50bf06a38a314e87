"""What the hub records of a started server: read from the image and the catalogue, not hard-coded."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from haven_hub import provenance, spawn_page
from haven_hub.datasets import AddRequest, Catalogue
from haven_hub.datasets.synthetic import write_synthetic


def test_a_kernel_label_reads_back_as_the_pins_it_was_written_from():
    pins = {"pandas": "3.1.1", "scikit-learn": "1.9.1", "duckdb": "2.0.0"}
    value = provenance.label_value(pins)
    assert value == "duckdb==2.0.0,pandas==3.1.1,scikit-learn==1.9.1"
    assert provenance.packages_from_label(value) == pins


@pytest.mark.parametrize("label", [None, "", "pandas", "pandas==3.1.1,numpy>=2", "pandas==3.1.1,,x==1",
                                   "pandas==3.1.1 numpy==2"])
def test_a_missing_or_unreadable_label_is_not_recorded_rather_than_half_read(label):
    assert provenance.packages_from_label(label) is None


def test_a_pin_a_label_cannot_carry_is_refused_at_build():
    with pytest.raises(ValueError, match="not a pin"):
        provenance.label_value({"pandas": "3.1 ; python_version"})


def image_attrs(labels: dict[str, str]) -> dict:
    """The fields of `docker image inspect` the record reads."""
    return {"Id": "sha256:" + "ab" * 32, "RepoDigests": ["haven/notebook@sha256:" + "cd" * 32],
            "Created": "2026-12-01T10:00:00Z", "Config": {"Labels": labels}}


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory) -> Catalogue:
    base = tmp_path_factory.mktemp("catalogue")
    write_synthetic(base / "raw", rows=50, seed=3)
    catalogue = Catalogue(base / "catalogue")
    for _ in range(2):  # two versions: a pinned grant and "latest" must name different ones
        catalogue.add(AddRequest(name="patients", source=base / "raw" / "patients.parquet", title="Patients"))
    return catalogue


def test_the_record_names_the_image_by_content_id_and_each_dataset_version_with_checksums(catalogue):
    versions = [m.version for m in catalogue.versions("patients")]
    pinned = provenance.dataset_record(versions[0], catalogue.resolve("patients", versions[0]))
    latest = provenance.dataset_record(None, catalogue.resolve("patients"))
    lock = provenance.label_value({"pandas": "3.1.1", "numpy": "2.4.6"})
    record = provenance.server_record("haven/notebook:latest", image_attrs({provenance.KERNEL_LOCK_LABEL: lock}),
                                      [latest, pinned], recorded_at=datetime(2026, 12, 2, tzinfo=timezone.utc))
    assert record["format"] == provenance.FORMAT and record["recorded_by"] == "hub"
    assert record["image"]["id"] == "sha256:" + "ab" * 32
    assert record["image"]["name"] == "haven/notebook:latest"
    assert record["kernel"]["packages"] == {"numpy": "2.4.6", "pandas": "3.1.1"}
    assert [(d["version"], d["granted"]) for d in record["datasets"]] == [
        (versions[-1], "latest"), (versions[0], versions[0])]
    on_disk = (catalogue.resolve("patients", versions[0]) / "metadata.json").read_text()
    assert record["datasets"][1]["files"] == [{"path": f["path"], "sha256": f["sha256"]}
                                              for f in json.loads(on_disk)["files"]]
    # The spawner keeps it in the server's state: it must survive the hub's JSON column.
    assert json.loads(json.dumps(record)) == record


def test_an_image_built_before_the_labels_records_no_packages():
    record = provenance.server_record("old:tag", image_attrs({}), [])
    assert record["kernel"]["packages"] is None
    assert provenance.kernel_packages({}) is None


def test_the_spawn_page_lists_the_kernel_packages_it_is_given_and_says_when_there_are_none():
    page = spawn_page.kernel_section({"pandas": "3.1.1", "duckdb": "2.0.0"})
    assert "<code>duckdb</code> 2.0.0" in page and "<code>pandas</code> 3.1.1" in page
    assert page.index("duckdb") < page.index("pandas")
    assert "does not list its packages" in spawn_page.kernel_section(None)
    # Escaped like every other value on the page.
    assert "&lt;b&gt;" in spawn_page.kernel_section({"<b>": "1"})


def test_the_image_build_labels_the_lock_the_docs_are_generated_from():
    import sys
    from pathlib import Path

    images = Path(__file__).resolve().parents[3] / "images"
    sys.path.insert(0, str(images))
    import analyst_environment
    import build

    labels = build.kernel_labels(images / "notebook")
    locked = analyst_environment.pins(images / "notebook" / "requirements.lock")
    assert provenance.packages_from_label(labels["KERNEL_LOCK"]) == locked
    top = provenance.packages_from_label(labels["KERNEL_PACKAGES"])
    assert set(top) == set(analyst_environment.pins(images / "notebook" / "requirements.txt"))
    assert all(locked[name] == version for name, version in top.items())
    dockerfile = (images / "notebook" / "Dockerfile").read_text()
    for label, argument in ((provenance.KERNEL_LOCK_LABEL, "KERNEL_LOCK"),
                            (provenance.KERNEL_PACKAGES_LABEL, "KERNEL_PACKAGES")):
        assert f"{label}=${{{argument}}}" in dockerfile
