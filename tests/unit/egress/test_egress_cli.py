"""``haven egress fsck`` and ``haven audit verify`` as an operator runs them: real processes."""

import os
import sqlite3
import subprocess
import sys

import pytest
import yaml

from haven_egress.web.startup import open_service
from haven_hub.settings import load_settings

from .factories import submit


@pytest.fixture
def haven(tmp_path):
    """A settings file and an egress store with two real requests in it."""
    path = tmp_path / "haven.yaml"
    path.write_text(yaml.safe_dump({"hub": {"data_dir": str(tmp_path / "data")}}))
    service = open_service(load_settings(path))
    submit(service)
    submit(service)
    service.sessions.kw["bind"].dispose()
    return path, service


def haven_cmd(*args, settings):
    result = subprocess.run([sys.executable, "-m", "haven_cli", *args, "--settings", str(settings)],
                            capture_output=True, text=True)
    return result.returncode, result.stdout + result.stderr


def test_audit_verify_passes_then_fails_on_a_tampered_row(haven):
    settings, service = haven
    code, out = haven_cmd("audit", "verify", settings=settings)
    assert code == 0 and "egress: 2 events, chain intact" in out.splitlines()
    database = settings.parent / "data" / "egress" / "egress.sqlite"
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE audit_events SET actor = 'mallory' WHERE id = 2")
    code, out = haven_cmd("audit", "verify", settings=settings)
    assert code == 1 and "egress: BROKEN at event 2" in out and "changed after it was written" in out


def test_fsck_reports_cleans_orphans_and_never_hides_corruption(haven):
    settings, service = haven
    assert haven_cmd("egress", "fsck", settings=settings) == (0, "fsck: clean\n")
    orphan = service.blobs.put(b"left behind by a crash")
    code, out = haven_cmd("egress", "fsck", settings=settings)
    assert code == 1 and f"orphan: {orphan}" in out
    # The default grace period keeps a fresh orphan: it may belong to a submission in flight.
    code, out = haven_cmd("egress", "fsck", "--clean", settings=settings)
    assert code == 1 and f"kept (younger than --grace): {orphan}" in out and service.blobs.exists(orphan)
    code, out = haven_cmd("egress", "fsck", "--clean", "--grace", "0", settings=settings)
    assert code == 0 and f"deleted: {orphan}" in out and not service.blobs.exists(orphan)
    victim = sorted(service.blobs.digests())[0]
    os.chmod(service.blobs.path(victim), 0o644)
    service.blobs.path(victim).write_bytes(b"changed on disk")
    code, out = haven_cmd("egress", "fsck", "--clean", "--grace", "0", settings=settings)
    assert code == 1 and f"corrupt: {victim}" in out and service.blobs.exists(victim)


def test_a_bad_settings_file_is_a_clear_error(tmp_path):
    code, out = haven_cmd("audit", "verify", settings=tmp_path / "missing.yaml")
    assert code == 2 and "cannot read settings file" in out
