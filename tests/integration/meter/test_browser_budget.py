"""Bytes that reach the browser are metered; past the project's budget the server stops for the day.

A real hub and real spawned containers, reached as a browser (or a script holding the
user's token, as the issue's attacker did) reaches them: through the hub's proxy.
alpha and beta have a budget of 2M a member a day (conftest).
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import time

import pytest
import requests
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from tests.fixtures.kernel_messages import execute

from .conftest import BUDGET, BUDGET_BYTES

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("meter_log_on_failure")]

PIECE = 300_000  # characters per workspace file, each read whole through the contents API


class Server:
    """A spawned project server, reached with its own token: the one an analyst can read in it
    (JUPYTERHUB_API_TOKEN) and use from a script, as the issue's attacker did."""

    def __init__(self, hub, docker_client, user: str, project: str) -> None:
        self.hub, self.user, self.project = hub, user, project
        response = hub.api("POST", f"/users/{user}/servers/{project}")
        assert response.status_code in (201, 202), response.text
        hub.wait_ready(user, project)
        container = docker_client.containers.get(hub.container_name(user, project))
        env = dict(line.split("=", 1) for line in container.attrs["Config"]["Env"])
        self.token = env["JUPYTERHUB_API_TOKEN"]
        self.base = f"{hub.url}/user/{user}/{project}/"
        self.headers = {"Authorization": f"token {self.token}"}

    def get(self, path: str, **kwargs) -> requests.Response:
        return requests.get(self.base + path, headers=self.headers, timeout=60, **kwargs)

    def put_text(self, path: str, text: str) -> None:
        response = requests.put(f"{self.base}api/contents/{path}", headers=self.headers, timeout=60,
                                json={"type": "file", "format": "text", "content": text})
        assert response.status_code in (200, 201), response.text

    def read(self, path: str) -> requests.Response:
        return self.get(f"api/contents/{path}", params={"content": "1", "format": "text"})

    def meter(self, method: str = "GET", user: str | None = None, **kwargs) -> requests.Response:
        return self.hub.api(method, f"/haven/meter/users/{user or self.user}/servers/{self.project}",
                            token=self.token, **kwargs)

    def settled_total(self, timeout: float = 20) -> int:
        """The hub's total once the server has reported everything (two equal answers a report apart)."""
        deadline = time.monotonic() + timeout
        last = -1
        while time.monotonic() < deadline:
            total = self.meter().json()["bytes"]
            if total == last:
                return total
            last = total
            time.sleep(3)
        raise AssertionError("the count never settled")

    def running(self) -> bool:
        return self.project in self.hub.api("GET", f"/users/{self.user}").json()["servers"]

    def wait_stopped(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running():
                return
            time.sleep(0.5)
        raise AssertionError(f"{self.user}/{self.project} was not stopped past its budget")

    def spawn_refusal(self) -> requests.Response:
        return self.hub.api("POST", f"/users/{self.user}/servers/{self.project}")


def audit(hub, kind: str) -> list[dict]:
    shown = subprocess.run([sys.executable, "-m", "haven_cli", "audit", "show", "--settings",
                            str(hub.settings_path), "--type", kind, "--json"],
                           capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)


def admin_page(hub, path: str = "") -> str:
    session = hub.login("root-admin")
    page = session.get(f"{hub.url}/services/admin/{path}", timeout=60)
    assert page.status_code == 200, page.text
    return page.text


def test_reading_the_workspace_past_the_budget_stops_the_server_for_the_day(meter_hub, docker_client):
    server = Server(meter_hub, docker_client, "ada", "alpha")
    for i in range(10):
        server.put_text(f"workspace/piece-{i}.txt", f"{i}" * PIECE)

    # Lab's own JavaScript (static, from the image's read-only paths) is not counted.
    lab = server.get("lab")
    assert lab.status_code == 200
    bundle = next(src for src in re.findall(r'src="([^"]+\.js)[^"]*"', lab.text) if "static" in src)
    before = server.settled_total()
    script = requests.get(meter_hub.url + bundle if bundle.startswith("/") else server.base + bundle,
                          headers=server.headers, timeout=60)
    assert script.status_code == 200 and len(script.content) > 100_000
    assert server.settled_total() - before < len(script.content) // 10

    # The control: below the budget, reads work and are counted, and nothing stops.
    before = server.settled_total()
    for i in range(2):
        assert server.read(f"workspace/piece-{i}.txt").status_code == 200
    counted = server.settled_total() - before
    assert 2 * PIECE <= counted < 2 * PIECE + 10_000
    assert server.running()

    # Only ever more, and only one's own.
    assert server.meter("POST", json={"bytes": -10**6}).status_code == 400
    # JupyterHub answers 404 where the token may not see the resource.
    assert server.meter("POST", user="grace", json={"bytes": 1}).status_code in (403, 404)
    assert meter_hub.api("GET", "/haven/meter/users/grace/servers/alpha").json()["bytes"] == 0
    assert server.meter().json()["bytes"] == before + counted

    # The attack: the rest of the workspace, piece by piece.
    received, statuses = 0, []
    for i in range(2, 10):
        response = server.read(f"workspace/piece-{i}.txt")
        statuses.append(response.status_code)
        if response.status_code != 200:
            break
        received += len(response.content)
    assert 429 in statuses, statuses
    refusal = server.read("workspace/piece-0.txt")
    assert refusal.status_code in (429, 503, 404)  # 429 from the server; 503/404 once the hub stopped it
    assert before + counted + received <= BUDGET_BYTES  # nothing past the ceiling reached the reader

    server.wait_stopped()
    refused = server.spawn_refusal()
    assert refused.status_code == 403, refused.text
    assert "past the project's daily budget of 2M" in refused.json()["message"]
    assert "until tomorrow (UTC)" in refused.json()["message"]

    exceeded = [e for e in audit(meter_hub, "browser") if e["target"] == "server/ada/alpha"]
    assert {"browser.metered", "browser.budget_exceeded"} <= {e["action"] for e in exceeded}
    crossing = next(e for e in exceeded if e["action"] == "browser.budget_exceeded")
    assert crossing["details"]["budget"] == BUDGET_BYTES and crossing["details"]["bytes_today"] > BUDGET_BYTES
    assert any(e["action"] == "server.refused" for e in audit(meter_hub, "server"))

    page = admin_page(meter_hub)
    banner = re.search(r'id="haven-browser-over-budget".*?</div>', page, re.S).group(0)
    assert 'data-project="alpha" data-user="ada"' in banner and f"of {BUDGET}" in banner
    assert "browser.budget_exceeded" in admin_page(meter_hub, "audit?type=browser")


def test_the_control_the_same_reads_under_the_default_budget_all_get_through(meter_hub, docker_client):
    server = Server(meter_hub, docker_client, "ada", "delta")
    try:
        for i in range(10):
            server.put_text(f"workspace/piece-{i}.txt", f"{i}" * PIECE)
        assert all(server.read(f"workspace/piece-{i}.txt").status_code == 200 for i in range(10))
        assert server.settled_total() > 10 * PIECE > BUDGET_BYTES
        assert server.running()
        assert not [e for e in audit(meter_hub, "browser.budget_exceeded") if e["project"] == "delta"]
    finally:
        meter_hub.stop("ada", "delta")


def test_streaming_kernel_output_past_the_budget_closes_the_socket_and_stops_the_server(meter_hub, docker_client):
    server = Server(meter_hub, docker_client, "grace", "beta")
    kernel = requests.post(f"{server.base}api/kernels", headers=server.headers, json={"name": "python3"}, timeout=60)
    assert kernel.status_code == 201, kernel.text
    url = server.base.replace("http", "ws", 1) + f"api/kernels/{kernel.json()['id']}/channels"
    streamed = asyncio.run(stream_past_the_budget(url, server.headers))
    assert streamed < BUDGET_BYTES

    server.wait_stopped()
    assert "past the project's daily budget" in server.spawn_refusal().json()["message"]
    assert any(e["target"] == "server/grace/beta" for e in audit(meter_hub, "browser.budget_exceeded"))


async def stream_past_the_budget(url: str, headers: dict[str, str]) -> int:
    """Like the issue's script: a kernel websocket with the user's token; returns what got through."""
    socket = await websocket_connect(HTTPRequest(url, headers=headers), max_message_size=64 * 1024**2)

    # The control: a small output arrives.
    message_id = await execute(socket, "print('ok ' * 1000)")
    text = ""
    while True:
        message = json.loads(await socket.read_message())
        if message.get("parent_header", {}).get("msg_id") != message_id:
            continue
        if message["msg_type"] == "stream":
            text += message["content"]["text"]
        if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
            break
    assert text == "ok " * 1000 + "\n"

    # The attack: random bytes as hex, 6 MB of them, as fast as the kernel prints.
    await execute(socket, "import os\nfor _ in range(60): print(os.urandom(50_000).hex(), flush=True)")
    streamed = 0
    while (raw := await socket.read_message()) is not None:
        message = json.loads(raw)
        if message.get("msg_type") == "stream":
            streamed += len(message["content"]["text"])
    assert socket.close_code == 1008, (socket.close_code, socket.close_reason)
    return streamed
