"""The pure parts of incidents and close-out: refusals, the retention clock, and deleting a
workspace with links planted in it (a real filesystem, not a mock)."""

from __future__ import annotations

import hashlib
import shutil
from datetime import date, datetime, timezone

import pytest

from haven_hub.governance import closeout, incidents
from haven_hub.projects import Project
from haven_hub.provisioning import rules
from haven_hub.provisioning.rules import ProvisioningError


def project(**fields) -> Project:
    return Project(id="demo", title="Demo", **fields)


def test_a_frozen_project_refuses_spawns_with_its_reason_first():
    assert incidents.spawn_refusal(project()) is None
    refusal = incidents.spawn_refusal(project(frozen=True, frozen_reason="incident 42", status="suspended"))
    assert "'demo' is frozen by an administrator (incident 42)" in refusal


def test_freeze_and_thaw_need_a_reason():
    with pytest.raises(ProvisioningError, match="freezing needs a reason"):
        incidents._reason("  ", "freezing")


def test_an_edit_cannot_freeze_or_restart_the_clock():
    assert {"frozen", "archived_at", "closed_out"} <= rules.INCIDENT_FIELDS


def test_archiving_starts_the_retention_clock():
    archived = rules.transition(project(), "archive", date(2026, 1, 1), "done")
    assert archived.archived_at is not None and archived.status == "archived"
    started = datetime(2026, 1, 10, 15, tzinfo=timezone.utc)
    assert closeout.retention_end(project(status="archived", archived_at=started), 30) == date(2026, 2, 9)
    assert closeout.retention_end(project(status="archived", archived_at=started, retention_days=0), 30) \
        == date(2026, 1, 10)
    assert closeout.retention_end(project(status="suspended"), 30) is None


def test_the_manifest_hashes_files_and_records_links_without_following_them(tmp_path):
    workspace = tmp_path / "projects" / "demo" / "workspace"
    (workspace / "sub").mkdir(parents=True)
    (workspace / "sub" / "table.csv").write_bytes(b"a,b\n1,2\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"not the project's")
    (workspace / "to-file").symlink_to(outside / "secret.txt")
    (workspace / "sub" / "to-dir").symlink_to(outside)

    entries = {e["path"]: e for e in closeout.tree_manifest(workspace, "workspace:demo")}
    assert entries["workspace:demo/sub/table.csv"] == {
        "path": "workspace:demo/sub/table.csv", "size": 8, "sha256": hashlib.sha256(b"a,b\n1,2\n").hexdigest()}
    assert entries["workspace:demo/to-file"]["symlink"] == str(outside / "secret.txt")
    assert entries["workspace:demo/sub/to-dir"]["symlink"] == str(outside)
    assert not any("secret" in path for path in entries)

    assert closeout.checked_workspace(tmp_path, "demo") == workspace
    assert shutil.rmtree.avoids_symlink_attacks
    shutil.rmtree(workspace)
    assert (outside / "secret.txt").read_bytes() == b"not the project's"


def test_a_workspace_that_is_itself_a_link_is_refused(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "projects" / "demo").mkdir(parents=True)
    (tmp_path / "projects" / "demo" / "workspace").symlink_to(elsewhere)
    with pytest.raises(ProvisioningError, match="symbolic link"):
        closeout.checked_workspace(tmp_path, "demo")
    (tmp_path / "projects" / "demo" / "workspace").unlink()
    (tmp_path / "projects" / "demo").rmdir()
    (tmp_path / "projects" / "demo").symlink_to(elsewhere)
    with pytest.raises(ProvisioningError, match="symbolic link"):
        closeout.checked_workspace(tmp_path, "demo")


class _Hub:
    """Just enough of the hub for ``Provisioner.get`` (no server, nothing written)."""

    def __init__(self, record: dict) -> None:
        self.record = record

    def group(self, name: str) -> dict:
        return {"name": name, "properties": self.record, "users": []}


def test_a_frozen_project_is_never_closed_out(tmp_path):
    from haven_hub.provisioning.lifecycle import Provisioner
    from haven_hub.settings import Settings

    record = project(status="archived", archived_at=datetime(2020, 1, 1, tzinfo=timezone.utc), frozen=True,
                     frozen_reason="incident 7").properties()
    provisioner = Provisioner(_Hub(record), clock=lambda: date(2030, 1, 1))
    settings = Settings.model_validate({"hub": {"data_dir": str(tmp_path)}})
    with pytest.raises(ProvisioningError, match="frozen \\(incident 7\\); thaw it first"):
        closeout.CloseOut(provisioner, settings, docker_client=None, egress_purge=None).close_out("demo")
