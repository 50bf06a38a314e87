"""A restore that dies part way (the process ends on the spot, as in a power cut) leaves the
old state whole or the new state whole, never a mix; running the same restore again
finishes it, and a restore from another backup is refused until then.

The crashes are real ``haven restore`` processes ended by ``HAVEN_RESTORE_CRASH_AT`` with
``os._exit`` between two steps; the rest runs the words in-process (a process costs seconds).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from haven_cli import audit as audit_cli
from haven_cli import backup as backup_cli
from haven_cli import restore as restore_cli
from haven_hub.audit.log import HubAuditLog
from haven_hub.host_state import make_private_dir
from tests.unit.backup.haven import files, settings_file

CRASHED = 75


def crash_restore(settings: Path, backup: Path, point: str) -> None:
    env = {**os.environ, "HAVEN_RESTORE_CRASH_AT": point}
    done = subprocess.run([sys.executable, "-m", "haven_cli", "restore", str(backup), "--settings", str(settings),
                           "--without-volumes"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == CRASHED, done.stderr


def journal(data: Path) -> Path:
    return data.with_name(f".{data.name}.haven-restore.json")


def without_audit(found: dict) -> dict:
    # The restore's own audit event moves the hub chain; `haven audit verify` checks it instead.
    return {path: entry for path, entry in found.items() if not path.startswith("audit/")}


def test_a_crash_leaves_the_old_state_or_the_new_whole_and_the_same_restore_finishes(tmp_path, capsys):
    settings = settings_file(tmp_path)
    data = make_private_dir(tmp_path / "data")
    cli = ["--settings", str(settings), "--without-volumes"]
    log = HubAuditLog.for_data_dir(data)
    log.record("ada", "project.create", "project/alpha", project="alpha")
    workspace = make_private_dir(data / "projects" / "alpha" / "workspace")
    (workspace / "state.txt").write_text("new")
    backup = tmp_path / "backup"
    assert backup_cli.main([*cli, str(backup)]) == 0
    new = files(data)
    log.record("ada", "project.suspend", "project/alpha", project="alpha")
    log.close()
    (workspace / "state.txt").write_text("old")
    (workspace / "only-in-old.txt").write_text("old")
    old = files(data)

    # Dead before the swap: the old state, whole; nothing to finish.
    crash_restore(settings, backup, "staged")
    assert files(data) == old and not journal(data).exists()

    # Dead right after it: the new state, whole (its mark says the swap happened).
    crash_restore(settings, backup, "swapped data")
    found = files(data)
    assert found.pop(".haven-restore-swapped")[0] == "file"
    assert without_audit(found) == without_audit(new)
    assert journal(data).exists()

    other = tmp_path / "other-backup"
    assert backup_cli.main([*cli, str(other)]) == 0
    capsys.readouterr()
    assert restore_cli.main([*cli, str(other)]) == 1
    assert f"a restore from {backup} was interrupted" in capsys.readouterr().err

    assert restore_cli.main([*cli, str(backup)]) == 0
    assert without_audit(files(data)) == without_audit(new)
    assert not journal(data).exists() and not list(data.parent.glob(".data.haven-restore*"))
    replaced = list(data.parent.glob("data.replaced-*"))  # the old state, set aside whole
    assert len(replaced) == 1 and without_audit(files(replaced[0])) == without_audit(old)
    capsys.readouterr()
    assert audit_cli.main(["verify", "--settings", str(settings)]) == 0, capsys.readouterr().out


def test_the_hub_does_not_start_on_a_restore_that_was_cut_short(tmp_path):
    from traitlets.config import Config

    from haven_hub.backup.restore import InterruptedRestore
    from haven_hub.config import configure

    settings = settings_file(tmp_path)
    data = make_private_dir(tmp_path / "data")
    journal(data).write_text('{"source": "/var/backups/haven/last", "swapped": []}')
    with pytest.raises(InterruptedRestore, match="finish it with `haven restore /var/backups/haven/last`"):
        configure(Config(), settings)
