"""Issue 11's raw-data leak, tried from a real project server (spawned by a real hub): a
dataset file copied where Jupyter looks for kernelspecs and lab extensions came back, byte
for byte, from /kernelspecs/x/<file> and /lab/extensions/y/static/<file>. Now nothing is
served from there; the control, a server from the same image with the old writable data
dir and the allowlist off (a test-only server argument the spawner never passes), still
gives the same bytes back. Terminals, and the server's own memory, too.
"""

from __future__ import annotations

import hashlib
import json
import time

import pytest
import requests

from haven_hub.datasets.catalogue import Catalogue
from haven_hub.projects import group_name
from haven_hub.provisioning.hub_api import HubClient
from tests.fixtures.docker_engine import NOTEBOOK_IMAGE, TEST_PREFIX
from tests.fixtures.hub import free_port

from .server_session import ProjectServer

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure", "dump_logs_on_failure")]

PLANT = r"""
import glob, hashlib, json, pathlib, shutil
source = sorted(glob.glob("/data/admissions/**/*.parquet", recursive=True))[0]
home = pathlib.Path.home()
kernel_json = {"argv": ["python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
               "display_name": "x", "language": "python"}
for folder in (".local/share/jupyter/kernels/x", ".ipython/kernels/z"):
    kernel = home / folder
    kernel.mkdir(parents=True, exist_ok=True)
    (kernel / "kernel.json").write_text(json.dumps(kernel_json))
    shutil.copy(source, kernel / "part.parquet")
extension = home / ".local/share/jupyter/labextensions/y"
(extension / "static").mkdir(parents=True, exist_ok=True)
shutil.copy(source, extension / "static" / "part.parquet")
(extension / "static" / "remoteEntry.js").write_text("fetch('/exfiltrate?' + document.cookie)")
(extension / "package.json").write_text(json.dumps({"name": "y", "version": "0.0.1", "jupyterlab": {
    "_build": {"load": "static/remoteEntry.js", "extension": "./extension"}}}))
print(json.dumps({"sha256": hashlib.sha256(open(source, "rb").read()).hexdigest()}))
"""
PLANTED = ("kernelspecs/x/part.parquet", "kernelspecs/z/part.parquet", "lab/extensions/y/static/part.parquet",
           "lab/extensions/y/static/remoteEntry.js")

# Run in a kernel of the server: the kernel's parent is the server (same uid).
READ_THE_SERVER = r"""
import json, os, subprocess
def attempt(pid, name):
    try:
        with open(f"/proc/{pid}/{name}", "rb") as handle:
            handle.read(64) if name == "environ" else None
        return "read"
    except OSError as error:
        return type(error).__name__
server = os.getppid()
control = subprocess.Popen(["sleep", "30"])  # same uid, never marked non-dumpable
print(json.dumps({
    "server_cmdline": open(f"/proc/{server}/cmdline", "rb").read().decode(errors="replace"),
    "server": {name: attempt(server, name) for name in ("environ", "mem")},
    "control": {name: attempt(control.pid, name) for name in ("environ", "mem")},
}))
control.kill()
"""


def plant(container) -> str:
    result = container.exec_run(["python3", "-c", PLANT])
    assert result.exit_code == 0, result.output.decode()
    return json.loads(result.output.decode().strip().splitlines()[-1])["sha256"]


@pytest.fixture(scope="module")
def spawned(haven_hub, docker_client):
    haven_hub.spawn("ada", "alpha")
    container = docker_client.containers.get(haven_hub.container_name("ada", "alpha"))
    yield ProjectServer(f"{haven_hub.url}/user/ada/alpha/", haven_hub.user_token("ada")), container
    haven_hub.stop("ada", "alpha")


@pytest.fixture(scope="module")
def control_server(haven_hub, docker_client, notebook_image):
    """The same image as the issue found it: JUPYTER_DATA_DIR in the home folder, and the
    allowlist off. Started by the test, on loopback only; the spawner never does this."""
    settings = haven_hub.settings
    dataset = Catalogue(settings.data_path(settings.datasets.catalogue_dir)).resolve("admissions")
    uid = notebook_image.attrs["Config"]["User"].split(":")[0]
    port, token = free_port(), "control-token-not-haven"
    container = docker_client.containers.run(
        NOTEBOOK_IMAGE,
        ["jupyter", "server", f"--IdentityProvider.token={token}", "--HavenLab.route_allowlist=False",
         "--HavenLab.refuse_writable_paths=False"],
        name=f"{TEST_PREFIX}-lab-control", detach=True, read_only=True,
        tmpfs={"/tmp": "", "/home/analyst": f"uid={uid},gid={uid},mode=0700"},
        volumes={str(dataset): {"bind": "/data/admissions", "mode": "ro"}},
        environment={"JUPYTER_DATA_DIR": "/home/analyst/.local/share/jupyter",
                     "HAVEN_WORKSPACE_DIR": "/home/analyst"},
        ports={"8888/tcp": ("127.0.0.1", port)},
    )
    server = ProjectServer(f"http://127.0.0.1:{port}/", token)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if server.request("GET", "api/kernelspecs").status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, container.logs().decode(errors="replace")
            time.sleep(1)
        yield server, container
    finally:
        container.remove(force=True)


def test_a_dataset_planted_as_a_kernelspec_or_lab_extension_is_not_served(spawned, control_server):
    server, container = spawned
    sha256 = plant(container)
    for path in PLANTED:
        response = server.request("GET", path)
        assert response.status_code in (403, 404), (path, response.status_code)
        assert hashlib.sha256(response.content).hexdigest() != sha256
        assert b"PAR1" not in response.content and b"exfiltrate" not in response.content, path
    # The analyst still chooses among the image's kernels, and only those.
    assert set(server.request("GET", "api/kernelspecs").json()["kernelspecs"]) == {"python3", "python3-acro"}
    assert "extensions/y" not in server.request("GET", "lab").text

    # The control: the same bytes, the same routes, with the allowlist off and the old data dir.
    control, control_container = control_server
    assert plant(control_container) == sha256
    for path in ("kernelspecs/x/part.parquet", "lab/extensions/y/static/part.parquet"):
        response = control.request("GET", path)
        assert response.status_code == 200, (path, response.status_code)
        assert hashlib.sha256(response.content).hexdigest() == sha256, path
    assert b"exfiltrate" in control.request("GET", "lab/extensions/y/static/remoteEntry.js").content


def test_the_closed_routes_answer_403_whatever_the_method(spawned):
    server, _ = spawned
    for method, path in (("GET", "files/workspace/x.csv"), ("GET", "view/workspace/x.csv"),
                         ("POST", "nbconvert/html"), ("POST", "api/nbconvert"), ("GET", "lab/api/extensions"),
                         ("GET", "lab/api/plugins"), ("GET", "metrics"), ("POST", "api/shutdown"),
                         ("GET", "api/spec.yaml")):
        response = server.request(method, path)
        assert response.status_code == 403, (method, path, response.status_code)
        assert "Request release" in response.text


def test_terminals_are_off_in_a_project_that_does_not_allow_them(spawned):
    server, _ = spawned
    assert server.request("POST", "api/terminals").status_code in (403, 404)
    assert server.request("GET", "api/terminals").status_code in (403, 404)
    upgrade = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
               "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
    assert server.request("GET", "terminals/websocket/1", headers=upgrade).status_code in (403, 404)


def test_a_kernel_cannot_read_its_servers_memory_or_environment(spawned):
    server, _ = spawned
    found = json.loads(server.run_in_kernel(READ_THE_SERVER).strip().splitlines()[-1])
    assert "jupyterhub-singleuser" in found["server_cmdline"]
    assert found["server"] == {"environ": "PermissionError", "mem": "PermissionError"}
    # The control: a process of the same uid that did not set PR_SET_DUMPABLE can be read.
    assert found["control"] == {"environ": "read", "mem": "read"}


def test_a_project_that_allows_terminals_gets_one(haven_hub):
    client = HubClient(f"{haven_hub.url}/hub/api", haven_hub.operator_token)
    group = group_name("beta")
    properties = client.group(group)["properties"]
    client.set_properties(group, {**properties, "terminals": True})
    try:
        haven_hub.spawn("bob", "beta")
        server = ProjectServer(f"{haven_hub.url}/user/bob/beta/", haven_hub.user_token("bob"))
        created = server.request("POST", "api/terminals")
        assert created.status_code == 200, created.text
        said = server.terminal_says(created.json()["name"], "echo hav$((40+2))en", "hav42en")
        assert "hav42en" in said
    finally:
        client.set_properties(group, properties)
        haven_hub.stop("bob", "beta")
