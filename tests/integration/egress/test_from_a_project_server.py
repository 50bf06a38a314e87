"""A project server reaches the egress service through its network's gateway, and nothing else of it."""

from __future__ import annotations

import json

import pytest

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure", "dump_logs_on_failure")]

FETCH = """
import json, sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(sys.argv[1], timeout=10)
    print(json.dumps({"status": 200}))
except urllib.error.HTTPError as e:
    print(json.dumps({"status": e.code, "body": json.loads(e.read())}))
except Exception as e:
    print(json.dumps({"error": repr(e)}))
"""


def test_the_egress_api_answers_at_the_project_gateway(haven_hub, docker_client, egress):
    haven_hub.spawn("ada", "alpha")
    try:
        container = docker_client.containers.get(haven_hub.container_name("ada", "alpha"))
        url = f"http://{haven_hub.gateway('alpha')}:{haven_hub.settings.egress.port}/services/egress/api/whoami"
        result = container.exec_run(["python3", "-c", FETCH, url])
        answer = json.loads(result.output)
        # Reached, and still refusing a caller without a token: the firewall let it through.
        assert answer.get("status") == 401, answer
        assert "log in to the hub" in answer["body"]["message"]
    finally:
        haven_hub.stop("ada", "alpha")
