"""Haven's state on the host is private: real files and folders in a temp dir, real modes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from haven_hub import host_state
from haven_hub.bootstrap import ensure_secrets
from haven_hub.settings import SettingsError, parse_settings

CONTAINER_UID = 70_123


@pytest.fixture
def settings(tmp_path):
    data = tmp_path / "haven"
    settings = parse_settings({
        "hub": {"data_dir": str(data)},
        "auth": {"accounts": [{"name": "ada"}]},
        "spawner": {"container_uid": CONTAINER_UID},
    })
    ensure_secrets(settings)  # makes the accounts store and secrets, private
    egress = data / "egress"
    (egress / "blobs" / "ab").mkdir(parents=True)
    (egress / "blobs" / "ab" / "ab12").write_bytes(b"submitted")
    (egress / "blobs" / "ab" / "ab12").chmod(0o444)  # blobs are read-only, behind 0700 folders
    (egress / "egress.sqlite").write_bytes(b"")
    workspace = data / "projects" / "demo" / "workspace"
    workspace.mkdir(parents=True)
    (workspace / "analysis.py").write_text("print(1)\n")
    for path in (data, egress, egress / "blobs", egress / "blobs" / "ab", data / "projects", workspace.parent):
        path.chmod(0o700)
    (egress / "egress.sqlite").chmod(0o600)
    os.chown(workspace, CONTAINER_UID, CONTAINER_UID)
    workspace.chmod(0o700)
    return settings


def refusal(settings) -> str:
    with pytest.raises(host_state.HostStateError) as caught:
        host_state.require_private(settings, "the hub")
    return str(caught.value)


def test_private_modes_pass(settings):
    host_state.require_private(settings, "the hub")
    assert host_state.find_loose(settings) == []


def test_a_loose_accounts_database_is_refused_by_name_with_the_mode_and_the_fix(settings):
    accounts = settings.hub.data_dir / "accounts.sqlite"
    accounts.chmod(0o644)
    message = refusal(settings)
    assert "the hub refuses to start" in message
    assert f"{accounts} (the accounts store (password hashes, TOTP secrets)) is mode 0644" in message
    assert f"chmod go-rwx {accounts}" in message
    assert "1 path(s)" in message


def test_a_loose_wal_file_beside_a_database_is_refused(settings):
    wal = settings.hub.data_dir / "egress" / "egress.sqlite-wal"
    wal.write_bytes(b"")
    wal.chmod(0o640)
    assert f"{wal} (the egress database" in refusal(settings)


def test_a_loose_folder_is_refused(settings):
    secrets = settings.hub.data_dir / "secrets"
    secrets.chmod(0o755)
    message = refusal(settings)
    assert f"{secrets} (the secrets folder" in message and "is mode 0755" in message
    assert f"chmod 700 {secrets}" in message


def test_a_loose_file_deep_in_a_private_tree_is_refused(settings):
    credentials = settings.hub.data_dir / "secrets" / "accounts" / "ada.json"
    credentials.chmod(0o604)
    assert f"{credentials} (the secrets folder" in refusal(settings)


def test_the_data_directory_itself_must_be_private(settings):
    settings.hub.data_dir.chmod(0o755)
    assert f"{settings.hub.data_dir} (Haven's data directory) is mode 0755" in refusal(settings)


def test_a_blob_folder_open_to_others_is_refused_but_read_only_blobs_behind_private_folders_pass(settings):
    blobs = settings.hub.data_dir / "egress" / "blobs" / "ab"
    assert host_state.find_loose(settings) == []  # ab12 is 0444
    blobs.chmod(0o755)
    assert f"{blobs} (the submitted files) is mode 0755" in refusal(settings)


def test_a_file_owned_by_another_user_is_refused(settings):
    token = settings.data_path(settings.hub.operator_token_file)
    os.chown(token, 1000, -1)
    message = refusal(settings)
    assert f"{token} (the operator API token) is owned by uid 1000" in message
    assert f"chown {os.geteuid()} {token}" in message


def test_a_workspace_must_be_owned_by_the_container_uid_and_closed_to_others(settings):
    workspace = settings.hub.data_dir / "projects" / "demo" / "workspace"
    os.chown(workspace, 1000, 1000)
    workspace.chmod(0o770)
    message = refusal(settings)
    assert f"{workspace} (project demo's workspace) is mode 0770" in message
    assert "is owned by uid 1000" in message and f"chown -R {CONTAINER_UID}:{CONTAINER_UID} {workspace}" in message


def test_tighten_fixes_an_install_made_the_old_way(settings):
    data = settings.hub.data_dir
    workspace = data / "projects" / "demo" / "workspace"
    loosened = [data, data / "accounts.sqlite", data / "secrets", data / "egress" / "blobs", workspace]
    for path in loosened:
        path.chmod(0o755 if path.is_dir() else 0o644)
    os.chown(workspace, 1000, 1000)
    os.chown(workspace / "analysis.py", 1000, 1000)
    assert {item.path for item in host_state.find_loose(settings)} == set(loosened)

    changed = host_state.tighten(settings)

    assert set(changed) == set(loosened)
    host_state.require_private(settings, "the hub")
    assert stat.S_IMODE((data / "accounts.sqlite").stat().st_mode) == 0o600
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    # The analysts' files go to the containers' uid too, or the new uid could not change them.
    assert (workspace / "analysis.py").stat().st_uid == CONTAINER_UID
    assert host_state.tighten(settings) == []


def test_bootstrap_secrets_tightens_an_existing_install(settings):
    accounts = settings.hub.data_dir / "accounts.sqlite"
    accounts.chmod(0o644)
    assert ensure_secrets(settings) == [accounts]
    host_state.require_private(settings, "the hub")


def test_missing_paths_are_not_refused(tmp_path):
    settings = parse_settings({"hub": {"data_dir": str(tmp_path / "fresh")}})
    host_state.require_private(settings, "the hub")


def test_private_folders_are_made_0700_whatever_the_umask(tmp_path):
    previous = os.umask(0)
    try:
        made = host_state.make_private_dir(tmp_path / "a" / "b")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(made.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o700


def test_the_private_umask_makes_files_0600(tmp_path):
    previous = os.umask(0o022)
    try:
        host_state.use_private_umask()
        (tmp_path / "state").write_text("x")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "state").stat().st_mode) == 0o600


def test_a_uid_a_host_account_has_is_refused_by_name():
    refusal = host_state.container_uid_refusal(0)
    assert refusal is not None and "host account 'root'" in refusal


def test_a_uid_in_a_subordinate_range_is_refused(tmp_path, monkeypatch):
    subuid = tmp_path / "subuid"
    subuid.write_text("builder:65536:65536\n")
    monkeypatch.setattr(host_state, "SUBORDINATE_ID_FILES", (subuid,))
    refusal = host_state.container_uid_refusal(70_000)
    assert refusal is not None and "'builder'" in refusal and "65536-131071" in refusal
    assert host_state.container_uid_refusal(200_000) is None


def test_the_default_uid_is_free_on_this_host():
    default = parse_settings({}).spawner.container_uid
    assert default == 70_000
    assert host_state.container_uid_refusal(default) is None


@pytest.mark.parametrize("uid", [0, 1000, 65_535])
def test_uids_in_the_ordinary_and_reserved_ranges_are_refused_by_the_schema(uid):
    with pytest.raises(SettingsError, match="spawner.container_uid"):
        parse_settings({"spawner": {"container_uid": uid}})


def test_a_host_account_with_the_container_uid_stops_the_hub(tmp_path, monkeypatch):
    settings = parse_settings({"hub": {"data_dir": str(tmp_path)}, "spawner": {"container_uid": 70_000}})
    monkeypatch.setattr(host_state, "container_uid_refusal", lambda uid: "taken" if uid == 70_000 else None)
    with pytest.raises(host_state.HostStateError, match="the hub refuses to start: taken"):
        host_state.require_container_uid(settings)


def test_every_private_path_is_under_the_data_directories(settings):
    roots = (settings.hub.data_dir, settings.data_path(settings.egress.data_dir))
    for item in host_state.private_paths(settings):
        assert any(item.path == root or root in item.path.parents for root in roots), item
        assert isinstance(item.path, Path)
