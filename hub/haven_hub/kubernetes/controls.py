"""Every control of a project server, checked on the generated Kubernetes objects.

``missing(pod, policy, description)`` names each control the pod manifest (as KubeSpawner
made it, serialised) or the project's NetworkPolicy lacks. The tests remove controls one at a
time and require each to be named, so a control that silently drops out of the generated
objects fails them.
"""

from __future__ import annotations

from typing import Any, Callable

from ..server_description import PROJECT_LABEL, ServerDescription
from . import policies
from .pod import DATASETS_VOLUME, TMP_VOLUME

Check = Callable[[dict[str, Any], dict[str, Any], ServerDescription], bool]


def _container(pod: dict[str, Any]) -> dict[str, Any]:
    return pod["spec"]["containers"][0]


def _security(pod: dict[str, Any]) -> dict[str, Any]:
    return _container(pod).get("securityContext") or {}


def _volumes(pod: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {volume["name"]: volume for volume in pod["spec"].get("volumes") or []}


def _seccomp(pod: dict[str, Any], description: ServerDescription) -> bool:
    wanted = description.hardening.seccomp
    container = (_security(pod).get("seccompProfile") or {}).get("type")
    pod_level = ((pod["spec"].get("securityContext") or {}).get("seccompProfile") or {}).get("type")
    return container == wanted or (container is None and pod_level == wanted)


def _resources(pod: dict[str, Any], description: ServerDescription) -> bool:
    resources = _container(pod).get("resources") or {}
    wanted = {"cpu": description.resources.cpu, "memory": description.resources.memory_bytes}
    return all(
        {key: _number(value) for key, value in (resources.get(part) or {}).items() if key in wanted} == wanted
        for part in ("limits", "requests"))


def _number(value: Any) -> float:
    return float(value)


def _mounts_as_described(pod: dict[str, Any], description: ServerDescription) -> bool:
    mounted = {mount["mountPath"]: mount for mount in _container(pod).get("volumeMounts") or []}
    return all(mount.target in mounted and bool(mounted[mount.target].get("readOnly")) == mount.read_only
               for mount in description.mounts)


def _datasets_read_only(pod: dict[str, Any], description: ServerDescription) -> bool:
    if not description.mounts_of("dataset"):
        return True
    claim = (_volumes(pod).get(DATASETS_VOLUME) or {}).get("persistentVolumeClaim") or {}
    return claim.get("readOnly") is True


def _tmp(pod: dict[str, Any], description: ServerDescription) -> bool:
    empty_dir = (_volumes(pod).get(TMP_VOLUME) or {}).get("emptyDir") or {}
    mounted = any(mount["mountPath"] == description.hardening.tmp.path and mount["name"] == TMP_VOLUME
                  for mount in _container(pod).get("volumeMounts") or [])
    return mounted and empty_dir.get("sizeLimit") == description.hardening.tmp.size


def _no_host_access(pod: dict[str, Any], description: ServerDescription) -> bool:
    spec = pod["spec"]
    host = any(spec.get(key) for key in ("hostNetwork", "hostPID", "hostIPC"))
    return not host and not any("hostPath" in volume for volume in _volumes(pod).values())


def _no_dns(pod: dict[str, Any], description: ServerDescription) -> bool:
    spec = pod["spec"]
    return (spec.get("dnsPolicy") == "None"
            and (spec.get("dnsConfig") or {}).get("nameservers") == list(description.hardening.dns_upstreams))


def _policy_selects(pod: dict[str, Any], policy: dict[str, Any], description: ServerDescription) -> bool:
    selector = policy["spec"]["podSelector"].get("matchLabels") or {}
    labels = pod["metadata"].get("labels") or {}
    return (selector.get(PROJECT_LABEL) == description.project and labels.get(PROJECT_LABEL) == description.project
            and all(labels.get(key) == value for key, value in selector.items()))


def _policy_both_ways(policy: dict[str, Any]) -> bool:
    return sorted(policy["spec"].get("policyTypes") or []) == ["Egress", "Ingress"]


def _peers_are_hub_or_proxy(rules: list[dict[str, Any]], key: str, allowed: list[dict[str, str]]) -> bool:
    for rule in rules:
        peers = rule.get(key) or []
        if not peers:  # an empty peer list means everyone
            return False
        for peer in peers:
            if set(peer) != {"podSelector"} or peer["podSelector"].get("matchLabels") not in allowed:
                return False  # an ipBlock, a namespaceSelector or another pod
        if not rule.get("ports"):
            return False
    return True


def _egress_only_hub_and_egress(policy: dict[str, Any], description: ServerDescription) -> bool:
    rules = policy["spec"].get("egress") or []
    ports = sorted(port["port"] for rule in rules for port in rule.get("ports") or [])
    return (_peers_are_hub_or_proxy(rules, "to", [policies.HUB])
            and ports == sorted(description.reach.tcp_ports)
            and all(port.get("protocol") == "TCP" for rule in rules for port in rule.get("ports") or []))


def _ingress_only_hub_and_proxy(policy: dict[str, Any], description: ServerDescription) -> bool:
    return _peers_are_hub_or_proxy(policy["spec"].get("ingress") or [], "from", [policies.HUB, policies.PROXY])


CONTROLS: dict[str, Check] = {
    "non-root-user": lambda pod, policy, d: (_security(pod).get("runAsNonRoot") is True
                                             and _security(pod).get("runAsUser") == d.hardening.uid != 0),
    "no-privilege-escalation": lambda pod, policy, d: _security(pod).get("allowPrivilegeEscalation") is False,
    "not-privileged": lambda pod, policy, d: not _security(pod).get("privileged"),
    "read-only-root": lambda pod, policy, d: _security(pod).get("readOnlyRootFilesystem") is True,
    "drop-capabilities": lambda pod, policy, d: (
        (_security(pod).get("capabilities") or {}).get("drop") == list(d.hardening.drop_capabilities)
        and not (_security(pod).get("capabilities") or {}).get("add")),
    "seccomp-runtime-default": lambda pod, policy, d: _seccomp(pod, d),
    "resources-from-project": lambda pod, policy, d: _resources(pod, d),
    "tmp-size-capped": lambda pod, policy, d: _tmp(pod, d),
    "mounts-as-described": lambda pod, policy, d: _mounts_as_described(pod, d),
    "datasets-read-only": lambda pod, policy, d: _datasets_read_only(pod, d),
    "no-host-access": lambda pod, policy, d: _no_host_access(pod, d),
    "no-dns-resolvers": lambda pod, policy, d: _no_dns(pod, d),
    "no-service-account-token": lambda pod, policy, d: pod["spec"].get("automountServiceAccountToken") is False,
    "no-service-links": lambda pod, policy, d: pod["spec"].get("enableServiceLinks") is False,
    "policy-selects-the-project": lambda pod, policy, d: _policy_selects(pod, policy, d),
    "policy-both-directions": lambda pod, policy, d: _policy_both_ways(policy),
    "egress-only-hub-and-egress": lambda pod, policy, d: _egress_only_hub_and_egress(policy, d),
    "ingress-only-hub-and-proxy": lambda pod, policy, d: _ingress_only_hub_and_proxy(policy, d),
}


def missing(pod: dict[str, Any], policy: dict[str, Any], description: ServerDescription) -> list[str]:
    return [name for name, check in CONTROLS.items() if not check(pod, policy, description)]
