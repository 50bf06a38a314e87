"""The probe in a container, and what the host knows about that container.

Both ``haven selfcheck`` and the security tests run the probe through :func:`run_probe`
(the root filesystem is read-only, so the script travels as an argument, not a file).
"""

from __future__ import annotations

import json
from pathlib import Path

import docker

from .. import lockdown
from .checks import DOCKER_API_PORTS
from .watch import dns_packets_on

PROBE = Path(__file__).with_name("probe.py")
SERVER_PORT = 8888  # where jupyterhub-singleuser listens inside every server
# Haven's containers carry these (spawner.py); another project's server is one with another value.
PROJECT_LABEL = "org.haven.project"
USER_LABEL = "org.haven.user"
MAX_PORTS = 400  # a host with more listeners gets the first ones tried, and says so in the detail


class ProbeError(RuntimeError):
    """The probe could not run in the container, or said something that is not JSON."""


def run_probe(client: docker.DockerClient, container: str, params: dict) -> dict:
    """Runs probe.py inside ``container`` as the container's own user; what it reported."""
    exec_ = client.containers.get(container).exec_run(
        ["python3", "-c", PROBE.read_text(), json.dumps(params)], demux=True)
    stdout, stderr = exec_.output
    if exec_.exit_code != 0:
        raise ProbeError(f"the probe failed in {container} (exit {exec_.exit_code}): "
                         f"{(stderr or b'').decode(errors='replace')[-2000:]}")
    try:
        return json.loads(stdout)
    except (TypeError, ValueError):
        raise ProbeError(f"the probe in {container} printed no JSON: {(stdout or b'')[:500]!r}") from None


def run_probe_watching_dns(client: docker.DockerClient, container: str, params: dict, bridge: str) -> dict:
    """:func:`run_probe`, with every DNS query that crossed the server's bridge meanwhile
    (``bridge_dns``): a lookup the container's resolver forwarded would be one."""
    with dns_packets_on(bridge) as packets:
        seen = run_probe(client, container, params)
    return {**seen, "bridge_dns": list(packets)}


def bridge_of(client: docker.DockerClient, network: str) -> str:
    return client.networks.get(network).attrs["Options"]["com.docker.network.bridge.name"]


def resolver_is_havens(attrs: dict) -> bool:
    """Whether the engine was given Haven's non-forwarding upstreams for this container."""
    return tuple(attrs["HostConfig"].get("Dns") or ()) == lockdown.NO_DNS_UPSTREAMS


def gateway_of(client: docker.DockerClient, network: str) -> str | None:
    try:
        config = client.networks.get(network).attrs["IPAM"]["Config"]
    except docker.errors.NotFound:
        return None
    return next((entry["Gateway"] for entry in config if entry.get("Gateway")), None)


def listening_ports(addresses: tuple[str, ...], proc: Path = Path("/proc/net")) -> list[int]:
    """TCP ports listening on the host on every address or on one of ``addresses``, from the
    kernel's own tables (run on the host, as root, like the hub)."""
    wanted = {"00000000", "00000000000000000000000000000000"}
    for address in addresses:
        wanted.add("".join(reversed([f"{int(part):02X}" for part in address.split(".")])))
    ports = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = (proc / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state = fields[1], fields[3]
            host, _, port = local.partition(":")
            if state == "0A" and host in wanted:  # 0A: LISTEN
                ports.add(int(port, 16))
    return sorted(ports)


def closed_ports(allowed: set[int], addresses: tuple[str, ...], also: tuple[int, ...] = ()) -> tuple[int, ...]:
    """Every host port a server must not reach: listeners, the engine's TCP API, ``also``."""
    ports = sorted((set(listening_ports(addresses)) | set(DOCKER_API_PORTS) | set(also)) - allowed)
    return tuple(ports[:MAX_PORTS])


def other_servers(client: docker.DockerClient, project: str) -> tuple[tuple[str, int], ...]:
    """The addresses of every running server of another project on this engine."""
    found = []
    for container in client.containers.list(filters={"label": PROJECT_LABEL}):
        if container.labels.get(PROJECT_LABEL) == project:
            continue
        for settings in container.attrs["NetworkSettings"]["Networks"].values():
            if settings.get("IPAddress"):
                found.append((settings["IPAddress"], SERVER_PORT))
    return tuple(found)
