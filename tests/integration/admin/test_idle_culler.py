"""jupyterhub-idle-culler, as the hub runs it from the settings, stops an idle server; both ends are audited."""

from __future__ import annotations

import time

import pytest

from haven_hub.audit.log import EventFilter, HubAuditLog

from .conftest import CULL_EVERY_SECONDS, IDLE_TIMEOUT_MINUTES

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("admin_log_on_failure")]


def actions(hub, **filters):
    log = HubAuditLog.for_data_dir(hub.settings.hub.data_dir)
    try:
        return [stored.event.action for stored in log.events(EventFilter(**filters))]
    finally:
        log.close()


def test_an_idle_server_is_culled_and_its_start_and_stop_are_audited(admin_hub, docker_client):
    admin_hub.spawn("ada", "alpha")
    container = admin_hub.container_name("ada", "alpha")
    assert docker_client.containers.get(container).status == "running"
    assert actions(admin_hub, user="ada", type="server") == ["server.start"]
    # The start records the project's grants as granted: `haven report access` reads them (docs/transparency.md).
    log = HubAuditLog.for_data_dir(admin_hub.settings.hub.data_dir)
    try:
        [start] = log.events(EventFilter(user="ada", type="server.start"))
    finally:
        log.close()
    assert start.event.details["datasets"] == ["admissions@latest", "patients@latest"]
    started = time.monotonic()
    limit = IDLE_TIMEOUT_MINUTES * 60 + CULL_EVERY_SECONDS * 3 + 60
    while "alpha" in admin_hub.api("GET", "/users/ada").json()["servers"]:
        assert time.monotonic() - started < limit, f"not culled within {limit:.0f}s"
        time.sleep(1)
    waited = time.monotonic() - started
    # Not before the timeout: the culler waits for idleness, it does not stop servers on sight.
    assert waited >= IDLE_TIMEOUT_MINUTES * 60 - 5, f"culled after only {waited:.0f}s"
    assert not [c for c in docker_client.containers.list(all=True) if c.name == container]
    assert actions(admin_hub, user="ada", type="server") == ["server.start", "server.stop"]
    culler_log = admin_hub.log_path.read_text(errors="replace")
    assert "Culling server ada/alpha" in culler_log or "Culling server" in culler_log


def test_a_refused_spawn_is_audited_with_its_reason(admin_hub):
    token = admin_hub.user_token("ada")
    response = admin_hub.api("POST", "/users/ada/servers/beta", token=token)
    assert response.status_code >= 400
    refused = [e for e in HubAuditLog.for_data_dir(admin_hub.settings.hub.data_dir).events(
        EventFilter(user="ada", type="server.refused"))]
    assert refused and "not a member of project 'beta'" in refused[-1].event.details["reason"]
