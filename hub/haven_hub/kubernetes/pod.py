"""A described project server as KubeSpawner's settings: KubeSpawner builds the pod itself
(``get_pod_manifest``); every value here comes from the description."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..server_description import PROJECT_LABEL, Mount, ServerDescription

# The project's PersistentVolumeClaim: its workspace and its members' homes, one sub-path each.
PROJECT_VOLUME = "haven-project"
PROJECT_CLAIM_TEMPLATE = "haven-project-{servername}"
# The curated datasets, one read-only claim the operator provisions (ReadOnlyMany), mounted by
# sub-path per grant; the hub mounts the same claim at the catalogue directory.
DATASETS_VOLUME = "haven-datasets"
DATASETS_CLAIM = "haven-datasets"
SCRATCH_VOLUME = "haven-scratch"
TMP_VOLUME = "haven-tmp"


@dataclass(frozen=True)
class KubeSettings:
    """What Kubernetes needs beyond the description: where the datasets' claim is rooted."""

    catalogue_dir: str
    scratch_size: str


def security_contexts(description: ServerDescription) -> tuple[dict[str, Any], dict[str, Any]]:
    """(container securityContext, pod securityContext)."""
    hardening = description.hardening
    seccomp = {"type": hardening.seccomp}
    container = {
        "runAsUser": hardening.uid,
        "runAsGroup": hardening.gid,
        "runAsNonRoot": hardening.run_as_non_root,
        "allowPrivilegeEscalation": not hardening.no_new_privileges,
        "readOnlyRootFilesystem": hardening.read_only_root,
        "privileged": False,
        "capabilities": {"drop": list(hardening.drop_capabilities)},
        "seccompProfile": seccomp,
    }
    pod = {"runAsNonRoot": hardening.run_as_non_root, "fsGroup": hardening.gid, "seccompProfile": seccomp}
    return container, pod


def resources(description: ServerDescription) -> dict[str, Any]:
    """KubeSpawner's limits and guarantees: equal, so the pod is Guaranteed and never swaps
    past its project's share (Docker: memswap_limit = mem_limit)."""
    cpu, memory = description.resources.cpu, description.resources.memory_bytes
    return {"cpu_limit": cpu, "cpu_guarantee": cpu, "mem_limit": memory, "mem_guarantee": memory}


def _sub_path(mount: Mount, description: ServerDescription, settings: KubeSettings) -> tuple[str, str]:
    """(volume, subPath) of a described mount."""
    if mount.kind == "workspace":
        return PROJECT_VOLUME, "workspace"
    if mount.kind == "home":
        # Each member's home is theirs: a pod mounts only its own user's sub-path.
        return PROJECT_VOLUME, f"homes/{_safe(description.user)}"
    if mount.kind == "scratch":
        return SCRATCH_VOLUME, ""
    root = settings.catalogue_dir.rstrip("/") + "/"
    if not mount.source.startswith(root):
        raise ValueError(f"dataset {mount.name!r} at {mount.source} is outside the catalogue {settings.catalogue_dir}")
    return DATASETS_VOLUME, mount.source[len(root):]


def _safe(user: str) -> str:
    return "".join(char if char.isalnum() or char in "-_." else f"_{ord(char):x}" for char in user)


def volumes(description: ServerDescription, settings: KubeSettings,
            claim: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(KubeSpawner.volumes, KubeSpawner.volume_mounts), keyed as KubeSpawner sorts them;
    ``claim`` is the project's PersistentVolumeClaim (KubeSpawner's ``pvc_name``)."""
    tmp = description.hardening.tmp
    declared = {
        PROJECT_VOLUME: {"name": PROJECT_VOLUME, "persistentVolumeClaim": {"claimName": claim}},
        SCRATCH_VOLUME: {"name": SCRATCH_VOLUME, "emptyDir": {"sizeLimit": settings.scratch_size}},
        # In memory, capped like Docker's tmpfs; counted against the pod's memory limit.
        TMP_VOLUME: {"name": TMP_VOLUME, "emptyDir": {"medium": "Memory", "sizeLimit": tmp.size}},
    }
    mounts: dict[str, Any] = {TMP_VOLUME: {"name": TMP_VOLUME, "mountPath": tmp.path}}
    for mount in description.mounts:
        volume, sub_path = _sub_path(mount, description, settings)
        if volume == DATASETS_VOLUME:
            declared[DATASETS_VOLUME] = {"name": DATASETS_VOLUME,
                                         "persistentVolumeClaim": {"claimName": DATASETS_CLAIM, "readOnly": True}}
        entry = {"name": volume, "mountPath": mount.target, "readOnly": mount.read_only}
        if sub_path:
            entry["subPath"] = sub_path
        # Keyed by target: KubeSpawner sorts by key, so a home is mounted before the workspace in it.
        mounts[mount.target] = entry
    return declared, mounts


def pod_config(description: ServerDescription) -> dict[str, Any]:
    """Pod fields KubeSpawner has no setting of its own for."""
    return {
        # The described resolvers only (none that answers): the NetworkPolicies refuse DNS too.
        "dnsPolicy": "None",
        "dnsConfig": {"nameservers": list(description.hardening.dns_upstreams)},
        # No service addresses handed to the server in its environment.
        "enableServiceLinks": False,
        "automountServiceAccountToken": False,
    }


def labels(description: ServerDescription) -> dict[str, str]:
    # The user is labelled by KubeSpawner itself (escaped); the project selects the NetworkPolicy.
    return {PROJECT_LABEL: description.project}
