"""The egress service as the session's test hub runs it (the egress tier's client)."""

from __future__ import annotations

import pytest

from tests.integration.egress.client import PREFIX, Egress


@pytest.fixture(scope="session")
def egress(haven_hub) -> Egress:
    client = Egress(hub=haven_hub, base=haven_hub.url + PREFIX)
    client.wait_ready()
    return client
