"""haven-lab against a real hub and egress service (the egress tier's client and hub)."""

from __future__ import annotations

import pytest

from tests.fixtures.lab_server import *  # noqa: F403  (a Jupyter server with haven-lab, jp_fetch)
from tests.integration.egress.client import PREFIX, Egress


@pytest.fixture(scope="session")
def haven_hub(notebook_hub):
    """Notebooks leave as nbconvert HTML, over the session hub's 64K per file."""
    return notebook_hub


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
