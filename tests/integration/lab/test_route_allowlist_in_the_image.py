"""The notebook image's own single-user server: every route it registers is classified by
haven_lab.routes, and every folder it reads Jupyter files from is read-only (issue 11).

A new Jupyter, JupyterLab or extension version that adds a route fails the first test until
someone decides whether the route is allowed (with its limits) or closed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fixtures.docker_engine import NOTEBOOK_IMAGE

pytestmark = pytest.mark.docker

PROBE = Path(__file__).with_name("route_probe.py")
SERVER_ENV = {
    # What the hub's spawner gives a server; the hub itself is not contacted by the probe.
    "JUPYTERHUB_API_TOKEN": "not-a-real-token",
    "JUPYTERHUB_API_URL": "http://127.0.0.1:9/hub/api",
    "JUPYTERHUB_CLIENT_ID": "jupyterhub-user-ada-alpha",
    "JUPYTERHUB_SERVICE_PREFIX": "/user/ada/alpha/",
    "JUPYTERHUB_SERVICE_URL": "http://0.0.0.0:8888/user/ada/alpha/",
    "JUPYTERHUB_OAUTH_CALLBACK_URL": "/user/ada/alpha/oauth_callback",
    "JUPYTERHUB_USER": "ada",
    "JUPYTERHUB_BASE_URL": "/",
}


def image_user(docker_client) -> str:
    return docker_client.images.get(NOTEBOOK_IMAGE).attrs["Config"]["User"]


def probe(docker_client, **env: str) -> dict:
    uid = image_user(docker_client).split(":")[0]
    output = docker_client.containers.run(
        NOTEBOOK_IMAGE, ["python3", "/probe.py"], remove=True, stdout=True, stderr=False,
        # As the spawner runs it: read-only root, tmpfs /tmp, a home folder the analyst owns.
        read_only=True, tmpfs={"/tmp": "", "/home/analyst": f"uid={uid},gid={uid},mode=0700"},
        volumes={str(PROBE): {"bind": "/probe.py", "mode": "ro"}},
        environment={**SERVER_ENV, **env},
    )
    return json.loads(output)


@pytest.fixture(scope="module")
def with_terminals(docker_client, notebook_image) -> dict:
    return probe(docker_client, HAVEN_TERMINALS="1")


def test_every_route_the_image_server_registers_is_allowed_or_closed(with_terminals):
    assert with_terminals["terminals_enabled"] is True  # so the terminal routes are there to classify
    handlers = {handler for _, handler in with_terminals["routes"]}
    assert "jupyter_server_terminals.handlers.TermSocket" in handlers
    assert "jupyter_server.kernelspecs.handlers.KernelSpecResourceHandler" in handlers
    assert with_terminals["unclassified"] == []


def test_an_unclassified_route_fails_the_check(docker_client, notebook_image):
    """The meta-test: the same probe with one more route registered reports it."""
    found = probe(docker_client, HAVEN_TEST_DUMMY_ROUTE="1")
    assert found["unclassified"] == [["/dummy/(.*)", "__main__.DummyHandler"]]


def test_terminals_are_off_unless_the_project_allows_them(docker_client, notebook_image):
    found = probe(docker_client)
    assert found["terminals_enabled"] is False
    assert not [h for _, h in found["routes"] if "terminals" in h]


def test_jupyter_reads_kernelspecs_extensions_and_config_only_from_read_only_folders(with_terminals):
    paths = with_terminals["paths"]
    assert paths["writable_read_paths"] == []
    assert paths["writable_labextensions"] == []
    for name in ("config", "data", "kernels", "kernel_dirs", "labextensions", "static"):
        for folder in paths[name]:
            assert not folder.startswith(("/home", "/tmp", "/scratch")), (name, folder)
    assert paths["data_dir"] == "/usr/local/share/jupyter"
    # The analyst still chooses among the image's kernels, and only those.
    assert paths["kernelspecs"] == {"python3": "/opt/haven/share/jupyter/kernels/python3",
                                    "python3-acro": "/usr/local/share/jupyter/kernels/python3-acro"}
    assert paths["user_site"] is False
    # Lab's own state is the one writable place it reads, held to a size limit (haven_lab.routes).
    assert paths["lab_settings"].startswith("/home/analyst/.local/state/jupyterlab/")
    assert paths["lab_workspaces"].startswith("/home/analyst/.local/state/jupyterlab/")
    assert paths["lab_schemas"].startswith("/opt/haven/share/jupyter/lab/")
    # Connection files are on tmpfs and no static route serves /tmp.
    assert paths["runtime_dir"] == "/tmp/jupyter-runtime"


def test_the_server_refuses_to_start_when_a_jupyter_path_is_writable(docker_client, notebook_image):
    """The old image's JUPYTER_DATA_DIR, in the home folder: haven_lab names it and stops."""
    uid = image_user(docker_client).split(":")[0]
    container = docker_client.containers.run(
        NOTEBOOK_IMAGE, ["jupyterhub-singleuser"], detach=True, read_only=True,
        tmpfs={"/tmp": "", "/home/analyst": f"uid={uid},gid={uid},mode=0700"},
        environment={**SERVER_ENV, "JUPYTER_DATA_DIR": "/home/analyst/.local/share/jupyter"},
    )
    try:
        assert container.wait(timeout=60)["StatusCode"] != 0
        logs = container.logs().decode(errors="replace")
        assert "Haven refuses to start" in logs
        assert "/home/analyst/.local/share/jupyter" in logs
    finally:
        container.remove(force=True)
