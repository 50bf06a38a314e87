"""Incidents and close-out (#17 items 4, 5) on the real hub, egress service and Docker engine."""

from __future__ import annotations

import hashlib
import io
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from datetime import timedelta

import pytest
from sqlalchemy import select

from haven_egress.blobs import BlobStore
from haven_egress.cli import open_store
from haven_egress.models import audit_events
from haven_hub.audit.log import EventFilter, HubAuditLog
from haven_hub.projects import today_utc
from haven_cli import audit as audit_cli
from haven_hub.provisioning import cli as provisioning_cli

from ..egress.client import PREFIX, Egress, file_entry
from .conftest import Result

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure", "dump_logs_on_failure")]

SMALL = ("--cpu", "0.5", "--memory", "768M")


class InProcessHaven:
    """``haven project …`` through its real entry point, in this process: the same parsing,
    hub calls and audit as the command (tests/integration/provisioning/conftest.py runs it as
    a process), without an interpreter start per call, which costs seconds on a busy host."""

    def __init__(self, settings_path: Path, entry_point=provisioning_cli.main) -> None:
        self.settings_path = settings_path
        self.entry_point = entry_point

    def __call__(self, *args: str) -> Result:
        out, err = io.StringIO(), io.StringIO()
        with pytest.MonkeyPatch.context() as patch, redirect_stdout(out), redirect_stderr(err):
            patch.setenv("HAVEN_SETTINGS", str(self.settings_path))
            code = self.entry_point(list(args))
        return Result(code, out.getvalue(), err.getvalue())

    def ok(self, *args: str) -> Result:
        result = self(*args)
        assert result.code == 0, f"haven project {' '.join(args)} exited {result.code}:\n{result.err}{result.out}"
        return result


@pytest.fixture(scope="module")
def haven(haven_hub) -> InProcessHaven:
    return InProcessHaven(haven_hub.settings_path)


@pytest.fixture(scope="module")
def egress(haven_hub) -> Egress:
    client = Egress(hub=haven_hub, base=haven_hub.url + PREFIX)
    client.wait_ready()
    return client


def _server_env_token(docker_client, user: str, project: str) -> str:
    container = docker_client.containers.list(
        filters={"label": [f"org.haven.project={project}", f"org.haven.user={user}"]})[0]
    env = dict(item.partition("=")[::2] for item in container.attrs["Config"]["Env"])
    return env["JUPYTERHUB_API_TOKEN"]


def _fsck_problems(haven_hub) -> set[tuple[str, str]]:
    service = open_store(haven_hub.settings_path)
    try:
        report = service.fsck()
    finally:
        service.sessions.kw["bind"].dispose()
    return {(kind, str(item)) for kind in ("orphans", "missing", "corrupt", "stale_temp")
            for item in getattr(report, kind)}


def _refused_within(call, seconds: float = 15) -> bool:
    # The egress service trusts the hub's answer about a token for egress.auth_cache_seconds.
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if call().status_code in (401, 403):
            return True
        time.sleep(1)
    return False


def _hub_events(haven_hub, project: str) -> list[tuple[str, dict]]:
    log = HubAuditLog.from_settings(haven_hub.settings)
    try:
        return [(e.event.action, e.event.details) for e in log.events(EventFilter(project=project))]
    finally:
        log.close()


def _egress_events(haven_hub, project: str) -> list[tuple[str, dict]]:
    service = open_store(haven_hub.settings_path)
    try:
        with service.sessions() as session:
            rows = session.execute(select(audit_events.c.action, audit_events.c.details)
                                   .where(audit_events.c.project == project)).all()
        return [(action, details) for action, details in rows]
    finally:
        service.sessions.kw["bind"].dispose()


def test_a_frozen_project_can_do_nothing_until_thawed(haven, haven_hub, egress, docker_client):
    project = "gfour-frz"
    haven.ok("create", project, "--title", "Incident", "--member", "ada", *SMALL)
    released = egress.create_request_at("released", project=project)
    waiting = egress.create_request_at("under_review", project=project)
    approved = egress.create_request_at("approved", project=project)
    released_file = egress.detail("ada", released)["versions"][-1]["files"][0]["id"]
    waiting_file = egress.detail("carol", waiting)["versions"][-1]["files"][0]["id"]

    haven_hub.spawn("ada", project)
    old_token = _server_env_token(docker_client, "ada", project)
    assert haven_hub.api("GET", "/user", token=old_token).status_code == 200
    assert egress.call("GET", "api/requests", token=old_token).status_code == 200

    assert haven("freeze", project).code == 64  # the reason is required
    frozen = haven.ok("freeze", project, "--reason", "suspected re-identification", "--json").json()
    assert frozen["stopped"] == ["ada"] and frozen["project"]["frozen"] is True
    assert project not in haven_hub.api("GET", "/users/ada").json()["servers"]
    # The server's own token went with it: the hub at once, the egress service within its cache.
    assert haven_hub.api("GET", "/user", token=old_token).status_code in (401, 403)
    assert _refused_within(lambda: egress.call("GET", "api/requests", token=old_token))

    refused = haven_hub.api("POST", f"/users/ada/servers/{project}", token=haven_hub.user_token("ada"))
    assert refused.status_code == 403 and "frozen" in refused.json()["message"]
    vote = egress.review("carol", waiting_file)
    assert vote.status_code == 403 and "frozen" in vote.json()["message"], vote.text
    assert egress.act("carol", approved, "release").status_code == 403
    assert egress.act("carol", waiting, "reject", "no").status_code == 403
    download = egress.call("GET", f"api/files/{released_file}/download", "ada")
    assert download.status_code == 403 and "frozen" in download.json()["message"]
    assert egress.submit("ada", project).status_code == 403
    assert egress.detail("carol", approved)["state"] == "approved"  # held, not changed

    haven.ok("thaw", project, "--reason", "investigated: no breach")
    assert project not in haven_hub.api("GET", "/users/ada").json()["servers"]  # servers stay stopped
    assert egress.review("carol", waiting_file).status_code == 201
    assert egress.act("carol", approved, "release").status_code == 200
    assert egress.call("GET", f"api/files/{released_file}/download", "ada").status_code == 200

    hub_actions = [action for action, _ in _hub_events(haven_hub, project)]
    assert {"project.freeze", "project.thaw", "project.servers.stop"} <= set(hub_actions)
    stop = next(d for a, d in _hub_events(haven_hub, project) if a == "project.servers.stop")
    assert stop["because"] == "freeze" and any("API token" in r for r in stop["revoked"])
    refusals = [d for a, d in _egress_events(haven_hub, project) if a == "egress.refused"]
    assert any("frozen" in d["reason"] for d in refusals)


def test_close_out_deletes_what_it_should_and_keeps_what_it_should(haven, haven_hub, egress, docker_client,
                                                                      tmp_path):
    project = "gfour-close"
    settings = haven_hub.settings
    haven.ok("create", project, "--title", "Closing", "--member", "ada", *SMALL)
    kept_bytes, gone_bytes = b"released table gfour\n", b"unreleased draft gfour\n"
    egress.create_request_at("released", project=project, files=[file_entry("out/kept.csv", kept_bytes)])
    egress.create_request_at("submitted", project=project, files=[file_entry("out/draft.csv", gone_bytes)])

    # What a server leaves behind (made here: a spawn and stop would cost a minute on a busy host),
    # named as haven_hub.spawner names them.
    workspace = settings.hub.data_dir / "projects" / project / "workspace"
    # Private as the spawner makes them (mkdir's parents would take this process's umask, and
    # the session hub's services refuse to start beside a looser folder).
    workspace.parent.mkdir(mode=0o700)
    workspace.mkdir(mode=0o700)
    (workspace / "analysis.txt").write_bytes(b"notes\n")
    prefix = settings.spawner.container_prefix
    volumes = {f"{prefix}-home-{project}-ada", f"{prefix}-scratch-{project}-ada"}
    for name in volumes:
        made = docker_client.volumes.create(name)
        (Path(made.attrs["Mountpoint"]) / "kept-in-home.txt").write_bytes(name.encode())
    # Another project whose id extends this one's: its volume shares the prefix and must stay.
    neighbour = docker_client.volumes.create(f"{prefix}-home-{project}-2-ada")
    haven.ok("create", f"{project}-2", "--title", "Neighbour", "--member", "ada")
    # Links planted in the workspace point outside it: close-out must delete the links, not their targets.
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_bytes(b"not the project's\n")
    (workspace / "link-to-file").symlink_to(outside / "precious.txt")
    (workspace / "link-to-dir").symlink_to(outside)

    haven.ok("archive", project, "--reason", "study finished")
    early = haven("close-out", project)
    end = today_utc() + timedelta(days=settings.admin.retention_days)
    assert early.code == 1 and f"possible from {end}" in early.err and workspace.exists()

    dry = haven.ok("close-out", project, "--dry-run", "--today", str(end), "--json").json()["projects"][0]
    paths = {entry["path"]: entry for entry in dry["removed"]}
    assert paths[f"workspace:{project}/analysis.txt"]["sha256"] == hashlib.sha256(b"notes\n").hexdigest()
    assert paths[f"workspace:{project}/link-to-file"]["symlink"] == str(outside / "precious.txt")
    assert paths[f"volume:{prefix}-home-{project}-ada/kept-in-home.txt"]["size"] == len(f"{prefix}-home-{project}-ada")
    assert f"egress-blob:{hashlib.sha256(gone_bytes).hexdigest()}" in paths
    assert f"egress-blob:{hashlib.sha256(kept_bytes).hexdigest()}" not in paths
    assert workspace.exists() and (workspace / "analysis.txt").exists()

    # Without ids every due project is chosen: shown by a dry run (the session's hub holds other
    # tests' archived projects, whose files a real run would delete under them).
    due = haven.ok("close-out", "--dry-run", "--today", str(end), "--json").json()["projects"]
    assert project in [r["project"] for r in due] and f"{project}-2" not in [r["project"] for r in due]
    before = _fsck_problems(haven_hub)
    done = haven.ok("close-out", project, "--today", str(end), "--json").json()["projects"]
    assert [r["project"] for r in done] == [project]
    assert not workspace.exists()
    assert (outside / "precious.txt").read_bytes() == b"not the project's\n"
    remaining = {v.name for v in docker_client.volumes.list()}
    assert not volumes & remaining and neighbour.name in remaining
    neighbour.remove()
    from haven_egress.web.startup import data_dir

    blobs = BlobStore(data_dir(settings) / "blobs")
    assert blobs.exists(hashlib.sha256(kept_bytes).hexdigest())
    assert not blobs.exists(hashlib.sha256(gone_bytes).hexdigest())

    recorded = next(d for a, d in _hub_events(haven_hub, project) if a == "project.close_out")
    assert {e["path"] for e in recorded["manifest"]} == set(paths)
    assert any(a == "egress.close_out" for a, _ in _egress_events(haven_hub, project))
    assert haven("close-out", project, "--today", str(end)).code == 1  # once only
    # The operators' own checks, as `haven audit verify` and `haven egress fsck` run them (both
    # chains anchored: the egress events written by close-out's process verify as the service's).
    verified = InProcessHaven(haven_hub.settings_path, audit_cli.main)("verify")
    assert verified.code == 0, verified.out + verified.err
    # The session's store is shared with tests that plant corrupt blobs on purpose: close-out
    # adds no problem of its own (no row left pointing at a deleted blob, no orphan).
    assert _fsck_problems(haven_hub) <= before
