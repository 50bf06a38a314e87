"""The admin service's periodic sweep: an ended project is suspended by itself, its servers stopped, audited."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from haven_hub.admin.context import SWEEP_ACTOR, AdminContext
from haven_hub.audit.log import EventFilter, HubAuditLog
from haven_hub.projects import today_utc

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("admin_log_on_failure")]


def context(hub, clock) -> AdminContext:
    # The same object the running service sweeps with, given a clock of the test's choosing.
    return AdminContext(settings=hub.settings, hub_api_url=f"{hub.url}/hub/api", operator_token=hub.operator_token,
                        executor=ThreadPoolExecutor(1), clock=clock)


def test_the_sweep_suspends_an_ended_project_and_stops_its_servers(admin_hub, docker_client):
    tomorrow = today_utc() + timedelta(days=1)
    today_context = context(admin_hub, today_utc)
    today_context.provisioner("root-admin").create(
        "sweep-study", ["ada"], {"title": "Ends tomorrow", "end_date": tomorrow,
                                 "limits": {"cpu": 0.5, "memory": "512M", "pids": 128}})
    admin_hub.spawn("ada", "sweep-study")

    assert [o.project.id for o in today_context.sweep() if o.project.id == "sweep-study"] == []
    assert admin_hub.api("GET", "/groups/project-sweep-study").json()["properties"]["status"] == "active"

    later = context(admin_hub, lambda: tomorrow + timedelta(days=1))
    outcome = next(o for o in later.sweep() if o.project.id == "sweep-study")
    assert outcome.stopped == ("ada",) and outcome.project.status == "suspended"
    assert "sweep-study" not in admin_hub.api("GET", "/users/ada").json()["servers"]
    assert not [c for c in docker_client.containers.list(all=True)
                if c.name == admin_hub.container_name("ada", "sweep-study")]
    log = HubAuditLog.for_data_dir(admin_hub.settings.hub.data_dir)
    trail = [(s.event.actor, s.event.action) for s in log.events(EventFilter(project="sweep-study"))]
    # The hub's own stop hook writes the server's stop between the sweep's two events.
    assert trail[-3:] == [(SWEEP_ACTOR, "project.expire"), ("ada", "server.stop"),
                          (SWEEP_ACTOR, "project.servers.stop")]
    # Idempotent: the next sweep finds nothing more to do for it.
    assert [o for o in later.sweep() if o.project.id == "sweep-study"] == []
