"""Suspension and the end date stop running containers and refuse new ones, on the real hub."""

from __future__ import annotations

from datetime import timedelta

import pytest

from haven_hub.projects import today_utc

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure", "dump_logs_on_failure")]

SMALL = ("--cpu", "0.5", "--memory", "768M")


def container_exists(docker_client, haven_hub, user, project_id) -> bool:
    # By label: container names escape the dash in "prov-…" (hvprov-ada--prov-2dsusp).
    labels = [f"org.haven.project={project_id}", f"org.haven.user={user}"]
    return bool(docker_client.containers.list(all=True, filters={"label": labels}))


def spawn_refusal(haven_hub, user, project_id):
    response = haven_hub.api("POST", f"/users/{user}/servers/{project_id}", token=haven_hub.user_token(user))
    return response.status_code, response.json().get("message", "")


def test_suspend_stops_the_server_and_refuses_spawns_until_resumed(haven, haven_hub, docker_client):
    haven.ok("create", "prov-susp", "--title", "Suspension", "--member", "ada", *SMALL)
    haven_hub.spawn("ada", "prov-susp")
    assert container_exists(docker_client, haven_hub, "ada", "prov-susp")

    suspended = haven.ok("suspend", "prov-susp", "--reason", "data access agreement under review", "--json").json()
    assert suspended["stopped"] == ["ada"]
    assert not container_exists(docker_client, haven_hub, "ada", "prov-susp")
    assert "prov-susp" not in haven_hub.api("GET", "/users/ada").json()["servers"]

    status, message = spawn_refusal(haven_hub, "ada", "prov-susp")
    assert status == 403
    assert "'prov-susp' is suspended (data access agreement under review)" in message
    assert "Ask an administrator to resume it" in message
    assert not container_exists(docker_client, haven_hub, "ada", "prov-susp")

    haven.ok("resume", "prov-susp")
    haven_hub.spawn("ada", "prov-susp")
    assert container_exists(docker_client, haven_hub, "ada", "prov-susp")
    removed = haven.ok("remove-member", "prov-susp", "ada", "--json").json()
    # A former member keeps no server in the project.
    assert removed["stopped"] == ["ada"] and not container_exists(docker_client, haven_hub, "ada", "prov-susp")


def test_the_end_date_refuses_spawns_and_the_sweep_suspends(haven, haven_hub, docker_client):
    # Already over by the real clock: refused at spawn time, before any sweep ran.
    haven.ok("create", "prov-ended", "--title", "Over", "--member", "ada",
             "--start-date", "2020-01-01", "--end-date", "2020-12-31")
    assert haven.ok("show", "prov-ended", "--json").json()["effective_status"] == "ended"
    status, message = spawn_refusal(haven_hub, "ada", "prov-ended")
    assert status == 403 and "'prov-ended' ended on 2020-12-31" in message and "extend its end date" in message

    # Ends tomorrow: runs today; a sweep with the clock moved past the end stops it.
    tomorrow = today_utc() + timedelta(days=1)
    haven.ok("create", "prov-expiry", "--title", "Ends tomorrow", "--member", "ada", "--end-date", str(tomorrow), *SMALL)
    haven_hub.spawn("ada", "prov-expiry")

    haven.ok("sweep")
    assert haven.ok("show", "prov-expiry", "--json").json()["status"] == "active"
    assert container_exists(docker_client, haven_hub, "ada", "prov-expiry")
    assert haven.ok("show", "prov-ended", "--json").json()["status"] == "suspended"

    swept = haven.ok("sweep", "--today", str(tomorrow + timedelta(days=1)), "--json").json()
    expiry = next(outcome for outcome in swept if outcome["project"]["id"] == "prov-expiry")
    assert expiry["stopped"] == ["ada"] and expiry["project"]["status"] == "suspended"
    assert f"end date {tomorrow} passed" in expiry["project"]["status_reason"]
    assert not container_exists(docker_client, haven_hub, "ada", "prov-expiry")
    status, message = spawn_refusal(haven_hub, "ada", "prov-expiry")
    assert status == 403 and f"suspended (its end date {tomorrow} passed)" in message


def test_archive_stops_servers_and_refuses_spawns(haven, haven_hub, docker_client):
    haven.ok("create", "prov-archive", "--title", "Archived", "--member", "ada", *SMALL)
    haven_hub.spawn("ada", "prov-archive")
    assert haven.ok("archive", "prov-archive", "--json").json()["stopped"] == ["ada"]
    assert not container_exists(docker_client, haven_hub, "ada", "prov-archive")
    status, message = spawn_refusal(haven_hub, "ada", "prov-archive")
    assert status == 403 and "'prov-archive' is archived" in message


def test_revoking_a_dataset_stops_the_servers_that_mount_it(haven, haven_hub, docker_client):
    haven.ok("create", "prov-revoke", "--title", "Revocation", "--member", "ada",
             "--dataset", "admissions", "--dataset", "patients", *SMALL)
    # A change that takes nothing away leaves running servers alone ...
    haven_hub.spawn("ada", "prov-revoke")
    haven.ok("update", "prov-revoke", "--title", "Revocation II")
    assert container_exists(docker_client, haven_hub, "ada", "prov-revoke")
    # ... taking a dataset away stops them, since a running container keeps its mounts.
    revoked = haven.ok("revoke", "prov-revoke", "admissions", "--json").json()
    assert revoked["stopped"] == ["ada"] and not container_exists(docker_client, haven_hub, "ada", "prov-revoke")
    assert [g["name"] for g in revoked["project"]["datasets"]] == ["patients"]

    haven_hub.spawn("ada", "prov-revoke")
    try:
        container = docker_client.containers.list(
            filters={"label": ["org.haven.project=prov-revoke", "org.haven.user=ada"]})[0]
        mounts = {m["Destination"] for m in container.attrs["Mounts"]}
        assert "/data/patients" in mounts and "/data/admissions" not in mounts
    finally:
        haven_hub.stop("ada", "prov-revoke")
