"""The hub, the spawner, networks, images, datasets, the idle culler and the admin pages."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from .common import BYTE_SIZE, _Section

# Debian's adduser never gives out ids from 60000 up; subordinate id ranges start at 100000.
DEFAULT_CONTAINER_UID = 70_000


class Hub(_Section):
    public_ip: str = Field("127.0.0.1", description="Address the public proxy listens on.")
    public_port: int = Field(8000, ge=1, le=65535, description="Port the public proxy listens on.")
    api_port: int = Field(
        8081,
        ge=1,
        le=65535,
        description=(
            "Port of the hub API. It listens on every address, and the host firewall admits it only "
            "from loopback and the project networks' gateways."
        ),
    )
    proxy_api_port: int = Field(8001, ge=1, le=65535, description="Port of the proxy's API (loopback).")
    data_dir: Path = Field(
        Path("/var/lib/haven"),
        description="Where the hub keeps its database, secrets, workspaces and logs.",
    )
    proxy_command: list[str] = Field(
        default_factory=lambda: ["configurable-http-proxy"],
        description="Command that starts configurable-http-proxy.",
    )
    operator_token_file: Path = Field(
        Path("secrets/operator-api-token"),
        description=(
            "File holding the API token of the `haven-operator` service, which the `haven` admin "
            "command uses (admin of users, groups and servers; no access to servers' contents)."
        ),
    )
    audit_grace_seconds: float = Field(
        10,
        ge=0,
        le=300,
        description=(
            "How long an audit event may stay past its chain's anchored head (the time a writer takes "
            "from its commit to the head file). `haven audit verify` fails on older unanchored events: "
            "no Haven writer reported them, so they were appended without it (see docs/audit.md)."
        ),
    )


class Swarm(_Section):
    registry: str = Field(
        "",
        description=(
            "`host:port` of the private registry every swarm node pulls the notebook image from "
            "(`haven swarm push` puts `spawner.image` there; docs/swarm.md). Required when `engine` is `swarm`."
        ),
    )
    hub_host: str = Field(
        "haven-hub",
        description=(
            "Name project servers reach the hub API and the egress service by, on their project's overlay "
            "network: the container the hub runs in on the manager, joined to every project network."
        ),
    )
    attach_containers: list[str] = Field(
        default_factory=lambda: ["haven-hub"],
        description="Containers on the manager joined to each project's overlay network when it is made (the hub's).",
    )
    placement_constraints: list[str] = Field(
        default_factory=list,
        description="Swarm placement constraints of every project server, e.g. `node.labels.haven == analysis`.",
    )


class Spawner(_Section):
    image: str = Field("haven/notebook:latest", description="Single-user notebook image.")
    start_timeout: int = Field(120, ge=10, description="Seconds a server may take to start.")
    tmp_size: Annotated[str, Field(pattern=BYTE_SIZE)] = Field(
        "512M", description="Size of the tmpfs at /tmp (counts against the memory limit)."
    )
    container_prefix: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,15}$")] = Field(
        "haven", description="Prefix of container and volume names."
    )
    container_uid: int = Field(
        DEFAULT_CONTAINER_UID,
        ge=65_536,
        le=2_147_483_646,
        description=(
            "The uid (and gid) project servers run as, which owns each project's workspace on the "
            "host (mode 0700). It must be an id no host account or group has: the hub refuses to "
            "start if one does, or if it lies in a range of `/etc/subuid` or `/etc/subgid`. The "
            "default is above Debian's ordinary (1000-59999) and reserved (60000-65535) ids, which "
            "`adduser` never hands out, and below the usual subordinate ranges (from 100000). The "
            "notebook image is built for it (`images/build.py`): rebuild after changing it."
        ),
    )
    active_server_limit: int | None = Field(
        None,
        ge=0,
        description=(
            "Most project servers running (or starting) at once on this host; one more start is refused "
            "with \"Active user limit exceeded\" until one stops. Empty: derived from the host, its memory "
            "divided by a default project server's memory limit (2G), at least 1. 0: no limit."
        ),
    )
    concurrent_spawn_limit: int | None = Field(
        None,
        ge=0,
        description=(
            "Most project servers starting at the same moment; one more start is refused with \"Too many "
            "users trying to log in right now\" and a time to retry. Empty: derived from the host, twice "
            "its CPU count, at least 2. 0: no limit."
        ),
    )
    engine: Literal["docker", "swarm"] = Field(
        "docker",
        description=(
            "What runs project servers: `docker`, containers on this host's engine; `swarm`, services on a "
            "Docker Swarm whose manager `DOCKER_HOST` names, each project on its own internal overlay network "
            "(docs/swarm.md)."
        ),
    )
    swarm: Swarm = Field(default_factory=Swarm, description="Docker Swarm, used when `engine` is `swarm`.")

    @model_validator(mode="after")
    def _swarm_has_a_registry(self) -> Spawner:
        if self.engine == "swarm" and not self.swarm.registry:
            raise ValueError("spawner.engine is swarm: set spawner.swarm.registry, the registry the nodes pull from")
        return self


class Network(_Section):
    bridge_prefix: Annotated[str, Field(pattern=r"^[a-z]{1,5}-$")] = Field(
        "hv-",
        description=(
            "Prefix of the Linux bridge of each project's internal network; the host firewall "
            "matches it. Names are at most 15 characters, so long project ids are hashed."
        ),
    )
    firewall_chain: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9-]{1,24}$")] = Field(
        "HAVEN-INPUT", description="iptables chain holding the rules for traffic from projects to the host."
    )


class Images(_Section):
    base_image: str = Field(
        "",
        description=(
            "Base of the notebook image. Empty: build `haven/base:bookworm` locally with debootstrap "
            "(no registry needed). Set e.g. `debian:bookworm-slim` where a registry is reachable."
        ),
    )
    build_ca_bundle: Path | None = Field(
        Path("/etc/ssl/certs/ca-certificates.crt"),
        description=(
            "CA bundle trusted by pip during image builds, for networks that intercept TLS. "
            "Used in the build stage only; it does not reach the final image."
        ),
    )




class Datasets(_Section):
    catalogue_dir: Path = Field(
        Path("datasets"),
        description="The dataset catalogue (immutable, versioned Parquet); relative paths are under `hub.data_dir`.",
    )
    scratch_size: Annotated[str, Field(pattern=BYTE_SIZE)] = Field(
        "20G",
        description=(
            "Most disk DuckDB may spill to per server (its `max_temp_directory_size`), on a "
            "disk-backed volume at `/scratch`, so a query larger than memory slows down instead "
            "of failing. The volume itself is not size-capped by Docker's local driver."
        ),
    )
    demo_rows: int = Field(
        100_000, ge=100, description="Rows of the synthetic admissions dataset `scripts/up` loads for the demo."
    )


class IdleCuller(_Section):
    timeout_minutes: float = Field(
        60,
        ge=0,
        description=(
            "Project servers idle this long are stopped by jupyterhub-idle-culler (a hub service). "
            "Idle means no kernel or terminal activity and no browser traffic. 0 turns culling off."
        ),
    )
    every_seconds: int = Field(
        300, ge=1, le=3600, description="How often the culler looks for idle servers."
    )


class Admin(_Section):
    port: int = Field(
        8083,
        ge=1,
        le=65535,
        description="Port of the admin pages service (`/services/admin/`, loopback only; the proxy serves it).",
    )
    sweep_minutes: float = Field(
        15,
        gt=0,
        description=(
            "How often the admin service suspends projects whose end date has passed (and stops "
            "their servers), as `haven project sweep` does."
        ),
    )
    disk_warning_percent: int = Field(
        80,
        ge=1,
        le=100,
        description=(
            "A project's workspace using this share of its disk quota is flagged on the admin and "
            "project pages. Quotas are measured, not enforced, on filesystems without quota support."
        ),
    )
    retention_days: int = Field(
        365,
        ge=0,
        description=(
            "Days an archived project's workspace, home and scratch volumes and unreleased outputs are "
            "kept before `haven project close-out` may delete them (a project's own `retention_days` "
            "overrides it). Released outputs and the audit chains are never deleted. See "
            "docs/incidents-and-close-out.md."
        ),
    )
    public_register: bool = Field(
        False,
        description=(
            "Serve the public transparency register at `/services/admin/register` (HTML, JSON, CSV) to anyone, "
            "without a login: projects' public fields, the dataset catalogue, outputs released. Off: its "
            "addresses answer 404 (`docs/transparency.md`)."
        ),
    )


