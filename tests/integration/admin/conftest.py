"""A hub of its own for the admin pages and the idle culler: a culler timeout of seconds.

The session hub (tests.fixtures.hub) keeps the default timeout so no other test's server
is culled under it; this one is started only when these tests run. Both may be up at once,
so this one has names of its own (containers, volumes, networks, bridges, firewall chain):
with the session hub's, a server another tier left running took this hub's container name,
and each hub's spawn rewrote the other's firewall chain with its own ports.
"""

from __future__ import annotations

import re

import pytest
import requests

from tests.fixtures.docker_engine import TEST_PREFIX
from tests.fixtures.hub import BRIDGE_PREFIX, running_test_hub, test_settings, write_log_on_failure

ADMIN = "root-admin"
# Seconds, written in minutes as the setting takes them.
IDLE_TIMEOUT_MINUTES = 0.25
CULL_EVERY_SECONDS = 5
ADMIN_PREFIX = f"{TEST_PREFIX[:12]}-adm"
ADMIN_BRIDGE_PREFIX = BRIDGE_PREFIX.rstrip("-")[:4] + "a-"


@pytest.fixture(scope="session")
def admin_hub(tmp_path_factory, docker_client, notebook_image):
    data_dir = tmp_path_factory.mktemp("haven-admin-data")
    raw = test_settings(data_dir, prefix=ADMIN_PREFIX, bridge_prefix=ADMIN_BRIDGE_PREFIX)
    raw["idle_culler"] = {"timeout_minutes": IDLE_TIMEOUT_MINUTES, "every_seconds": CULL_EVERY_SECONDS}
    with running_test_hub(data_dir, raw) as hub:
        yield hub


@pytest.fixture
def admin_log_on_failure(request, admin_hub):
    yield from write_log_on_failure(request, admin_hub)


class AdminPages:
    """A logged-in browser session on /services/admin/ (through the hub's OAuth)."""

    def __init__(self, hub, username: str) -> None:
        self.hub = hub
        self.base = f"{hub.url}/services/admin/"
        self.session: requests.Session = hub.login(username)

    def get(self, path: str = "", **kwargs) -> requests.Response:
        return self.session.get(self.base + path, timeout=60, **kwargs)

    def xsrf(self) -> str:
        page = self.get("projects/new")
        assert page.status_code == 200, page.text
        return re.search(r'name="_xsrf" value="([^"]+)"', page.text).group(1)

    def post(self, path: str, data: dict, xsrf: bool = True) -> requests.Response:
        body = {**data, "_xsrf": self.xsrf()} if xsrf else data
        return self.session.post(self.base + path, data=body, timeout=120, allow_redirects=False)


@pytest.fixture(scope="session")
def admin_pages(admin_hub) -> AdminPages:
    return AdminPages(admin_hub, ADMIN)
