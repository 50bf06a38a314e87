"""The analysts' home folders (Docker volumes ``<prefix>-home-<project>-<user>``) are backed
up and restored with their owners, modes and links; scratch volumes are not; a volume lost
with its engine is made again on restore. Real Docker engine, real volumes."""

from __future__ import annotations

import os

import pytest

from haven_cli import backup as backup_cli
from haven_cli import restore as restore_cli
from haven_hub.backup import manifest
from haven_hub.host_state import make_private_dir
from tests.fixtures.docker_engine import TEST_PREFIX, remove_test_objects
from tests.unit.backup.haven import files, settings_file

pytestmark = pytest.mark.docker
# A prefix of its own: the session's hub makes home volumes under TEST_PREFIX, which a backup
# of that prefix would rightly include. Still starts with TEST_PREFIX, so the session's
# clean-up removes what a failed run leaves.
PREFIX = f"{TEST_PREFIX}backup"
HOME = f"{PREFIX}-home-alpha-alice"
SCRATCH = f"{PREFIX}-scratch-alpha-alice"


def mountpoint(client, name):
    from pathlib import Path

    return Path(client.volumes.get(name).attrs["Mountpoint"])


@pytest.fixture
def own_prefix(docker_client):
    remove_test_objects(docker_client, PREFIX)  # what a killed run left
    yield PREFIX
    remove_test_objects(docker_client, PREFIX)


def test_home_volumes_come_back_whole_and_scratch_is_left_out(docker_client, own_prefix, tmp_path, capsys):
    for name in (HOME, SCRATCH):
        docker_client.volumes.create(name)
    home = mountpoint(docker_client, HOME)
    make_private_dir(home / ".jupyter")
    (home / ".jupyter" / "settings.json").write_text('{"theme": "dark"}')
    os.symlink("/data/admissions", home / "data")
    for path in (home, home / ".jupyter", home / ".jupyter" / "settings.json", home / "data"):
        os.chown(path, 70000, 70000, follow_symlinks=False)
    (mountpoint(docker_client, SCRATCH) / "spill.tmp").write_text("temporary")
    before = files(home)
    settings = settings_file(tmp_path, spawner={"container_prefix": PREFIX})
    make_private_dir(tmp_path / "data" / "secrets")
    cli = ["--settings", str(settings)]

    assert backup_cli.main([*cli, str(tmp_path / "backup")]) == 0
    assert "1 home volume(s)" in capsys.readouterr().out
    assert manifest.read(tmp_path / "backup").volumes == [HOME]

    docker_client.volumes.get(HOME).remove()  # lost with the engine's disk
    assert restore_cli.main([*cli, str(tmp_path / "backup")]) == 0
    assert files(mountpoint(docker_client, HOME)) == before
    assert not list(mountpoint(docker_client, HOME).parent.glob("*.haven-restore"))
