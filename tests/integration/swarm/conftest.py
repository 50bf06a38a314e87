"""The swarm tier: a two-engine Docker Swarm made here (cluster.py). Slow (minutes: it pushes the
notebook image to a registry and two fresh engines pull it), so it runs only through
scripts/test-swarm, which sets HAVEN_SWARM_TEST=1."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.integration.swarm import cluster

HERE = Path(__file__).parent
ENABLED = os.environ.get("HAVEN_SWARM_TEST") == "1"
BASE_IMAGE = os.environ.get("HAVEN_TEST_BASE_IMAGE", "haven/base:bookworm")


def pytest_collection_modifyitems(config, items):
    skip = pytest.mark.skip(reason="the swarm tier runs only through scripts/test-swarm")
    for item in items:
        if Path(str(item.fspath)).is_relative_to(HERE):
            item.add_marker(pytest.mark.swarm)
            if not ENABLED:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def swarm_cluster(docker_client, notebook_image):
    cluster.stop(docker_client)
    try:
        made = cluster.start(docker_client, BASE_IMAGE)
        began = time.monotonic()
        made.image = cluster.push(docker_client, made, cluster.content_tag(notebook_image))
        made.timings["notebook image pushed"] = time.monotonic() - began
        yield made
    finally:
        cluster.stop(docker_client)
