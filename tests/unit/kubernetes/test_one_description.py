"""One description, two engines: change a value of the description and both the Docker
container's arguments and the Kubernetes pod change with it (no lockdown value is written
in either engine's code)."""

from __future__ import annotations

import dataclasses

import pytest

from haven_hub import lockdown


def _docker(description):
    return lockdown.container_spec(description.resources, description.hardening)


def _container(pod):
    return pod["spec"]["containers"][0]


def _hardening(description, **changes):
    return dataclasses.replace(description, hardening=dataclasses.replace(description.hardening, **changes))


CHANGES = {
    "uid": (lambda d: _hardening(d, uid=71234, gid=71234),
            lambda spec: spec.create["user"] == "71234:71234",
            lambda pod: _container(pod)["securityContext"]["runAsUser"] == 71234
            and pod["spec"]["securityContext"]["fsGroup"] == 71234),
    "capabilities": (lambda d: _hardening(d, drop_capabilities=("NET_RAW",)),
                     lambda spec: spec.host_config["cap_drop"] == ["NET_RAW"],
                     lambda pod: _container(pod)["securityContext"]["capabilities"]["drop"] == ["NET_RAW"]),
    "read-only-root": (lambda d: _hardening(d, read_only_root=False),
                       lambda spec: spec.host_config["read_only"] is False,
                       lambda pod: _container(pod)["securityContext"]["readOnlyRootFilesystem"] is False),
    "no-new-privileges": (lambda d: _hardening(d, no_new_privileges=False),
                          lambda spec: spec.host_config["security_opt"] == ["no-new-privileges:false"],
                          lambda pod: _container(pod)["securityContext"]["allowPrivilegeEscalation"] is True),
    "tmp": (lambda d: _hardening(d, tmp=dataclasses.replace(d.hardening.tmp, size="77M")),
            lambda spec: "size=77M" in spec.host_config["tmpfs"]["/tmp"],
            lambda pod: any(v.get("emptyDir", {}).get("sizeLimit") == "77M" for v in pod["spec"]["volumes"])),
    "dns": (lambda d: _hardening(d, dns_upstreams=("192.0.2.1",)),
            lambda spec: spec.host_config["dns"] == ["192.0.2.1"],
            lambda pod: pod["spec"]["dnsConfig"]["nameservers"] == ["192.0.2.1"]),
    "cpu": (lambda d: dataclasses.replace(d, resources=dataclasses.replace(d.resources, cpu=0.25)),
            lambda spec: spec.host_config["cpu_quota"] == 25_000,
            lambda pod: _container(pod)["resources"]["limits"]["cpu"] == 0.25),
    "memory": (lambda d: dataclasses.replace(d, resources=dataclasses.replace(d.resources, memory="512M")),
               lambda spec: spec.host_config["mem_limit"] == "512M",
               lambda pod: _container(pod)["resources"]["limits"]["memory"] == 512 * 1024**2),
}


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_a_changed_description_changes_both_engines(make_pod, description, name):
    change, docker_shows, pod_shows = CHANGES[name]
    before_spec, before_pod = _docker(description), make_pod(description)
    assert not docker_shows(before_spec) and not pod_shows(before_pod)
    changed = change(description)
    assert docker_shows(_docker(changed)) and pod_shows(make_pod(changed))


def test_the_description_is_frozen(description):
    with pytest.raises(dataclasses.FrozenInstanceError):
        description.hardening.uid = 0
    with pytest.raises(TypeError):
        description.environment["HAVEN_PROJECT"] = "other"
