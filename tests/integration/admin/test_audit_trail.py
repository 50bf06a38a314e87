"""Logins reach the hub side's audit chain, and the live chains verify with the operator's command."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests

from haven_hub.audit.log import EventFilter, HubAuditLog
from tests.fixtures.login import credentials, submit_login

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("admin_log_on_failure")]


def events(hub, **filters):
    log = HubAuditLog.for_data_dir(hub.settings.hub.data_dir)
    try:
        return [stored.event for stored in log.events(EventFilter(**filters))]
    finally:
        log.close()


def test_a_failed_and_a_good_login_are_audited(admin_hub):
    before = len(events(admin_hub, user="dave", type="login"))
    password = credentials(admin_hub.settings, "dave")["password"]
    refused = submit_login(requests.Session(), admin_hub.url, "dave", password, "000000")
    assert refused.status_code != 302
    admin_hub.login("dave")
    logins = events(admin_hub, user="dave", type="login")[before:]
    assert [e.action for e in logins] == ["login.failure", "login.success"]
    assert logins[0].details["reason"].startswith("bad-code")


def test_the_live_chains_verify(admin_hub):
    admin_hub.login("ada")  # at least one event
    done = subprocess.run([sys.executable, "-m", "haven_cli", "audit", "verify",
                           "--settings", str(admin_hub.settings_path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "hub:" in done.stdout and "chain intact" in done.stdout and "egress:" in done.stdout


def test_an_account_change_through_the_haven_command_is_audited(admin_hub):
    done = subprocess.run([sys.executable, "-m", "haven_cli", "account", "disable", "alan",
                           "--settings", str(admin_hub.settings_path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    changes = [e for e in events(admin_hub, user="alan", type="account")]
    # The accounts API (haven_hub.auth) names the change; the operator's token made it.
    assert changes and changes[-1].action.startswith("account.") and changes[-1].actor == "haven-operator"
    assert "disabled" in changes[-1].details
