"""What config adds to a project server's container, merged with Haven's lockdown (the
real spawns are in tests/integration/test_spawn.py)."""

from __future__ import annotations

import socket

import pytest

from haven_hub import container_config as cc
from haven_hub.lockdown import hardened_spec
from haven_hub.settings import Limits

SPEC = hardened_spec(Limits(cpu=0.5, memory="768M", pids=256), "256M", uid=1000)
HAVEN_MOUNTS = {"/srv/haven/projects/alpha/workspace": {"bind": "/home/analyst/workspace", "mode": "rw"},
                "haven-home-alpha-ada": {"bind": "/home/analyst", "mode": "rw"},
                "/srv/haven/datasets/patients/1": {"bind": "/data/patients", "mode": "ro"}}


def test_added_host_config_is_kept_and_lockdown_values_are_written_once():
    merged = cc.host_config(SPEC.host_config, {"auto_remove": False}, {"shm_size": "96m", "read_only": True})
    assert merged == {**SPEC.host_config, "auto_remove": False, "shm_size": "96m"}


@pytest.mark.parametrize("added,named", [
    ({"read_only": False}, "extra_host_config['read_only'] is False"),
    ({"pids_limit": 100_000}, "extra_host_config['pids_limit']"),
    ({"cap_drop": []}, "extra_host_config['cap_drop']"),
    ({"mem_limit": "64G"}, "extra_host_config['mem_limit']"),
    ({"auto_remove": True}, "extra_host_config['auto_remove']"),
    ({"privileged": True}, "extra_host_config['privileged'] is not one a config may add"),
    ({"cap_add": ["NET_ADMIN"]}, "extra_host_config['cap_add']"),
    ({"network_mode": "host"}, "extra_host_config['network_mode']"),
    ({"binds": ["/:/host"]}, "extra_host_config['binds']"),
])
def test_host_config_that_would_move_the_lockdown_is_refused_by_name(added, named):
    with pytest.raises(cc.SpawnerConfigError, match="conflicts with Haven's lockdown") as refused:
        cc.host_config(SPEC.host_config, {"auto_remove": False}, added)
    assert named in str(refused.value)


def test_labels_are_added_but_the_user_and_havens_labels_are_haven_own():
    haven_labels = {"org.haven.project": "alpha", "org.haven.user": "ada"}
    merged = cc.create_kwargs(SPEC.create, haven_labels, {"labels": {"cost-centre": "r1"}})
    assert merged == {"user": "1000:1000", "labels": {"cost-centre": "r1", **haven_labels}}
    for added, named in (({"user": "0:0"}, "extra_create_kwargs['user']"),
                         ({"labels": {"org.haven.project": "beta"}}, "'org.haven.project' is Haven's"),
                         ({"privileged": True}, "extra_create_kwargs['privileged']")):
        with pytest.raises(cc.SpawnerConfigError) as refused:
            cc.create_kwargs(SPEC.create, haven_labels, added)
        assert named in str(refused.value)


def test_limits_have_one_home_the_project():
    cc.check_limits(cc.Configured())
    cc.check_limits(cc.Configured(mem_limit=0, cpu_limit=0.0))  # DockerSpawner's defaults: unset
    for field in ("mem_limit", "cpu_limit"):
        with pytest.raises(cc.SpawnerConfigError, match=f"{field} is set in the hub's config"):
            cc.check_limits(cc.Configured(**{field: 2}))
    with pytest.raises(cc.SpawnerConfigError, match="mounts is set"):
        cc.check_limits(cc.Configured(mounts=[{"source": "x", "target": "/x"}]))


def test_a_read_only_volume_beside_havens_mounts_is_kept(tmp_path):
    cc.check_volumes(HAVEN_MOUNTS, {str(tmp_path): {"bind": "/opt/reference", "mode": "ro"},
                                    "shared-codes": {"bind": "/opt/codes", "mode": "ro"}}, ["/tmp"])


@pytest.mark.parametrize("source,target,mode,named", [
    ("shared", "/opt/shared", "rw", "must be read-only"),
    ("shared", "/home/analyst/workspace/x", "ro", "overlaps Haven's mount at /home/analyst/workspace"),
    ("shared", "/home", "ro", "overlaps Haven's mount at /home/analyst"),
    ("shared", "/data", "ro", "overlaps Haven's mount at /data/patients"),
    ("shared", "/tmp", "ro", "overlaps Haven's mount at /tmp"),
    ("shared", "/", "ro", "absolute target below '/'"),
    ("shared", "relative", "ro", "absolute target"),
    ("haven-home-alpha-ada", "/opt/home", "ro", "one of Haven's own mounts"),
    ("/var/run", "/opt/run", "ro", "inside /var/run"),
    ("/var/run/docker.sock", "/opt/docker.sock", "ro", "inside /var/run"),
    ("/", "/opt/host", "ro", "which a server never sees"),
])
def test_volumes_that_would_cross_the_boundary_are_refused(source, target, mode, named):
    with pytest.raises(cc.SpawnerConfigError) as refused:
        cc.check_volumes(HAVEN_MOUNTS, {source: {"bind": target, "mode": mode}}, ["/tmp"])
    assert named in str(refused.value)


def test_a_socket_anywhere_is_refused_even_read_only(tmp_path):
    path = tmp_path / "service.sock"
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(path))
        with pytest.raises(cc.SpawnerConfigError, match="is a socket"):
            cc.check_volumes(HAVEN_MOUNTS, {str(path): {"bind": "/opt/s", "mode": "ro"}}, ["/tmp"])
