"""Containers run as a uid no host account has, and what they write is nobody else's on the host.

The server is spawned by the real hub. The host side is tried as uid 1000, the analyst's
uid before ``spawner.container_uid`` and an ordinary account on most hosts; the positive
control is a workspace made the old way (0770, owned by 1000), which that account reads.
"""

from __future__ import annotations

import os
import pwd
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import docker
import pytest

from haven_hub.settings import Settings

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure", "dump_logs_on_failure")]

OLD_UID = 1000
SECRET = "row-level notes of project alpha"
NOTES = "notes.txt"
# The test's own file, by name: other tests leave folders and files of their own in alpha's workspace.
LIST_AND_READ_NOTES = f'ls -a "$0" && cat "$0/{NOTES}"'


def as_host_uid(uid: int, path: Path, *, bind_mount: bool) -> subprocess.CompletedProcess:
    """Lists ``path`` and prints its ``NOTES`` file, as ``uid`` on the host (no groups).

    With ``bind_mount``, through a bind mount of ``path`` at an open mount point in a private
    mount namespace: only ``path``'s own mode and owner stand in the way, not the private
    folders above it (as for a container, whose bind mount skips them too).
    """
    drop = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "sh", "-c", LIST_AND_READ_NOTES]
    if not bind_mount:
        return subprocess.run([*drop, str(path)], capture_output=True, text=True, timeout=30)
    with tempfile.TemporaryDirectory(prefix="haven-mnt-") as mount_point:
        os.chmod(mount_point, 0o755)
        script = 'mount --bind "$1" "$2" && shift 2 && exec "$@"'
        return subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh",
                               str(path), mount_point, *drop, mount_point],
                              capture_output=True, text=True, timeout=30)


def exec_in(container, command: list[str]) -> str:
    code, output = container.exec_run(command)
    assert code == 0, output.decode(errors="replace")
    return output.decode().strip()


def workspace(settings: Settings, project: str) -> Path:
    return settings.hub.data_dir / "projects" / project / "workspace"


@pytest.fixture(scope="module")
def ada_alpha(haven_hub, docker_client):
    haven_hub.spawn("ada", "alpha")
    yield docker_client.containers.get(haven_hub.container_name("ada", "alpha"))
    haven_hub.stop("ada", "alpha")


def test_the_server_runs_as_the_configured_uid_that_no_host_account_has(haven_hub, ada_alpha):
    uid = haven_hub.settings.spawner.container_uid
    assert uid == 70_000  # the default
    assert exec_in(ada_alpha, ["id", "-u"]) == str(uid)
    assert exec_in(ada_alpha, ["id", "-g"]) == str(uid)
    # The home volume Docker filled from the image belongs to it too.
    assert exec_in(ada_alpha, ["stat", "-c", "%u:%g %a", "/home/analyst"]).startswith(f"{uid}:{uid}")
    with pytest.raises(KeyError):
        pwd.getpwuid(uid)


@pytest.fixture
def old_layout():
    """A data directory as the code before made it (0755), outside pytest's private temp root."""
    top = Path(tempfile.mkdtemp(prefix="haven-old-layout-", dir="/tmp"))
    top.chmod(0o755)
    yield top
    shutil.rmtree(top)


def test_the_workspace_is_the_container_uids_alone_on_the_host(haven_hub, ada_alpha, old_layout):
    uid = haven_hub.settings.spawner.container_uid
    # A folder beside the file, as other tests leave one (the ACRO test's acro_out): the reads must not trip on it.
    exec_in(ada_alpha, ["sh", "-c", f"mkdir -p /home/analyst/workspace/host-state-folder && "
                                    f"echo '{SECRET}' > /home/analyst/workspace/{NOTES}"])
    path = workspace(haven_hub.settings, "alpha")
    info = path.stat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (uid, uid, 0o700)
    assert (path / NOTES).stat().st_uid == uid
    assert stat.S_IMODE(haven_hub.settings.hub.data_dir.stat().st_mode) == 0o700

    # Positive control: a workspace made the old way (0770 under 0755 folders, owned by 1000).
    old = old_layout / "projects" / "alpha" / "workspace"
    old.mkdir(parents=True)
    (old / NOTES).write_text(SECRET + "\n")
    for p in (old.parent.parent, old.parent):
        p.chmod(0o755)
    os.chown(old, OLD_UID, OLD_UID)
    old.chmod(0o770)
    os.chown(old / NOTES, OLD_UID, OLD_UID)
    control = as_host_uid(OLD_UID, old, bind_mount=False)
    assert control.returncode == 0 and SECRET in control.stdout, control.stderr
    control = as_host_uid(OLD_UID, old, bind_mount=True)
    assert control.returncode == 0 and SECRET in control.stdout, control.stderr

    # The same reads of the real workspace fail, by its path and even past the folders above it.
    by_path = as_host_uid(OLD_UID, path, bind_mount=False)
    assert by_path.returncode != 0 and "Permission denied" in by_path.stderr and SECRET not in by_path.stdout
    mounted = as_host_uid(OLD_UID, path, bind_mount=True)
    assert mounted.returncode != 0 and "Permission denied" in mounted.stderr and SECRET not in mounted.stdout
    # ... while the uid that owns it reads it that way: the mount is no obstacle of its own.
    owner = as_host_uid(uid, path, bind_mount=True)
    assert owner.returncode == 0 and SECRET in owner.stdout, owner.stderr


def test_a_workspace_and_volumes_made_for_the_old_uid_are_given_to_the_new_one_at_spawn(
        haven_hub, docker_client):
    settings = haven_hub.settings
    prefix, uid = settings.spawner.container_prefix, settings.spawner.container_uid
    path = workspace(settings, "beta")
    path.mkdir(parents=True, exist_ok=True)
    (path / "old.csv").write_text("a,b\n1,2\n")
    for p in (path, path / "old.csv"):
        os.chown(p, OLD_UID, OLD_UID)
    path.chmod(0o770)
    home = f"{prefix}-home-beta-bob"
    try:
        volume = docker_client.volumes.get(home)
    except docker.errors.NotFound:
        volume = docker_client.volumes.create(home)
    mountpoint = Path(volume.attrs["Mountpoint"])
    (mountpoint / ".bashrc").write_text("# made by the old image\n")
    for root, dirs, files in os.walk(mountpoint):
        for name in [root, *(os.path.join(root, n) for n in dirs + files)]:
            os.chown(name, OLD_UID, OLD_UID, follow_symlinks=False)

    haven_hub.spawn("bob", "beta")
    try:
        container = docker_client.containers.get(haven_hub.container_name("bob", "beta"))
        assert exec_in(container, ["stat", "-c", "%u", "/home/analyst", "/home/analyst/.bashrc",
                                   "/home/analyst/workspace/old.csv"]).split() == [str(uid)] * 3
        # Writable by the server's own uid: the old files are its to change.
        exec_in(container, ["sh", "-c", "echo 3,4 >> /home/analyst/workspace/old.csv && "
                                        "echo ok >> /home/analyst/.bashrc"])
    finally:
        haven_hub.stop("bob", "beta")
    info = path.stat()
    assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (uid, 0o700)
