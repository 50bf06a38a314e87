"""A hub of its own for the browser meter: projects with a tiny daily budget (2M).

Its own names (containers, bridges, firewall chain), so it runs beside the session's
other test hubs; a server stopped past its budget stays refused for the day only here.
"""

from __future__ import annotations

import pytest

from tests.fixtures.docker_engine import TEST_PREFIX
from tests.fixtures.hub import BRIDGE_PREFIX, running_test_hub, test_settings, write_log_on_failure

BUDGET = "2M"
BUDGET_BYTES = 2 * 1024**2
METER_PREFIX = f"{TEST_PREFIX}-meter"
METER_BRIDGE_PREFIX = BRIDGE_PREFIX.rstrip("-")[:4] + "m-"


@pytest.fixture(scope="session")
def meter_hub(tmp_path_factory, docker_client, notebook_image):
    data_dir = tmp_path_factory.mktemp("haven-meter-data")
    raw = test_settings(data_dir, prefix=METER_PREFIX, bridge_prefix=METER_BRIDGE_PREFIX)
    for project in raw["projects"]:
        if project["id"] in ("alpha", "beta"):
            project.setdefault("limits", {})["browser_bytes_per_day"] = BUDGET
    # The control: the default budget (100M), where the same reads all get through.
    raw["projects"].append({"id": "delta", "title": "Delta, default budget", "members": ["ada"],
                            "limits": {"cpu": 0.5, "memory": "768M", "pids": 256}})
    with running_test_hub(data_dir, raw) as hub:
        yield hub


@pytest.fixture
def meter_log_on_failure(request, meter_hub):
    yield from write_log_on_failure(request, meter_hub)
