"""A real Jupyter server on the host with the image's own server config (jp_fetch, real HTTP).

The config is images/notebook/jupyter_server_config.py itself, loaded as the image loads
it, with only the container's paths and address swapped for temporary ones.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from haven_hub.datasets import AddRequest, Catalogue
from haven_hub.datasets.synthetic import write_synthetic

REPO = Path(__file__).resolve().parents[3]
IMAGE_CONFIG = REPO / "images" / "notebook" / "jupyter_server_config.py"

try:
    import haven_lab  # noqa: F401
except ImportError:  # not pip-installed on the host: test the source tree
    sys.path.insert(0, str(REPO / "extensions" / "haven-lab"))

from pytest_jupyter.jupyter_server import *  # noqa: E402,F403  (jp_fetch and its fixtures)


def image_config() -> Config:
    config = PyFileConfigLoader(IMAGE_CONFIG.name, path=str(IMAGE_CONFIG.parent)).load_config()
    for name in ("ip", "port", "root_dir", "open_browser"):
        config.ServerApp.pop(name, None)
    return config


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory) -> Path:
    """Stands in for the read-only dataset mounts at /data: real catalogue entries."""
    base = tmp_path_factory.mktemp("mounts")
    write_synthetic(base / "raw", rows=500, seed=7)
    catalogue = Catalogue(base / "catalogue")
    data = base / "datasets"  # not "data": pytest-jupyter's data dir is tmp_path/data
    data.mkdir()
    for name in ("patients", "admissions"):
        descriptions = json.loads((base / "raw" / f"{name}.columns.json").read_text())
        catalogue.add(AddRequest(name=name, source=base / "raw" / f"{name}.parquet",
                                 title=f"Synthetic {name}", column_descriptions=descriptions))
        shutil.copytree(catalogue.resolve(name), data / name)
    return data


@pytest.fixture
def workspace(jp_root_dir) -> Path:
    path = jp_root_dir / "workspace"
    path.mkdir()
    return path


@pytest.fixture
def egress_url() -> str:
    """Overridden by tests that talk to a real egress service."""
    return ""


@pytest.fixture
def jp_server_config(data_dir, workspace, egress_url):
    config = image_config()
    # Lab too, so its extension-manager API is there to be closed.
    config.ServerApp.jpserver_extensions["jupyterlab"] = True
    config.HavenContentsManager.data_dir = str(data_dir)
    config.HavenLab.data_dir = str(data_dir)
    config.HavenLab.workspace_dir = str(workspace)
    config.HavenLab.egress_url = egress_url
    config.HavenLab.project = "alpha"
    config.HavenLab.user = "ada"
    return config
