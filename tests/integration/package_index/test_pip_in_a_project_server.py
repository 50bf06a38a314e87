"""The approved package index from inside a real project server (real hub, egress service, Docker).

An administrator adds one small release from the real PyPI (``haven packages add``, on the
host); in the project's container plain ``pip install`` installs it into the per-(user, project)
home volume, with no configuration but what the spawner set, and a new kernel imports it. A
name that exists on PyPI but was never approved is refused: pip fails, and the egress service
logged that it answered 404 locally. That the index has no outbound path at all is proven in
tests/unit/package_index/test_index_http.py (every connection of the process observed); here
the container's only reachable addresses are the hub and the egress port, by the firewall.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from tests.fixtures.docker_engine import DOCKER_CLI
from tests.fixtures.kernel_messages import execute

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure", "dump_logs_on_failure")]

HAVEN = str(Path(sys.executable).with_name("haven"))
APPROVED = "tabulate==0.9.0"  # 35 kB, pure Python, not in the image
UNAPPROVED = "pyjokes"  # on PyPI, never approved
# pip will not uninstall from PIP_PREFIX ("outside environment"): its files are removed directly.
UNINSTALL = ('rm -rf "$PIP_PREFIX"/lib/python3*/site-packages/{name} "$PIP_PREFIX"/lib/python3*/site-packages/{name}-* '
             '"$PIP_PREFIX"/bin/{name} && ! ls -d "$PIP_PREFIX"/lib/python3*/site-packages/{name}* 2>/dev/null')


def in_container(container: str, script: str) -> subprocess.CompletedProcess:
    # docker exec runs with the container's environment: what the spawner set, nothing more.
    return subprocess.run([DOCKER_CLI, "exec", container, "bash", "-c", script], capture_output=True, text=True,
                          timeout=180)


@pytest.fixture(scope="module")
def server(haven_hub, docker_client):
    added = subprocess.run([HAVEN, "--settings", str(haven_hub.settings_path), "packages", "add", APPROVED,
                            "--project", "alpha", "--reason", "tables in the cohort report"],
                           capture_output=True, text=True, timeout=180)
    assert added.returncode == 0, added.stdout + added.stderr
    haven_hub.spawn("ada", "alpha")
    container = docker_client.containers.get(haven_hub.container_name("ada", "alpha"))
    env = dict(line.split("=", 1) for line in container.attrs["Config"]["Env"])
    yield {"container": container.name, "env": env, "base": f"{haven_hub.url}/user/ada/alpha/",
           "headers": {"Authorization": f"token {env['JUPYTERHUB_API_TOKEN']}"}}
    # The install outlives the server in ada's alpha home volume, where later tests look at
    # what she installed (provenance).
    removed = in_container(container.name, UNINSTALL.format(name="tabulate"))
    assert removed.returncode == 0, removed.stdout + removed.stderr
    haven_hub.stop("ada", "alpha")
    subprocess.run([HAVEN, "--settings", str(haven_hub.settings_path), "packages", "remove", APPROVED,
                    "--reason", "test finished"], capture_output=True, timeout=120)


async def run_in_kernel(base: str, headers: dict[str, str], code: str) -> str:
    kernel = requests.post(f"{base}api/kernels", headers=headers, json={"name": "python3"}, timeout=60)
    assert kernel.status_code == 201, kernel.text
    url = base.replace("http", "ws", 1) + f"api/kernels/{kernel.json()['id']}/channels"
    socket = await websocket_connect(HTTPRequest(url, headers=headers))
    output = []
    try:
        message_id = await execute(socket, code)
        while True:
            message = json.loads(await asyncio.wait_for(socket.read_message(), timeout=120))
            if message.get("parent_header", {}).get("msg_id") != message_id:
                continue
            if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
                break
            if message["msg_type"] == "stream":
                output.append(message["content"]["text"])
            elif message["msg_type"] == "error":
                output.append("\n".join(message["content"]["traceback"]))
    finally:
        socket.close()
        requests.delete(f"{base}api/kernels/{kernel.json()['id']}", headers=headers, timeout=60)
    return "".join(output)


def test_an_approved_package_installs_with_plain_pip_and_a_new_kernel_imports_it(server):
    installed = in_container(server["container"], "pip install tabulate")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert "Successfully installed tabulate-0.9.0" in installed.stdout
    where = in_container(server["container"],
                         "ls /home/analyst/.local/lib/python3*/site-packages/tabulate/__init__.py")
    assert where.returncode == 0, where.stderr  # on the home volume: the root stays read-only

    # A Python started with the server's own environment (as jupyterhub-singleuser is) does not
    # import from there: only the default kernel's spec puts it on the path.
    server_path = in_container(server["container"], "python -c 'import sys; print(sys.path)'")
    assert "/home/analyst" not in server_path.stdout, server_path.stdout
    output = asyncio.run(run_in_kernel(server["base"], server["headers"],
                                       "import tabulate; print('AT', tabulate.__file__, tabulate.__version__)"))
    assert "AT /home/analyst/.local/lib/" in output and "0.9.0" in output, output
    # The token in pip's index URL is in the container's environment only, never in a file that
    # persists: the home volume, the workspace, the scratch volume (/tmp is the server's tmpfs).
    token = server["env"]["JUPYTERHUB_API_TOKEN"]
    leaked = in_container(server["container"], f"grep -rl -- '{token}' /home/analyst \"$HAVEN_WORKSPACE_DIR\" "
                                               "\"$HAVEN_SCRATCH_DIR\" 2>/dev/null")
    assert leaked.stdout == "", leaked.stdout


def log_sizes(haven_hub) -> dict[Path, int]:
    # The egress service's log: its own file beside the hub's, or the hub's when it has none.
    return {path: path.stat().st_size for path in haven_hub.log_path.parent.glob("*.log")}


def logged_since(sizes: dict[Path, int]) -> str:
    text = []
    for path, start in sizes.items():
        with open(path, "rb") as log:
            log.seek(start)
            text.append(log.read().decode(errors="replace"))
    return "\n".join(text)


def test_a_package_that_is_not_approved_is_refused_and_the_refusal_stays_on_the_host(server, haven_hub):
    before = log_sizes(haven_hub)
    refused = in_container(server["container"], f"pip install {UNAPPROVED}")
    assert refused.returncode != 0
    assert f"No matching distribution found for {UNAPPROVED}" in refused.stderr, refused.stderr
    logged = logged_since(before)
    assert f"/packages/simple/{UNAPPROVED}/" in logged and "answered 404 here, nothing fetched" in logged, logged
