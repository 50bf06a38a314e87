"""``haven backup``: everything that exists in a Haven's data folder is in the backup, or is
one of the few things the allowlist says are not state; the backup is private; a second
backup never mixes with the first."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from haven_cli import backup as backup_cli
from haven_hub.backup import manifest
from haven_hub.backup.state import is_state

DATABASES = {"jupyterhub.sqlite", "accounts.sqlite", "audit/hub.sqlite", "egress/egress.sqlite"}


def test_every_path_of_the_haven_is_backed_up_or_allowlisted_as_not_state(built_haven, tmp_path):
    (built_haven.data / "jupyterhub.pid").write_text("1\n")  # not state: a process's pid
    assert backup_cli.main(built_haven.cli("--without-volumes", str(tmp_path / "backup"))) == 0
    record = manifest.read(tmp_path / "backup")
    saved = {key.removeprefix("files/data/") for key in record.entries if key.startswith("files/data/")}
    left_out = []
    for top, dirs, files in os.walk(built_haven.data):
        for name in dirs + files:
            relative = (Path(top) / name).relative_to(built_haven.data)
            if relative.as_posix() not in saved:
                left_out.append(relative)
    # What is left out is exactly what the allowlist names (pids, locks, SQLite sidecars).
    assert left_out and all(not is_state(path) for path in left_out), left_out
    assert {"jupyterhub.pid", "audit/hub.lock"} <= {path.as_posix() for path in left_out}
    # Each database is there, as a consistent copy in its place, with both audit heads.
    assert DATABASES <= saved and {"audit/hub.head", "egress/audit.head"} <= saved
    assert set(record.databases) == {"hub", "accounts", "hub-audit", "egress"}
    assert not record.notes
    # Keys, secrets, blobs and the workspace, with their owners and modes recorded.
    for expected in ("secrets/audit-head-key", "secrets/cookie_secret", "egress/signing",
                     "projects/alpha/workspace/analysis/model.py"):
        assert any(path.startswith(expected) for path in saved), expected
    assert sum(1 for path in saved if path.startswith("egress/blobs/")) > 5
    workspace = record.entries["files/data/projects/alpha/workspace"]
    assert (workspace.uid, workspace.mode) == (70000, 0o700)
    link = record.entries["files/data/projects/alpha/workspace/elsewhere"]
    assert (link.type, link.target) == ("link", "/etc/passwd")
    assert not (tmp_path / "backup" / "files/data/projects/alpha/workspace/elsewhere").exists()


def test_the_backup_is_private_and_checksummed(built_haven, tmp_path):
    target = tmp_path / "backup"
    assert backup_cli.main(built_haven.cli("--without-volumes", str(target))) == 0
    modes = {path: stat.S_IMODE(path.lstat().st_mode) for path in [target, *target.rglob("*")]}
    assert all(mode == (0o700 if path.is_dir() else 0o600) for path, mode in modes.items()), \
        {str(path): oct(mode) for path, mode in modes.items() if mode not in (0o600, 0o700)}
    record = json.loads((target / "manifest.json").read_text())
    blob = next(key for key, entry in record["entries"].items() if "/blobs/" in key and entry["type"] == "file")
    assert record["entries"][blob]["sha256"] == manifest.file_digest(target / blob)
    manifest.verify(target, manifest.read(target))


def test_a_backup_never_goes_into_a_folder_that_holds_something(built_haven, tmp_path, capsys):
    target = tmp_path / "backup"
    assert backup_cli.main(built_haven.cli("--without-volumes", str(target))) == 0
    before = manifest.read(target)
    assert backup_cli.main(built_haven.cli("--without-volumes", str(target))) == 1
    assert "already exists" in capsys.readouterr().err
    assert manifest.read(target) == before
    assert not target.with_name("backup.partial").exists()


def test_unreadable_settings_and_usage_errors_have_their_exit_codes(tmp_path, capsys):
    assert backup_cli.main(["--settings", str(tmp_path / "nowhere.yaml"), str(tmp_path / "b")]) == 2
    assert "cannot read settings file" in capsys.readouterr().err
    assert backup_cli.main([]) == 64


def test_a_nightly_timer_names_each_backup_by_its_time_and_keeps_the_newest(tmp_path, capsys):
    from haven_hub.audit.log import HubAuditLog
    from haven_hub.host_state import make_private_dir

    from .haven import settings_file

    settings = settings_file(tmp_path)
    HubAuditLog.for_data_dir(make_private_dir(tmp_path / "data")).close()
    nightly = tmp_path / "backups"
    make_private_dir(nightly / "keep-me")  # not a dated backup of Haven's: never pruned
    cli = ["--settings", str(settings), "--without-volumes", "--into", str(nightly), "--keep", "2"]
    for _night in range(3):
        assert backup_cli.main(cli) == 0
    made = sorted(path.name for path in nightly.iterdir())
    assert len(made) == 3 and "keep-me" in made, made
    assert all(name.startswith("haven-") for name in made if name != "keep-me")
    assert "deleted the older backup" in capsys.readouterr().out
    for name in made:
        if name != "keep-me":
            manifest.verify(nightly / name, manifest.read(nightly / name))
    for argv in (["--into", str(nightly), str(tmp_path / "b")], ["--keep", "2", str(tmp_path / "b")],
                 ["--into", str(nightly), "--keep", "0"]):
        assert backup_cli.main(["--settings", str(settings), *argv]) == 64, argv
