"""The Datasets panel's endpoint with a broken dataset among the mounts: the others are listed,
the broken one is named with why, and the answer is never an error as a whole."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from haven_hub.datasets import AddRequest, Catalogue
from haven_hub.datasets.synthetic import write_synthetic

from tests.unit.lab.test_endpoints import status_of


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    """patients sound; admissions with a corrupt Parquet file; cohort with metadata that is a JSON list."""
    base = tmp_path_factory.mktemp("messy-mounts")
    write_synthetic(base / "raw", rows=200, seed=11)
    catalogue = Catalogue(base / "catalogue")
    data = base / "datasets"
    data.mkdir()
    for name, source in (("patients", "patients"), ("admissions", "admissions"), ("cohort", "patients")):
        catalogue.add(AddRequest(name=name, source=base / "raw" / f"{source}.parquet"))
        shutil.copytree(catalogue.resolve(name), data / name)
    for path in data.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    (data / "admissions" / "data.parquet").write_bytes(b"PAR1 damaged on disk PAR1")
    (data / "cohort" / "metadata.json").write_text("[]")
    return data


async def test_the_panel_lists_the_sound_datasets_and_names_the_broken_ones(jp_fetch):
    code, answer = await status_of(jp_fetch, "haven", "datasets")
    assert code == 200, answer
    assert [d["name"] for d in answer["datasets"]] == ["patients"]
    problems = {item["name"]: item["problem"] for item in answer["unusable"]}
    assert sorted(problems) == ["admissions", "cohort"]
    assert problems["admissions"].startswith("its data cannot be read")
    assert problems["cohort"] == "metadata.json is not a JSON object"
