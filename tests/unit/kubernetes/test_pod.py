"""The project server's pod, made by KubeSpawner's own get_pod_manifest from the description,
and its NetworkPolicy: valid Kubernetes objects holding every control, and each control
missed when it is taken away."""

from __future__ import annotations

import dataclasses

import kubernetes_validate
import pytest

from haven_hub.kubernetes import controls, policies
from haven_hub.server_description import Reach

from .conftest import KUBERNETES_VERSION


def validate(manifest):
    kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


def test_the_pod_and_its_policy_are_valid_and_hold_every_control(make_pod, description):
    pod = make_pod(description)
    policy = policies.description_policy(description, "haven")
    validate(pod)
    validate(policy)
    validate(policies.default_deny("haven"))
    assert controls.missing(pod, policy, description) == []
    container = pod["spec"]["containers"][0]
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert container["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["resources"]["limits"] == {"cpu": 1.5, "memory": 3 * 1024**3}
    mounts = {mount["mountPath"]: mount for mount in container["volumeMounts"]}
    assert mounts["/data/admissions"] == {"mountPath": "/data/admissions", "name": "haven-datasets",
                                          "readOnly": True, "subPath": "admissions/v1"}
    assert mounts["/home/analyst/workspace"]["subPath"] == "workspace"
    assert mounts["/home/analyst"]["subPath"] == "homes/ada"
    volumes = {volume["name"]: volume for volume in pod["spec"]["volumes"]}
    # One claim per project, named by the server name (= the project), shared by its members.
    assert volumes["haven-project"]["persistentVolumeClaim"] == {"claimName": "haven-project-demo"}
    assert pod["metadata"]["labels"]["org.haven.project"] == "demo"
    env = {item["name"]: item.get("value") for item in container["env"]}
    assert env["HAVEN_PROJECT"] == "demo" and env["HAVEN_BROWSER_BYTES_PER_DAY"] == "1000"
    assert "JUPYTER_IMAGE_SPEC" not in env


def _hardening(**changes):
    return lambda d: dataclasses.replace(d, hardening=dataclasses.replace(d.hardening, **changes))


def _spawner(**traits):
    def configure(spawner):
        for name, value in traits.items():
            setattr(spawner, name, value(spawner) if callable(value) else value)
    return configure


def _pod_config(**fields):
    return _spawner(extra_pod_config=lambda spawner: {**spawner.extra_pod_config, **fields})


def _mounts_writable(d):
    return dataclasses.replace(d, mounts=tuple(dataclasses.replace(m, read_only=False) for m in d.mounts))


def _policy(change):
    def mutate(policy):
        change(policy["spec"])
        return policy
    return mutate


# control -> (change to the description, change to the spawner's config, change to the policy)
NONE = None
REMOVALS = {
    "non-root-user": (_hardening(run_as_non_root=False), NONE, NONE),
    "no-privilege-escalation": (_hardening(no_new_privileges=False), NONE, NONE),
    "not-privileged": (NONE, _spawner(container_security_context=lambda s: {**s.container_security_context,
                                                                            "privileged": True}), NONE),
    "read-only-root": (_hardening(read_only_root=False), NONE, NONE),
    "drop-capabilities": (_hardening(drop_capabilities=()), NONE, NONE),
    "seccomp-runtime-default": (_hardening(seccomp="Unconfined"), NONE, NONE),
    "resources-from-project": (lambda d: dataclasses.replace(d, resources=dataclasses.replace(d.resources, cpu=4.0)),
                               NONE, NONE),
    "mounts-as-described": (_mounts_writable, NONE, NONE),
    "datasets-read-only": (NONE, _spawner(volumes=lambda s: {**s.volumes, "haven-datasets": {
        "name": "haven-datasets", "persistentVolumeClaim": {"claimName": "haven-datasets"}}}), NONE),
    "no-host-access": (NONE, _spawner(volumes=lambda s: {**s.volumes, "host": {
        "name": "host", "hostPath": {"path": "/var/run"}}}), NONE),
    "no-dns-resolvers": (_hardening(dns_upstreams=("10.96.0.10",)), NONE, NONE),
    "no-service-account-token": (NONE, _pod_config(automountServiceAccountToken=True), NONE),
    "no-service-links": (NONE, _pod_config(enableServiceLinks=True), NONE),
    "policy-selects-the-project": (NONE, NONE, _policy(lambda spec: spec["podSelector"]["matchLabels"].update(
        {"org.haven.project": "other"}))),
    "policy-both-directions": (NONE, NONE, _policy(lambda spec: spec.update(policyTypes=["Ingress"]))),
    "egress-only-hub-and-egress": (lambda d: dataclasses.replace(d, reach=Reach(d.reach.hub_api_port, 443)),
                                   NONE, NONE),
    "ingress-only-hub-and-proxy": (NONE, NONE, _policy(lambda spec: spec["ingress"].append(
        {"from": [{"namespaceSelector": {}}], "ports": [{"protocol": "TCP", "port": 8888}]}))),
}
REMOVALS["tmp-size-capped"] = (lambda d: dataclasses.replace(
    d, hardening=dataclasses.replace(d.hardening, tmp=dataclasses.replace(d.hardening.tmp, size="1G"))), NONE, NONE)


def test_every_control_has_a_removal_below():
    assert set(REMOVALS) == set(controls.CONTROLS)


@pytest.mark.parametrize("control", sorted(REMOVALS))
def test_removing_a_control_is_caught(make_pod, description, control):
    change_description, configure, change_policy = REMOVALS[control]
    changed = change_description(description) if change_description else description
    pod = make_pod(changed, configure) if configure else make_pod(changed)
    policy = policies.description_policy(changed, "haven")
    if change_policy:
        policy = change_policy(policy)
    # Still valid objects: only the controls' checker tells them apart from Haven's.
    validate(pod)
    validate(policy)
    assert control in controls.missing(pod, policy, description)


@pytest.mark.parametrize("peer", [{"ipBlock": {"cidr": "0.0.0.0/0"}},
                                  {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}},
                                  {"podSelector": {"matchLabels": {"component": "singleuser-server"}}}])
def test_the_charts_dns_and_internet_rules_and_other_servers_are_caught(make_pod, description, peer):
    pod = make_pod(description)
    policy = policies.description_policy(description, "haven")
    policy["spec"]["egress"].append({"to": [peer], "ports": [{"protocol": "UDP", "port": 53}]})
    assert "egress-only-hub-and-egress" in controls.missing(pod, policy, description)


def test_another_projects_policy_does_not_select_this_pod(make_pod, description):
    pod = make_pod(description)
    other = policies.project_policy("other", description.reach, "haven")
    assert "policy-selects-the-project" in controls.missing(pod, other, description)


def test_a_dataset_outside_the_catalogue_claim_is_refused_not_mounted(make_pod, description):
    # A row-filtered copy lives on the hub's disk, which the servers' dataset claim does not hold.
    moved = tuple(dataclasses.replace(mount, source="/var/lib/haven/filtered/admissions")
                  if mount.kind == "dataset" else mount for mount in description.mounts)
    with pytest.raises(ValueError, match="outside the catalogue"):
        make_pod(dataclasses.replace(description, mounts=moved))
