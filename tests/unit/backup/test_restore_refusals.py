"""``haven restore`` refuses, with a clear message and nothing changed, a backup whose checksums
do not hold, a backup that does not fit the settings, and a running hub (unless ``--force``)."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from haven_cli import backup as backup_cli
from haven_cli import restore as restore_cli
from haven_hub.backup import manifest

from tests.postgres import postgresql_server  # noqa: F401 (fixture)

from .haven import files, settings_file


@pytest.fixture
def backed_up(built_haven, tmp_path):
    assert backup_cli.main(built_haven.cli("--without-volumes", str(tmp_path / "backup"))) == 0
    # The live Haven moves on after the backup, so a refused restore visibly changed nothing.
    (built_haven.data / "secrets" / "cookie_secret").write_text("e" * 64)
    return built_haven, tmp_path / "backup"


def restore(built_haven, source, *more: str) -> int:
    return restore_cli.main(built_haven.cli("--without-volumes", *more, str(source)))


def a_blob(backup) -> str:
    return next(key for key, entry in manifest.read(backup).entries.items()
                if "/blobs/" in key and entry.type == "file")


def damage_a_blob(backup):
    path = backup / a_blob(backup)
    path.write_bytes(path.read_bytes()[:-1] + b"!")
    return a_blob(backup)


def add_a_file(backup):
    (backup / "files" / "data" / "planted").write_text("x")
    return "files/data/planted: not in the manifest"


def remove_a_file(backup):
    blob = a_blob(backup)
    (backup / blob).unlink()
    return f"{blob}: missing"


def edit_the_manifest(backup):
    path = backup / "manifest.json"
    record = json.loads(path.read_text())
    record["created"] = "2020-01-01T00:00:00+00:00"
    path.write_text(json.dumps(record))
    return "does not match its SHA-256"


@pytest.mark.parametrize("spoil", [damage_a_blob, add_a_file, remove_a_file, edit_the_manifest])
def test_a_backup_that_does_not_match_its_manifest_is_refused_and_nothing_changes(backed_up, capsys, spoil):
    built_haven, backup = backed_up
    before = files(built_haven.data)
    said = spoil(backup)
    assert restore(built_haven, backup) == 1
    error = capsys.readouterr().err
    assert said in error and "Traceback" not in error
    assert files(built_haven.data) == before
    assert not list(built_haven.data.parent.glob(".data.haven-restore*"))


def test_a_running_hub_is_not_restored_over_unless_forced(backed_up, capsys):
    built_haven, backup = backed_up
    (built_haven.data / "jupyterhub.pid").write_text(f"{os.getpid()}\n")  # a live process
    before = files(built_haven.data)
    assert restore(built_haven, backup) == 1
    assert f"the hub is running (pid {os.getpid()}" in capsys.readouterr().err
    assert files(built_haven.data) == before
    assert restore(built_haven, backup, "--force") == 0
    assert (built_haven.data / "secrets" / "cookie_secret").read_text() == "f" * 64
    # What was there is kept aside, never deleted.
    replaced = list(built_haven.data.parent.glob("data.replaced-*"))
    assert len(replaced) == 1 and (replaced[0] / "secrets" / "cookie_secret").read_text() == "e" * 64


def test_a_stopped_hub_is_restored_over(backed_up):
    built_haven, backup = backed_up
    (built_haven.data / "jupyterhub.pid").write_text("999999999\n")  # stale: no such process
    assert restore(built_haven, backup) == 0
    assert (built_haven.data / "secrets" / "cookie_secret").read_text() == "f" * 64


def test_a_backup_that_does_not_fit_the_settings_is_refused(backed_up, capsys, tmp_path):
    built_haven, backup = backed_up
    elsewhere = tmp_path / "other"
    elsewhere.mkdir()
    shutil.move(str(built_haven.data), str(elsewhere / "data"))
    settings = settings_file(elsewhere, egress={"database_url": "postgresql+psycopg://haven@127.0.0.1:1/egress"})
    before = files(elsewhere / "data")
    assert restore_cli.main(["--settings", str(settings), "--without-volumes", str(backup)]) == 1
    error = capsys.readouterr().err
    assert "the backup's egress database is sqlite, the settings name postgresql" in error
    assert files(elsewhere / "data") == before


def test_a_folder_that_is_no_backup_is_a_clear_error(built_haven, tmp_path, capsys):
    assert restore(built_haven, tmp_path) == 1
    assert "is not a complete Haven backup" in capsys.readouterr().err


@pytest.mark.postgres
def test_a_restore_that_fails_before_replacing_anything_leaves_no_trace(tmp_path, capsys, postgresql_server):  # noqa: F811
    from haven_egress.web.startup import open_service
    from haven_hub.backup.restore import journal_path
    from haven_hub.settings import load_settings
    from tests.postgres import create_database, drop_database

    name = create_database(postgresql_server)
    settings = settings_file(tmp_path, egress={"database_url": postgresql_server.url(name)})
    service = open_service(load_settings(settings))  # the egress schema, migrated on PostgreSQL
    service.checks.stop()
    service.sessions.kw["bind"].dispose()
    cli = ["--settings", str(settings), "--without-volumes"]
    assert backup_cli.main([*cli, str(tmp_path / "backup")]) == 0
    drop_database(postgresql_server, name)  # the server lost it: pg_restore cannot connect
    data = tmp_path / "data"
    before = files(data)
    capsys.readouterr()
    assert restore_cli.main([*cli, str(tmp_path / "backup")]) == 1
    assert "pg_restore of the egress database failed" in capsys.readouterr().err
    assert files(data) == before
    assert not journal_path(backup_cli.whole_state(load_settings(settings))).exists()
    assert not list(tmp_path.glob(".data.haven-restore*"))
