"""A project server as a Docker Swarm service, translated from its description.

Every value comes from ``haven_hub.server_description``; this module only says where each
goes in a service's task template (docker-py's ``ContainerSpec``, ``Resources``, ``Mount``).
What a service cannot carry on the engines Haven targets (Docker 20.10, API 1.41) is named
in ``NOT_EXPRESSIBLE`` with its compensation, so a new field of the description that nobody
translated fails the unit tests instead of being dropped (docs/swarm.md).
"""

from __future__ import annotations

import hashlib
import time
from typing import Any, Callable, Mapping

import docker
from docker.errors import NotFound
from docker.types import ContainerSpec, DNSConfig, EndpointSpec, Mount, Placement, Resources, TaskTemplate

from .server_description import PROJECT_LABEL, Hardening, ServerDescription
from .server_description import Resources as DescribedResources

# What a Swarm service cannot express, and what stands in for it. Checked against the
# description's fields by tests/unit/hub/test_swarm_service.py.
NOT_EXPRESSIBLE: dict[str, str] = {
    "no_new_privileges": (
        "A service's ContainerSpec has no no-new-privileges setting in API 1.41 (Docker 20.10); "
        "newer engines were not tried. Compensated: the notebook image "
        "carries no set-uid, set-gid or file-capability binary (tests/integration/test_image_privileges.py), "
        "and every capability is dropped, so there is nothing to gain privileges from."),
    "memory_swap": (
        "A service has no swap limit: the engine lets a container swap as much again as its memory "
        "limit. Swarm nodes run without swap (docs/swarm.md), so the memory limit is the whole budget."),
}
# Description fields the engine satisfies by its own default, with nothing to set.
ENGINE_DEFAULTS: dict[str, str] = {
    "seccomp": "every service container gets Docker's default seccomp profile (Kubernetes' RuntimeDefault)",
    "run_as_non_root": "implied by user: the uid is never 0 (settings: spawner.container_uid)",
}

# Docker 20.10's engine has no IPVS load balancer on a kernel without CONFIG_IP_VS, and a
# project server is one task: its service name resolves straight to the task (DNS
# round-robin), so no virtual IP and no ingress routing mesh is ever made.
ENDPOINT_MODE = "dnsrr"


def _tmpfs_mount(hardening: Hardening) -> Mount:
    # A service's tmpfs mount takes no mount options, but the engine mounts it nosuid,nodev
    # (the swarm test reads /proc/mounts to prove it): the description's options hold.
    tmp = hardening.tmp
    return Mount(target=tmp.path, source="", type="tmpfs", tmpfs_size=tmp.size, tmpfs_mode=tmp.mode)


# Where each hardening field of the description goes: (ContainerSpec kwargs) or mounts.
HARDENING_TO_CONTAINER: dict[str, Callable[[Hardening], dict[str, Any]]] = {
    "uid": lambda h: {"user": f"{h.uid}:{h.gid}"},  # the gid too: one "user" setting
    "read_only_root": lambda h: {"read_only": h.read_only_root},
    "drop_capabilities": lambda h: {"cap_drop": list(h.drop_capabilities)},
    "disable_ipv6": lambda h: {"sysctls": {"net.ipv6.conf.all.disable_ipv6": "1"}} if h.disable_ipv6 else {},
    "dns_upstreams": lambda h: {"dns_config": DNSConfig(nameservers=list(h.dns_upstreams))},
    "tmp": lambda h: {},  # a mount: _tmpfs_mount
}
RESOURCE_FIELDS = ("cpu", "memory", "pids")


def translated_fields() -> set[str]:
    return {*HARDENING_TO_CONTAINER, "gid", *NOT_EXPRESSIBLE, *ENGINE_DEFAULTS, *RESOURCE_FIELDS}


def resources(described: DescribedResources) -> Resources:
    spec = Resources(cpu_limit=int(described.cpu * 1e9), mem_limit=described.memory_bytes)
    # docker-py 7.2 has no argument for it; the engine's Limits.Pids is API 1.41.
    spec["Limits"]["Pids"] = described.pids
    return spec


def container_kwargs(hardening: Hardening, omit: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The ContainerSpec arguments of the hardening; ``omit`` exists for the control tests only."""
    unknown = omit - set(HARDENING_TO_CONTAINER)
    if unknown:
        raise ValueError(f"not hardening fields a service carries: {sorted(unknown)}")
    kwargs: dict[str, Any] = {}
    for name, translate in HARDENING_TO_CONTAINER.items():
        if name not in omit:
            for key, value in translate(hardening).items():
                kwargs.setdefault(key, value)
    return kwargs


def service_spec(described: ServerDescription, *, name: str, network: str, mount_source: Callable[[Any], str],
                 env: Mapping[str, str], args: list[str], placement: Placement | None = None,
                 omit: frozenset[str] = frozenset()) -> dict[str, Any]:
    """``APIClient.create_service`` arguments for a described server on ``network``.

    ``mount_source(mount)`` names each described mount as the engine sees it: an absolute
    path is a bind (on every node, so a shared filesystem), anything else a named volume.
    """
    mounts = [_tmpfs_mount(described.hardening)] if "tmp" not in omit else []
    for mount in described.mounts:
        source = mount_source(mount)
        mounts.append(Mount(target=mount.target, source=source, type="bind" if source.startswith("/") else "volume",
                            read_only=mount.read_only))
    container = ContainerSpec(image=described.image, args=args, env=dict(env), labels=dict(described.labels),
                              mounts=mounts, **container_kwargs(described.hardening, omit - {"tmp"}))
    task = TaskTemplate(container_spec=container, resources=resources(described.resources),
                        networks=[network], placement=placement,
                        # A server that exits is the hub's to notice, not the swarm's to restart.
                        restart_policy={"Condition": "none"})
    return {"name": name, "task_template": task, "labels": dict(described.labels),
            "endpoint_spec": EndpointSpec(mode=ENDPOINT_MODE)}


def overlay_name(container_prefix: str, project_id: str) -> str:
    # Overlay names are not Linux interface names, but the VXLAN device is made from the
    # network id, not the name; a long id only needs to stay a valid Docker name.
    name = f"{container_prefix}-swarm-{project_id}"
    return name if len(name) <= 60 else f"{container_prefix}-swarm-{hashlib.sha256(project_id.encode()).hexdigest()[:16]}"


def ensure_project_overlay(client: docker.DockerClient, *, container_prefix: str, project_id: str,
                           attach: tuple[str, ...] = ()) -> str:
    """The project's own internal overlay network, made if missing; ``attach``: containers on
    the manager (the hub, the egress service) joined to it so servers reach them by name.

    Internal: no gateway and no docker_gwbridge, so a task reaches nothing outside the
    network, not even its own node. Attachable: a plain container (the hub) may join.
    """
    name = overlay_name(container_prefix, project_id)
    try:
        network = client.networks.get(name)
    except NotFound:
        network = client.networks.create(name, driver="overlay", internal=True, attachable=True,
                                         labels={PROJECT_LABEL: project_id})
    attrs = network.attrs
    for _ in range(50):
        # A network just made is inspected before the swarm's allocator has filled in its
        # driver ("" for a moment); wait for it rather than mistake it for another kind.
        if attrs.get("Driver") or attrs.get("Scope") != "swarm":
            break
        time.sleep(0.1)
        network.reload()
        attrs = network.attrs
    if attrs.get("Driver") != "overlay" or not attrs.get("Internal"):
        raise RuntimeError(f"network {name} exists but is not an internal overlay network (driver "
                           f"{attrs.get('Driver')!r}, internal {attrs.get('Internal')!r}, scope {attrs.get('Scope')!r}, "
                           f"id {network.id[:12]}); remove it and try again")
    joined = {container["Name"] for container in (network.attrs.get("Containers") or {}).values()}
    for container in attach:
        if container not in joined:
            network.connect(container)
    return name



def registry_reference(registry: str, image: str) -> str:
    """``image`` (``repository:tag``) as the nodes pull it from ``registry`` (``host:port``)."""
    return f"{registry}/{image}"


def push_image(client: docker.DockerClient, image: str, registry: str, *, pushed_as: str | None = None) -> str:
    """Pushes ``image`` from ``client``'s engine to ``registry``; returns the reference the nodes
    pull, pinned by digest so every node runs the same bytes whatever the tag does later.

    ``pushed_as``: the registry's address as this engine reaches it, when the nodes name it
    otherwise (a test registry published on this host's loopback).
    """
    repository, _, tag = image.rpartition(":") if ":" in image.rsplit("/", 1)[-1] else (image, "", "latest")
    local = registry_reference(pushed_as or registry, repository)
    client.images.get(image).tag(local, tag)
    try:
        for line in client.api.push(local, tag, stream=True, decode=True):
            if "error" in line:
                raise RuntimeError(f"push of {image} to {pushed_as or registry} failed: {line['error']}")
        digest = client.images.get_registry_data(f"{local}:{tag}").id
    finally:
        client.images.remove(f"{local}:{tag}", noprune=True)
    return f"{registry_reference(registry, repository)}:{tag}@{digest}"
