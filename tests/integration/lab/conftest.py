"""haven-lab against a real hub and egress service (the egress tier's client and hub)."""

from __future__ import annotations

import pytest

from tests.fixtures.docker_engine import TEST_PREFIX
from tests.fixtures.hub import BRIDGE_PREFIX, running_test_hub, test_settings
from tests.fixtures.lab_server import *  # noqa: F403  (a Jupyter server with haven-lab, jp_fetch)
from tests.integration.egress.client import PREFIX, Egress

# A hub of its own, named apart from the session's other test hub (both may be up at once):
# notebooks leave as nbconvert HTML of a few hundred KB, over the 64K the egress tier's hub
# allows so that its tests can cross the limit cheaply.
LAB_PREFIX = f"{TEST_PREFIX}-lab"
LAB_BRIDGE_PREFIX = BRIDGE_PREFIX.rstrip("-")[:4] + "l-"


@pytest.fixture(scope="session")
def haven_hub(tmp_path_factory, docker_client, notebook_image):
    data_dir = tmp_path_factory.mktemp("haven-lab-data")
    raw = test_settings(data_dir, prefix=LAB_PREFIX, bridge_prefix=LAB_BRIDGE_PREFIX)
    raw["egress"]["max_file_size"] = "2M"
    with running_test_hub(data_dir, raw) as hub:
        yield hub

pytestmark = pytest.mark.docker


@pytest.fixture(scope="session")
def egress(haven_hub) -> Egress:
    client = Egress(hub=haven_hub, base=haven_hub.url + PREFIX)
    client.wait_ready()
    return client


@pytest.fixture
def egress_url(egress) -> str:
    """The extension talks to the real service, through the hub's proxy."""
    return egress.base


@pytest.fixture
def analyst_token(egress, monkeypatch) -> str:
    """Where a spawned server has its own token, the host server uses a faithful stand-in:
    a token the operator issues ada with her alpha server's scopes (Hub.server_token), so
    the egress service files what it sends under alpha, as it would from her server."""
    token = egress.hub.server_token("ada", "alpha")
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", token)
    return token


@pytest.fixture(scope="session")
def egress_data_dir(haven_hub):
    settings = haven_hub.settings
    return settings.data_path(settings.egress.data_dir)
