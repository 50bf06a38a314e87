"""``haven selfcheck`` against a real running hub: every check passes, nothing is left behind.

The command is run as an operator runs it (``haven --settings FILE selfcheck --json``) on the
test hub, with the stand-in outside world named as the outside. Each outside address is
first shown reachable from the host (the control), so "unreachable from the server" means
something. test_each_setting_matters shows the same checks fail with each setting left out.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import requests

from haven_hub.selfcheck import checks
from haven_hub.selfcheck.container import USER_LABEL
from haven_hub.selfcheck.live import IDENTITY

from .conftest import host_can_connect

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure", "dump_logs_on_failure")]


def test_selfcheck_passes_on_a_running_haven_and_removes_what_it_made(haven_hub, docker_client, outside_world):
    outside = [f"{outside_world.public}:80", f"{outside_world.metadata}:80"]
    for address in outside:
        host, port = address.split(":")
        assert host_can_connect(host, int(port)), address

    done = subprocess.run(
        [sys.executable, "-m", "haven_cli", "--settings", str(haven_hub.settings_path), "selfcheck", "--json",
         *[arg for address in outside for arg in ("--outside", address)]],
        capture_output=True, text=True, timeout=400,
    )
    assert done.stdout, done.stderr
    report = json.loads(done.stdout)
    failed = [f"{r['name']}: {r['detail']}" for r in report["results"] if r["status"] != checks.PASS]
    assert failed == [] and done.returncode == 0, (failed, done.stderr[-2000:])
    assert {r["name"] for r in report["results"]} == {name for name, *_ in checks.CHECKS}

    # Gone again: its servers, projects, networks, volumes and workspaces; the account is disabled.
    project = report["server"]["project"]
    assert docker_client.containers.list(all=True, filters={"label": f"{USER_LABEL}={IDENTITY}"}) == []
    assert not [n.name for n in docker_client.networks.list() if "selfcheck-" in n.name]
    assert not [volume.name for volume in docker_client.volumes.list() if "selfcheck" in volume.name]
    assert not (haven_hub.settings.hub.data_dir / "projects" / project).exists()
    groups = [group["name"] for group in haven_hub.api("GET", "/groups").json()]
    assert not [name for name in groups if "selfcheck-" in name]
    assert haven_hub.api("GET", f"/users/{IDENTITY}").json()["servers"] == {}
    account = requests.get(f"{haven_hub.url}/hub/haven-accounts/api/accounts/{IDENTITY}", timeout=30,
                           headers={"Authorization": f"token {haven_hub.operator_token}"})
    assert account.status_code == 200 and account.json()["disabled"] is True, account.text
