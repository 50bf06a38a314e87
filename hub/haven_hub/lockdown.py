"""The container hardening of a project server, as Docker create arguments.

Each ``Hardening`` is one named setting that translates one part of the server's
description (haven_hub.server_description, where every value is decided) into Docker's
create arguments. The spawner applies all of them; the security tests start containers
with each one left out in turn and show that the matching probe then fails, so every
entry here is proven to matter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from . import server_description
from .server_description import NO_DNS_UPSTREAMS, Resources
from .server_description import Hardening as Described
from .settings import Limits
from .settings.platform import DEFAULT_CONTAINER_UID

__all__ = ["HARDENINGS", "HARDENING_NAMES", "NO_DNS_UPSTREAMS", "ContainerSpec", "container_spec", "hardened_spec"]


@dataclass(frozen=True)
class ContainerSpec:
    """Arguments for docker-py's low-level ``create_container`` and ``create_host_config``."""

    create: dict[str, Any]
    host_config: dict[str, Any]


@dataclass(frozen=True)
class SpecInputs:
    resources: Resources
    hardening: Described


@dataclass(frozen=True)
class Hardening:
    name: str
    why: str
    apply: Callable[[ContainerSpec, SpecInputs], None]


def _non_root(spec: ContainerSpec, inputs: SpecInputs) -> None:
    # A uid no host account has (the hub checks at start-up): the workspace it owns on the
    # host is nobody else's there.
    spec.create["user"] = f"{inputs.hardening.uid}:{inputs.hardening.gid}"


def _drop_capabilities(spec: ContainerSpec, inputs: SpecInputs) -> None:
    spec.host_config["cap_drop"] = list(inputs.hardening.drop_capabilities)


def _no_new_privileges(spec: ContainerSpec, inputs: SpecInputs) -> None:
    spec.host_config.setdefault("security_opt", []).append(
        f"no-new-privileges:{str(inputs.hardening.no_new_privileges).lower()}")


def _read_only_root(spec: ContainerSpec, inputs: SpecInputs) -> None:
    spec.host_config["read_only"] = inputs.hardening.read_only_root


def _tmpfs(spec: ContainerSpec, inputs: SpecInputs) -> None:
    tmp = inputs.hardening.tmp
    spec.host_config["tmpfs"] = {tmp.path: ",".join((*tmp.options, f"size={tmp.size}", f"mode={tmp.mode:o}"))}


def _pids_limit(spec: ContainerSpec, inputs: SpecInputs) -> None:
    spec.host_config["pids_limit"] = inputs.resources.pids


def _memory_limit(spec: ContainerSpec, inputs: SpecInputs) -> None:
    spec.host_config["mem_limit"] = inputs.resources.memory
    # Equal to mem_limit: no swap on top of the limit.
    spec.host_config["memswap_limit"] = inputs.resources.memory


def _cpu_limit(spec: ContainerSpec, inputs: SpecInputs) -> None:
    spec.host_config["cpu_period"] = 100_000
    spec.host_config["cpu_quota"] = int(inputs.resources.cpu * 100_000)


def _no_ipv6(spec: ContainerSpec, inputs: SpecInputs) -> None:
    if inputs.hardening.disable_ipv6:
        spec.host_config.setdefault("sysctls", {})["net.ipv6.conf.all.disable_ipv6"] = "1"


def _no_dns_forwarding(spec: ContainerSpec, inputs: SpecInputs) -> None:
    spec.host_config["dns"] = list(inputs.hardening.dns_upstreams)


HARDENINGS: tuple[Hardening, ...] = (
    Hardening("non-root-user", "the server runs as an unprivileged user", _non_root),
    Hardening("drop-capabilities", "no Linux capabilities, not even in the bounding set", _drop_capabilities),
    Hardening("no-new-privileges", "set-uid binaries cannot raise privileges", _no_new_privileges),
    Hardening("read-only-root", "the image cannot be changed from inside", _read_only_root),
    Hardening("tmpfs-tmp", "a size-capped scratch /tmp on the read-only root", _tmpfs),
    Hardening("pids-limit", "a fork bomb stops at the project's limit", _pids_limit),
    Hardening("memory-limit", "memory is capped at the project's limit, without swap", _memory_limit),
    Hardening("cpu-limit", "CPU is capped at the project's share", _cpu_limit),
    Hardening("no-ipv6", "no IPv6 addresses, so no path around the IPv4 firewall", _no_ipv6),
    Hardening("no-dns-forwarding", "the container's resolver forwards lookups nowhere", _no_dns_forwarding),
)
HARDENING_NAMES = tuple(hardening.name for hardening in HARDENINGS)


def container_spec(resources: Resources, hardening: Described, *, omit: frozenset[str] = frozenset()) -> ContainerSpec:
    """Docker's create arguments for a described server; ``omit`` exists for the security tests only.
    Docker's default seccomp profile is Kubernetes' RuntimeDefault, so nothing is added for it."""
    unknown = omit - set(HARDENING_NAMES)
    if unknown:
        raise ValueError(f"unknown hardening settings: {sorted(unknown)}")
    spec = ContainerSpec(create={}, host_config={})
    inputs = SpecInputs(resources, hardening)
    for entry in HARDENINGS:
        if entry.name not in omit:
            entry.apply(spec, inputs)
    return spec


def hardened_spec(limits: Limits, tmp_size: str, *, uid: int = DEFAULT_CONTAINER_UID,
                  omit: frozenset[str] = frozenset()) -> ContainerSpec:
    """The create arguments of a project server running as ``uid`` (``spawner.container_uid``)."""
    return container_spec(server_description.resources_for(limits),
                          server_description.hardening_for(uid, tmp_size), omit=omit)
