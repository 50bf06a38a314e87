"""haven-lab against a real hub and egress service (the egress tier's client and hub)."""

from __future__ import annotations

import pytest

from tests.fixtures.lab_server import *  # noqa: F403  (a Jupyter server with haven-lab, jp_fetch)
from tests.integration.egress.client import PREFIX, Egress

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
    """Where a spawned server has its own token, the host server uses one ada made."""
    token = egress.token("ada")
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", token)
    return token
