"""A project server, described once for every engine that runs it.

``describe()`` turns (user, project, settings) into a frozen ``ServerDescription``: who,
which project, the image, the limits, the hardening, the mounts, the environment and what
the server may reach. The Docker spawner (``lockdown``, ``spawner``) and the Kubernetes
spawner (``haven_hub.kubernetes``) only translate it into their engine's objects; no
lockdown value is written anywhere else, so a change here reaches every engine
(tests/unit/hub/test_server_description.py changes one value and sees both outputs change).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Literal, Mapping

from haven_disclosure import resolve_settings

from .settings import Limits, Settings, byte_count

NOTEBOOK_HOME = "/home/analyst"
WORKSPACE_MOUNT = f"{NOTEBOOK_HOME}/workspace"
DATA_MOUNT = "/data"
SCRATCH_MOUNT = "/scratch"
TMP_MOUNT = "/tmp"

# Docker's embedded resolver (127.0.0.11, on every user-defined network) forwards each name
# it cannot answer to upstream servers, by default the host's own resolvers: a name is a
# message, so a lookup carries data out. Engines before 26.0 / 25.0.4 / 23.0.11 forward from
# the host's namespace for a loopback host resolver even on internal networks
# (CVE-2024-29018). 0.0.0.0 is no resolver and not loopback: the engine dials it from the
# container's own namespace, where it is the container itself, so nothing leaves.
# docs/selfcheck.md has the evidence; tests/security/test_dns.py the proof.
NO_DNS_UPSTREAMS = ("0.0.0.0",)

MountKind = Literal["dataset", "workspace", "home", "scratch"]


@dataclass(frozen=True)
class Mount:
    """One filesystem the server sees. ``source`` is the engine-neutral identity: a dataset's
    resolved version directory, or the project id (workspace) or user (home, scratch) whose
    storage it is; each engine maps a kind to its own object (bind, volume, PVC sub-path)."""

    kind: MountKind
    target: str
    source: str
    read_only: bool
    name: str = ""  # a dataset's name


@dataclass(frozen=True)
class Tmpfs:
    path: str
    size: str
    # nosuid/nodev: a scratch /tmp on a read-only root must not carry set-uid binaries or devices.
    options: tuple[str, ...] = ("rw", "nosuid", "nodev")
    mode: int = 0o1777


@dataclass(frozen=True)
class Hardening:
    uid: int
    gid: int
    tmp: Tmpfs
    run_as_non_root: bool = True
    read_only_root: bool = True
    drop_capabilities: tuple[str, ...] = ("ALL",)
    no_new_privileges: bool = True
    # Kubernetes' name; Docker applies its default profile unless told otherwise.
    seccomp: Literal["RuntimeDefault"] = "RuntimeDefault"
    # Link-local IPv6 would reach host services on [::] past the IPv4 firewall.
    disable_ipv6: bool = True
    dns_upstreams: tuple[str, ...] = NO_DNS_UPSTREAMS


@dataclass(frozen=True)
class Resources:
    cpu: float
    memory: str
    pids: int

    @property
    def memory_bytes(self) -> int:
        return byte_count(self.memory)


@dataclass(frozen=True)
class Reach:
    """All the server may open connections to: the hub API and the egress service. Nothing
    else (no DNS, no internet, no other project); each engine enforces it its own way
    (Docker: an internal network and the host firewall; Kubernetes: NetworkPolicies)."""

    hub_api_port: int
    egress_port: int

    @property
    def tcp_ports(self) -> tuple[int, ...]:
        return (self.hub_api_port, self.egress_port)


@dataclass(frozen=True)
class ServerDescription:
    user: str
    project: str
    image: str
    resources: Resources
    hardening: Hardening
    mounts: tuple[Mount, ...]
    reach: Reach
    environment: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    labels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def server_name(self) -> str:
        # The server name is the project id: /user/ada/demo/ is Ada's server for project demo.
        return self.project

    def mounts_of(self, kind: MountKind) -> tuple[Mount, ...]:
        return tuple(mount for mount in self.mounts if mount.kind == kind)


PROJECT_LABEL = "org.haven.project"
USER_LABEL = "org.haven.user"


def hardening_for(uid: int, tmp_size: str) -> Hardening:
    return Hardening(uid=uid, gid=uid, tmp=Tmpfs(TMP_MOUNT, tmp_size))


def resources_for(limits: Limits) -> Resources:
    return Resources(cpu=limits.cpu, memory=limits.memory, pids=limits.pids)


# The project's disclosure rules as the checks will apply them (its preset with the operator's
# overrides), so ``haven.safe`` in the server makes outputs that pass them (haven/_safe_rules.py).
DISCLOSURE_RULES_ENV = "HAVEN_DISCLOSURE_RULES"
_SAFE_HELPER_RULES = ("threshold", "rounding_base", "zeros_are_structural", "nk_n", "nk_k", "p_ratio")


def disclosure_rules(project, settings: Settings) -> str:
    preset = project.disclosure_preset or settings.egress.disclosure_preset
    resolved = resolve_settings(preset, settings.egress.disclosure_overrides.get(preset)).as_dict()
    return json.dumps({"preset": preset, **{name: resolved[name] for name in _SAFE_HELPER_RULES}})


def describe(user: str, project, settings: Settings, datasets: tuple[tuple[str, Path], ...] = (),
             *, terminals: bool | None = None, browser_bytes_per_day: int | None = None) -> ServerDescription:
    """The server of ``user`` for ``project`` (a haven_hub.projects.Project).

    ``datasets`` are the project's grants resolved now, at spawn, as (name, version
    directory), so a server keeps the version it started with.
    """
    mounts = (
        Mount("workspace", WORKSPACE_MOUNT, project.id, read_only=False),
        Mount("home", NOTEBOOK_HOME, user, read_only=False),
        # Disk-backed, so DuckDB's spills do not count against the memory limit as a tmpfs would.
        Mount("scratch", SCRATCH_MOUNT, user, read_only=False),
        *(Mount("dataset", f"{DATA_MOUNT}/{name}", str(source), read_only=True, name=name)
          for name, source in datasets),
    )
    terminals = project.terminals if terminals is None else terminals
    environment = {
        "HAVEN_PROJECT": project.id,
        "HAVEN_DATA_DIR": DATA_MOUNT,
        "HAVEN_WORKSPACE_DIR": WORKSPACE_MOUNT,
        "HAVEN_SCRATCH_DIR": SCRATCH_MOUNT,
        "HAVEN_SCRATCH_MAX_SIZE": str(byte_count(settings.datasets.scratch_size)),
        # 0: the contents manager refuses uploads from the browser (haven_lab.uploads).
        "HAVEN_LAB_UPLOAD_MAX_SIZE": str(settings.egress.ingress.lab_upload_max_size),
        # The image's server config turns terminals on only for "1" (off when absent).
        "HAVEN_TERMINALS": "1" if terminals else "0",
    }
    environment[DISCLOSURE_RULES_ENV] = disclosure_rules(project, settings)
    if browser_bytes_per_day is not None:
        # The server refuses on its own past this even while the hub cannot be reached.
        environment["HAVEN_BROWSER_BYTES_PER_DAY"] = str(browser_bytes_per_day)
    return ServerDescription(
        user=user,
        project=project.id,
        image=settings.spawner.image,
        resources=resources_for(project.limits),
        hardening=hardening_for(settings.spawner.container_uid, settings.spawner.tmp_size),
        mounts=mounts,
        reach=Reach(hub_api_port=settings.hub.api_port, egress_port=settings.egress.port),
        environment=MappingProxyType(environment),
        labels=MappingProxyType({PROJECT_LABEL: project.id, USER_LABEL: user}),
    )
