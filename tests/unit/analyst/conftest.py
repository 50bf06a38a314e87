from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import haven
from haven_hub.datasets import AddRequest, Catalogue
from haven_hub.datasets.synthetic import write_synthetic

ROWS = 4_000


@pytest.fixture(scope="session")
def mounted(tmp_path_factory) -> dict[str, Path]:
    """A project's view of the data as the spawner lays it out: each granted version
    directory of a real catalogue at <data>/<name>, plus a workspace, a scratch
    directory and a directory the project must not reach."""
    base = tmp_path_factory.mktemp("project")
    raw = base / "raw"
    write_synthetic(raw, rows=ROWS, seed=3)
    catalogue = Catalogue(base / "catalogue")
    for name in ("patients", "admissions"):
        descriptions = json.loads((raw / f"{name}.columns.json").read_text())
        catalogue.add(AddRequest(name=name, source=raw / f"{name}.parquet", title=f"Synthetic {name}",
                                 column_descriptions=descriptions))
    data = base / "data"
    data.mkdir()
    for name in ("patients", "admissions"):
        shutil.copytree(catalogue.resolve(name), data / name)
    places = {"data": data, "raw": raw, "workspace": base / "workspace", "scratch": base / "scratch",
              "outside": base / "outside"}
    for key in ("workspace", "scratch", "outside"):
        places[key].mkdir()
    (places["outside"] / "secret.csv").write_text("id,diagnosis\n1,confidential\n")
    shutil.copy(raw / "patients.parquet", places["outside"] / "unapproved.parquet")
    return places


@pytest.fixture
def con(mounted):
    connection = haven.open_connection(
        data_dir=mounted["data"], workspace_dir=mounted["workspace"], scratch_dir=mounted["scratch"],
        memory_limit="512MB", threads=2,
    )
    yield connection
    connection.close()


@pytest.fixture
def project_env(mounted, monkeypatch):
    """The module-level API (haven.sql, haven.table …) configured as in a container."""
    monkeypatch.setenv("HAVEN_DATA_DIR", str(mounted["data"]))
    monkeypatch.setenv("HAVEN_WORKSPACE_DIR", str(mounted["workspace"]))
    monkeypatch.setenv("HAVEN_SCRATCH_DIR", str(mounted["scratch"]))
    monkeypatch.setenv("HAVEN_MEMORY_LIMIT", "512MB")
    haven._shared = None
    yield mounted
    if haven._shared is not None:
        haven._shared[0].close()
    haven._shared = None
