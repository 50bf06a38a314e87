"""A browser opening one of Haven's services while it restarts gets Haven's page, not JupyterHub's.

Against the session's real hub: the service's supervisor is paused (SIGSTOP) and the service
killed, so its port refuses connections exactly as during a restart after a crash, for as
long as the test needs; then the supervisor resumes and brings the service back
(haven_hub.supervise). The proxy asks the hub for its error page (haven_hub.proxy_errors).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure")]

SERVICE_MODULES = {"egress": "haven_egress.web", "admin": "haven_hub.admin"}
BACK_WITHIN = 30.0  # seconds for the service to answer again once its supervisor resumes


def _processes(settings_path: Path, module: str) -> tuple[int, int]:
    """(supervisor, service) of this hub's ``module``, found by command line and by the settings
    file the hub gave them: never another Haven's processes."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdecimal():
            continue
        try:
            command = (entry / "cmdline").read_bytes().decode().split("\0")[:-1]
            if command[1:] not in (["-m", module], ["-m", "haven_hub.supervise", module]):
                continue
            environ = (entry / "environ").read_bytes().decode(errors="replace").split("\0")
            if f"HAVEN_SETTINGS={settings_path.resolve()}" not in environ:
                continue
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        found[command[2]] = int(entry.name)
    assert set(found) == {"haven_hub.supervise", module}, found
    return found["haven_hub.supervise"], found[module]


def _listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


@contextlib.contextmanager
def service_down(hub, name: str) -> Iterator[None]:
    """The service killed and kept down until the block ends, then answering again."""
    supervisor, service = _processes(hub.settings_path, SERVICE_MODULES[name])
    os.kill(supervisor, signal.SIGSTOP)
    try:
        os.kill(service, signal.SIGKILL)
        port = getattr(hub.settings, name).port
        deadline = time.monotonic() + 10
        while _listening(port) and time.monotonic() < deadline:
            time.sleep(0.05)
        yield
    finally:
        os.kill(supervisor, signal.SIGCONT)
        deadline = time.monotonic() + BACK_WITHIN
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{hub.url}/services/{name}/health", timeout=5).status_code == 200:
                    break
            time.sleep(0.2)
        else:
            pytest.fail(f"the {name} service did not come back within {BACK_WITHIN}s")


def assert_havens_page(response: requests.Response, words: str) -> None:
    assert response.status_code == 503, response.text[:500]
    assert response.headers.get("Retry-After") == "60"
    page = response.text
    assert words in page
    assert "appears to be down" not in page  # JupyterHub's words, about a project server
    assert "Traceback" not in page
    assert page.count('id="haven-nav"') == 1  # Haven's one navigation bar, no other


def test_review_service_restarting_gets_havens_page(haven_hub):
    checker = haven_hub.login("carol")
    assert checker.get(f"{haven_hub.url}/services/egress/", timeout=30).status_code == 200
    with service_down(haven_hub, "egress"):
        for path in ("/services/egress/", "/services/egress/mine?page=2", "/services/egress"):
            response = checker.get(haven_hub.url + path, timeout=30, allow_redirects=False)
            assert_havens_page(response, "The review service is restarting")
            assert "Your requests are safe" in response.text
            assert f'href="{path}"' in response.text  # "Try again" opens what was asked for
        # Someone not logged in gets the same page (the proxy asks without their cookies).
        assert_havens_page(requests.get(f"{haven_hub.url}/services/egress/", timeout=30),
                           "The review service is restarting")
    assert checker.get(f"{haven_hub.url}/services/egress/", timeout=30).status_code == 200


def test_admin_pages_restarting_get_havens_page(haven_hub):
    with service_down(haven_hub, "admin"):
        response = requests.get(f"{haven_hub.url}/services/admin/projects", timeout=30, allow_redirects=False)
        assert_havens_page(response, "The admin pages are restarting")
        assert "requests are safe" not in response.text
