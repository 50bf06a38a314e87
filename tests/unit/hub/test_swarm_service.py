"""A project server as a Swarm service: every description field goes somewhere, or is named
as inexpressible with its compensation; each control is in the service spec and leaves it
when left out."""

import dataclasses
from pathlib import PurePosixPath
from types import MappingProxyType, SimpleNamespace

import pytest

from haven_hub import swarm
from haven_hub.server_description import (
    PROJECT_LABEL, Mount, Reach, ServerDescription, hardening_for, resources_for,
)
from haven_hub.settings import Limits

DESCRIBED = ServerDescription(
    user="ada", project="demo", image="registry:5000/haven/notebook:abc@sha256:00",
    resources=resources_for(Limits(cpu=1.5, memory="2G", pids=300)),
    hardening=hardening_for(71_000, "256M"),
    mounts=(Mount("workspace", "/home/analyst/workspace", "demo", read_only=False),
            Mount("home", "/home/analyst", "ada", read_only=False),
            Mount("dataset", "/data/births", "/srv/datasets/births/v1", read_only=True, name="births")),
    reach=Reach(hub_api_port=8081, egress_port=8090),
    labels=MappingProxyType({PROJECT_LABEL: "demo"}),
)


def source(mount):
    return {"workspace": "/srv/haven/projects/demo/workspace", "home": "haven-home-demo-ada"}.get(mount.kind, mount.source)


def spec(**kwargs):
    return swarm.service_spec(DESCRIBED, name="haven-ada--demo", network="haven-swarm-demo", mount_source=source,
                              env={"HAVEN_PROJECT": "demo"}, args=["jupyterhub-singleuser"], **kwargs)


def container(spec_):
    return spec_["task_template"]["ContainerSpec"]


def test_every_field_of_the_description_is_translated_or_named_as_inexpressible():
    hardening = {field.name for field in dataclasses.fields(type(DESCRIBED.hardening))}
    described = {field.name for field in dataclasses.fields(type(DESCRIBED.resources))}
    assert hardening | described <= swarm.translated_fields()
    # Nothing is both translated and called inexpressible.
    assert not set(swarm.HARDENING_TO_CONTAINER) & set(swarm.NOT_EXPRESSIBLE)


def test_the_service_carries_the_lockdown():
    made = spec()
    box = container(made)
    assert box["User"] == "71000:71000"
    assert box["ReadOnly"] is True
    assert box["CapabilityDrop"] == ["ALL"]
    assert box["Sysctls"] == {"net.ipv6.conf.all.disable_ipv6": "1"}
    assert box["DNSConfig"]["Nameservers"] == ["0.0.0.0"]
    tmp = next(m for m in box["Mounts"] if m["Type"] == "tmpfs")
    assert tmp["Target"] == "/tmp" and tmp["TmpfsOptions"] == {"SizeBytes": 256 * 2**20, "Mode": 0o1777}
    limits = made["task_template"]["Resources"]["Limits"]
    assert limits == {"NanoCPUs": 1_500_000_000, "MemoryBytes": 2 * 2**30, "Pids": 300}
    assert made["task_template"]["RestartPolicy"] == {"Condition": "none"}
    assert made["endpoint_spec"]["Mode"] == "dnsrr"
    assert made["task_template"]["Networks"] == [{"Target": "haven-swarm-demo"}]


def test_mounts_are_the_described_ones_datasets_read_only():
    mounts = {m["Target"]: m for m in container(spec())["Mounts"]}
    assert mounts["/data/births"] == {"Target": "/data/births", "Source": "/srv/datasets/births/v1", "Type": "bind",
                                      "ReadOnly": True}
    assert mounts["/home/analyst/workspace"]["Type"] == "bind" and not mounts["/home/analyst/workspace"]["ReadOnly"]
    assert mounts["/home/analyst"]["Type"] == "volume"
    assert set(mounts) == {"/tmp", *(m.target for m in DESCRIBED.mounts)}
    assert all(PurePosixPath(target).is_absolute() for target in mounts)


@pytest.mark.parametrize("name", sorted(swarm.HARDENING_TO_CONTAINER))
def test_leaving_one_control_out_changes_the_service(name):
    assert spec(omit=frozenset({name})) != spec()


def test_a_changed_description_value_reaches_the_service():
    tighter = dataclasses.replace(DESCRIBED, resources=dataclasses.replace(DESCRIBED.resources, pids=50))
    made = swarm.service_spec(tighter, name="n", network="x", mount_source=source, env={}, args=[])
    assert made["task_template"]["Resources"]["Limits"]["Pids"] == 50


def test_unknown_controls_are_refused():
    with pytest.raises(ValueError, match="not hardening fields"):
        spec(omit=frozenset({"no_such_control"}))


def test_overlay_names_stay_short_for_long_project_ids():
    assert swarm.overlay_name("haven", "demo") == "haven-swarm-demo"
    assert len(swarm.overlay_name("haven", "p" * 80)) <= 60


def test_the_engine_switch_selects_the_swarm_spawner_and_its_registry(tmp_path):
    from traitlets.config import Config

    from haven_hub import config
    from haven_hub.settings import SettingsError, parse_settings
    from haven_hub.swarm_spawner import HavenSwarmSpawner

    base = {"hub": {"data_dir": str(tmp_path)}}
    assert config.spawner_config(parse_settings(base)).JupyterHub.spawner_class == "haven_hub.spawner.HavenSpawner"
    with pytest.raises(SettingsError, match="spawner.swarm.registry"):
        parse_settings({**base, "spawner": {"engine": "swarm"}})
    settings = parse_settings({**base, "spawner": {"engine": "swarm", "swarm": {"registry": "registry.tre:5000"}}})
    c = config.spawner_config(settings)
    assert c.JupyterHub.spawner_class == "haven_hub.swarm_spawner.HavenSwarmSpawner"
    # The Docker spawner's section reaches the swarm spawner; its own section wins.
    spawner = HavenSwarmSpawner(config=Config(c), user=SimpleNamespace(name="ada", url="/user/ada/"))
    assert spawner.haven_settings == settings and spawner.cmd == ["jupyterhub-singleuser"]
    assert spawner.image == "registry.tre:5000/haven/notebook:latest" and spawner.pull_policy == "skip"
