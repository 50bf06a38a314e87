"""The container hardening of a project server, as data.

Each ``Hardening`` is one named setting applied to the Docker create arguments. The
spawner applies all of them; the security tests start containers with each one left
out in turn and show that the matching probe then fails, so every entry here is proven
to matter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from .settings import Limits
from .settings.platform import DEFAULT_CONTAINER_UID


@dataclass(frozen=True)
class ContainerSpec:
    """Arguments for docker-py's low-level ``create_container`` and ``create_host_config``."""

    create: dict[str, Any]
    host_config: dict[str, Any]


@dataclass(frozen=True)
class SpecInputs:
    limits: Limits
    tmp_size: str
    uid: int  # spawner.container_uid, the gid the same


@dataclass(frozen=True)
class Hardening:
    name: str
    why: str
    apply: Callable[[ContainerSpec, SpecInputs], None]


def _non_root(spec: ContainerSpec, inputs: SpecInputs) -> None:
    # A uid no host account has (the hub checks at start-up): the workspace it owns on the
    # host is nobody else's there.
    spec.create["user"] = f"{inputs.uid}:{inputs.uid}"


def _drop_capabilities(spec: ContainerSpec, inputs: SpecInputs) -> None:
    spec.host_config["cap_drop"] = ["ALL"]


def _no_new_privileges(spec: ContainerSpec, inputs: SpecInputs) -> None:
    spec.host_config.setdefault("security_opt", []).append("no-new-privileges:true")


def _read_only_root(spec: ContainerSpec, inputs: SpecInputs) -> None:
    spec.host_config["read_only"] = True


def _tmpfs(spec: ContainerSpec, inputs: SpecInputs) -> None:
    # A read-only root still needs a scratch /tmp; nosuid/nodev so it cannot carry
    # set-uid binaries or device nodes.
    spec.host_config["tmpfs"] = {"/tmp": f"rw,nosuid,nodev,size={inputs.tmp_size},mode=1777"}


def _pids_limit(spec: ContainerSpec, inputs: SpecInputs) -> None:
    spec.host_config["pids_limit"] = inputs.limits.pids


def _memory_limit(spec: ContainerSpec, inputs: SpecInputs) -> None:
    spec.host_config["mem_limit"] = inputs.limits.memory
    # Equal to mem_limit: no swap on top of the limit.
    spec.host_config["memswap_limit"] = inputs.limits.memory


def _cpu_limit(spec: ContainerSpec, inputs: SpecInputs) -> None:
    spec.host_config["cpu_period"] = 100_000
    spec.host_config["cpu_quota"] = int(inputs.limits.cpu * 100_000)


def _no_ipv6(spec: ContainerSpec, inputs: SpecInputs) -> None:
    # Link-local IPv6 would reach host services on [::] past the IPv4 firewall.
    spec.host_config.setdefault("sysctls", {})["net.ipv6.conf.all.disable_ipv6"] = "1"


# Docker's embedded resolver (127.0.0.11, on every user-defined network) forwards each name
# it cannot answer to upstream servers, by default the host's own resolvers: a name is a
# message, so a lookup carries data out. Engines before 26.0 / 25.0.4 / 23.0.11 forward from
# the host's namespace for a loopback host resolver even on internal networks
# (CVE-2024-29018). 0.0.0.0 is no resolver and not loopback: the engine dials it from the
# container's own namespace, where it is the container itself, so nothing leaves.
# docs/selfcheck.md has the evidence; tests/security/test_dns.py the proof.
NO_DNS_UPSTREAMS = ("0.0.0.0",)


def _no_dns_forwarding(spec: ContainerSpec, inputs: SpecInputs) -> None:
    spec.host_config["dns"] = list(NO_DNS_UPSTREAMS)


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


def hardened_spec(limits: Limits, tmp_size: str, *, uid: int = DEFAULT_CONTAINER_UID,
                  omit: frozenset[str] = frozenset()) -> ContainerSpec:
    """The create arguments of a project server running as ``uid`` (``spawner.container_uid``);
    ``omit`` exists for the security tests only."""
    unknown = omit - set(HARDENING_NAMES)
    if unknown:
        raise ValueError(f"unknown hardening settings: {sorted(unknown)}")
    spec = ContainerSpec(create={}, host_config={})
    inputs = SpecInputs(limits, tmp_size, uid)
    for hardening in HARDENINGS:
        if hardening.name not in omit:
            hardening.apply(spec, inputs)
    return spec
