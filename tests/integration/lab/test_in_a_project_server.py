"""The closures in a real project server (the notebook image, spawned by the hub), reached
through the hub's proxy with the analyst's own token, as a browser would reach them."""

from __future__ import annotations

import pytest
import requests

from haven_lab.policy import CONTENT_SECURITY_POLICY

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure", "dump_logs_on_failure")]

# Config an analyst could write into their home folder to reopen what the image closes;
# if it were ever loaded it would also leave a mark in the workspace.
PLANTED = """
open("/home/analyst/workspace/planted-config-ran", "w").write("loaded")
c.ServerApp.tornado_settings = {"headers": {"Content-Security-Policy": "default-src *"}}
c.ServerApp.contents_manager_class = "jupyter_server.services.contents.largefilemanager.AsyncLargeFileManager"
c.ServerApp.jpserver_extensions = {"haven_lab": False}
"""
PLANT = f"""
import os, pathlib
for folder in ("~/.jupyter", "~/.local/etc/jupyter", "~/.jupyter/jupyter_server_config.d"):
    path = pathlib.Path(os.path.expanduser(folder)); path.mkdir(parents=True, exist_ok=True)
    (path / "jupyter_server_config.py").write_text({PLANTED!r})
    (path / "jupyter_config.py").write_text({PLANTED!r})
pathlib.Path(os.path.expanduser("~/.jupyter/jupyter_server_config.json")).write_text(
    '{{"ServerApp": {{"jpserver_extensions": {{"haven_lab": false}}}}}}')
pathlib.Path("/home/analyst/workspace/table.csv").write_text("region,count\\nnorth,15\\n")
os.symlink("/data", "/home/analyst/workspace/datasets")
"""


def server_get(hub, path: str, token: str) -> requests.Response:
    return requests.get(f"{hub.url}/user/ada/alpha/{path}", headers={"Authorization": f"token {token}"},
                        timeout=30, allow_redirects=False)


def assert_closed(hub, token: str) -> None:
    lab = server_get(hub, "lab", token)
    assert lab.status_code == 200
    assert lab.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    for path in ("files/workspace/table.csv", "view/workspace/table.csv", "nbconvert/html/workspace/x.ipynb",
                 "api/nbconvert", "lab/api/extensions"):
        response = server_get(hub, path, token)
        assert response.status_code == 403, path
        assert "Request release" in response.text
    assert server_get(hub, "api/contents/workspace/table.csv?format=base64&type=file", token).status_code == 403
    refused = server_get(hub, "api/contents/workspace/datasets/admissions/metadata.json?format=text", token)
    assert refused.status_code == 403
    assert server_get(hub, "api/contents/workspace/table.csv?format=text&type=file", token).json()["content"]


def test_closed_in_the_image_and_config_in_the_home_folder_is_never_loaded(haven_hub, docker_client):
    token = haven_hub.user_token("ada")
    haven_hub.spawn("ada", "alpha")
    try:
        container = docker_client.containers.get(haven_hub.container_name("ada", "alpha"))
        planted = container.exec_run(["python3", "-c", PLANT], user=str(haven_hub.settings.spawner.container_uid))
        assert planted.exit_code == 0, planted.output.decode()
        assert_closed(haven_hub, token)
        datasets = server_get(haven_hub, "haven/datasets", token).json()["datasets"]
        assert sorted(d["name"] for d in datasets) == ["admissions", "patients"]
        # No server proxy in the image, and the extension manager cannot install anything.
        probe = container.exec_run(["python3", "-c", "import importlib.util as u; print(u.find_spec('jupyter_server_proxy'))"])
        assert probe.output.decode().strip() == "None"
    finally:
        haven_hub.stop("ada", "alpha")

    # The home folder is a volume: the planted files are there when the server starts again.
    haven_hub.spawn("ada", "alpha")
    try:
        container = docker_client.containers.get(haven_hub.container_name("ada", "alpha"))
        still_there = container.exec_run(["test", "-f", "/home/analyst/.jupyter/jupyter_server_config.py"])
        assert still_there.exit_code == 0
        assert_closed(haven_hub, token)
        marker = container.exec_run(["test", "-e", "/home/analyst/workspace/planted-config-ran"])
        assert marker.exit_code != 0, "config from the home folder was loaded"
    finally:
        haven_hub.stop("ada", "alpha")
