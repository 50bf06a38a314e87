"""Fixtures for crossing boundaries from inside real containers."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
import uuid

import pytest

from tests.fixtures.docker_engine import TEST_PREFIX

BASE_IMAGE = "haven/base:bookworm"  # python3 and nothing else; runs as root unless told otherwise
SLEEP = ["python3", "-c", "import time; time.sleep(3600)"]
WEB = ["python3", "-m", "http.server", "8888"]


class _Banner(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.sendall(b"host-service\n")


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


@pytest.fixture(scope="session")
def host_service():
    """A service on the host listening on every address, as a careless admin's would."""
    server = _Server(("0.0.0.0", 0), _Banner)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


DOCKER_API_PORTS = (2375, 2376)  # the Docker engine's TCP API, plain and TLS


@pytest.fixture(scope="session")
def docker_api_tcp():
    """A stand-in for an engine whose admin exposed the API on TCP 2375/2376 on every
    address. Where the port is taken already (a real engine listening, or another
    session's stand-in), whatever listens there is the target: either way the host can
    connect, which the tests check as their positive control."""
    servers = []
    for port in DOCKER_API_PORTS:
        try:
            server = _Server(("0.0.0.0", port), _Banner)
        except OSError:
            continue
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    yield DOCKER_API_PORTS
    for server in servers:
        server.shutdown()
        server.server_close()


def host_can_connect(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=3):
            return True
    except OSError:
        return False


def wait_until_listening(host: str, port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if host_can_connect(host, port):
            return
        time.sleep(0.2)
    raise AssertionError(f"nothing listening on {host}:{port} after {timeout}s")


def container_ip(container, network_name: str | None = None) -> str:
    container.reload()
    networks = container.attrs["NetworkSettings"]["Networks"]
    if network_name is None:
        (settings,) = networks.values()
    else:
        settings = networks[network_name]
    return settings["IPAddress"]


@pytest.fixture(scope="session")
def base_image(docker_client):
    return docker_client.images.get(BASE_IMAGE)


@pytest.fixture(scope="session")
def unrestricted(docker_client, notebook_image):
    """The same image on Docker's default bridge with none of Haven's settings: the
    positive control that shows each probe can succeed."""
    container = docker_client.containers.run(
        notebook_image.id, SLEEP, name=f"{TEST_PREFIX}-unrestricted", user="0:0", detach=True
    )
    yield container
    container.remove(force=True)


def unique(prefix: str) -> str:
    return f"{TEST_PREFIX}-{prefix}-{uuid.uuid4().hex[:6]}"
