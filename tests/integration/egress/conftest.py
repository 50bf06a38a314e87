"""The egress service as the hub runs it: started by the hub, reached through its proxy."""

from __future__ import annotations

import pytest

from .client import PREFIX, Egress

pytestmark = pytest.mark.docker


@pytest.fixture(scope="session")
def egress(haven_hub) -> Egress:
    client = Egress(hub=haven_hub, base=haven_hub.url + PREFIX)
    client.wait_ready()
    return client


@pytest.fixture(scope="session")
def egress_data_dir(haven_hub):
    settings = haven_hub.settings
    return settings.data_path(settings.egress.data_dir)
