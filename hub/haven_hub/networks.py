"""Each project's own internal Docker network, and the host firewall in front of them.

``docker network create --internal`` keeps containers off the internet and away from
other networks, but not away from the host: packets to a host address arrive through
the host's INPUT chain, so every host service on 0.0.0.0 would be reachable. Haven
therefore names each bridge with a fixed prefix and puts one chain in front of INPUT
that admits, from those bridges, only replies and the hub API port (and later the
egress service), and rejects the rest.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import shutil
import subprocess
from dataclasses import dataclass

import docker
from docker.errors import NotFound

from .server_description import PROJECT_LABEL

log = logging.getLogger(__name__)

LINUX_IFNAMSIZ = 15
LABEL = PROJECT_LABEL


@dataclass(frozen=True)
class ProjectNetwork:
    name: str
    bridge: str
    gateway: str


def bridge_name(prefix: str, project_id: str) -> str:
    """A Linux interface name (at most 15 characters) for a project's bridge."""
    name = f"{prefix}{project_id}"
    if len(name) <= LINUX_IFNAMSIZ:
        return name
    digest = hashlib.sha256(project_id.encode()).hexdigest()
    return f"{prefix}{digest[: LINUX_IFNAMSIZ - len(prefix)]}"


def network_name(container_prefix: str, project_id: str) -> str:
    return f"{container_prefix}-project-{project_id}"


def ensure_project_network(
    client: docker.DockerClient, *, container_prefix: str, bridge_prefix: str, project_id: str
) -> ProjectNetwork:
    """Creates the project's internal network if it is missing; safe to call again."""
    name = network_name(container_prefix, project_id)
    bridge = bridge_name(bridge_prefix, project_id)
    try:
        network = client.networks.get(name)
    except NotFound:
        log.info("creating internal network %s (bridge %s)", name, bridge)
        network = create_network(client, name, bridge, labels={LABEL: project_id})
    attrs = network.attrs
    if not attrs.get("Internal"):
        raise RuntimeError(f"network {name} exists but is not internal; remove it and try again")
    actual_bridge = attrs.get("Options", {}).get("com.docker.network.bridge.name")
    if actual_bridge != bridge:
        raise RuntimeError(f"network {name} has bridge {actual_bridge!r}, expected {bridge!r}")
    gateway = attrs["IPAM"]["Config"][0]["Gateway"]
    ipaddress.ip_address(gateway)
    return ProjectNetwork(name=name, bridge=bridge, gateway=gateway)


def create_network(
    client: docker.DockerClient,
    name: str,
    bridge: str,
    *,
    labels: dict[str, str] | None = None,
    internal: bool = True,
    icc: bool = False,
) -> docker.models.networks.Network:
    """A project network. ``internal`` and ``icc`` differ from Haven's only in the security tests."""
    network = client.networks.create(
        name,
        driver="bridge",
        internal=internal,
        labels=labels or {},
        options={
            "com.docker.network.bridge.name": bridge,
            # Servers of one project do not talk to each other either; they share
            # files through the workspace.
            "com.docker.network.bridge.enable_icc": "true" if icc else "false",
        },
    )
    network.reload()
    return network


def remove_project_network(client: docker.DockerClient, *, container_prefix: str, project_id: str) -> None:
    try:
        client.networks.get(network_name(container_prefix, project_id)).remove()
    except NotFound:
        pass


@dataclass(frozen=True)
class Firewall:
    """The host's INPUT rules for traffic that arrives from project bridges."""

    chain: str
    bridge_prefix: str
    allowed_tcp_ports: tuple[int, ...]

    def rules(self) -> list[list[str]]:
        match = ["-i", f"{self.bridge_prefix}+"]
        rules = [[*match, "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT"]]
        for port in self.allowed_tcp_ports:
            rules.append([*match, "-p", "tcp", "--dport", str(port), "-j", "ACCEPT"])
        # REJECT rather than DROP: a blocked probe fails at once instead of hanging.
        rules.append([*match, "-p", "tcp", "-j", "REJECT", "--reject-with", "tcp-reset"])
        rules.append([*match, "-j", "REJECT"])
        # The hub API (and egress) listen on every address so that each project gateway
        # reaches them; from anywhere but loopback and the project bridges they are closed.
        for port in self.allowed_tcp_ports:
            rules.append(["!", "-i", "lo", "-p", "tcp", "--dport", str(port), "-j", "REJECT",
                          "--reject-with", "tcp-reset"])
        return rules

    def rules6(self) -> list[list[str]]:
        # No IPv6 service is offered to projects at all.
        return [["-i", f"{self.bridge_prefix}+", "-j", "REJECT"]]

    def install(self) -> None:
        """Makes INPUT jump first to a chain holding exactly these rules; idempotent.

        The chain is rewritten only when its rules differ, so servers already running
        are never left without the rules while a new one starts.
        """
        _write_chain("iptables", self.chain, self.rules())
        if shutil.which("ip6tables"):
            _write_chain("ip6tables", self.chain, self.rules6())

    def remove(self) -> None:
        for tool in ("iptables", "ip6tables"):
            if not shutil.which(tool):
                continue
            while _iptables(tool, "-C", "INPUT", "-j", self.chain, check=False) == 0:
                _iptables(tool, "-D", "INPUT", "-j", self.chain)
            if _iptables(tool, "-L", self.chain, "-n", check=False) == 0:
                _iptables(tool, "-F", self.chain)
                _iptables(tool, "-X", self.chain)


def project_firewall(settings) -> Firewall:
    """The firewall for a Haven's settings: project bridges reach only the hub API and egress."""
    return Firewall(
        chain=settings.network.firewall_chain,
        bridge_prefix=settings.network.bridge_prefix,
        allowed_tcp_ports=(settings.hub.api_port, settings.egress.port),
    )


def _iptables(tool: str, *args: str, check: bool = True) -> int:
    result = subprocess.run([tool, "-w", *args], capture_output=True, text=True)
    if check and result.returncode != 0:
        raise RuntimeError(f"{tool} {' '.join(args)} failed: {result.stderr.strip()}")
    return result.returncode


def _chain_holds(tool: str, chain: str, rules: list[list[str]]) -> bool:
    if _iptables(tool, "-L", chain, "-n", check=False) != 0:
        return False
    present = sum(1 for line in _list_rules(tool, chain) if line.startswith("-A "))
    return present == len(rules) and all(
        _iptables(tool, "-C", chain, *rule, check=False) == 0 for rule in rules
    )


def _list_rules(tool: str, chain: str) -> list[str]:
    result = subprocess.run([tool, "-w", "-S", chain], capture_output=True, text=True, check=True)
    return result.stdout.splitlines()


def _write_chain(tool: str, chain: str, rules: list[list[str]]) -> None:
    if not _chain_holds(tool, chain, rules):
        if _iptables(tool, "-L", chain, "-n", check=False) != 0:
            _iptables(tool, "-N", chain)
        # Append the new rules before deleting the old ones, so that the
        # closing REJECT rules are present at every moment.
        old = [line for line in _list_rules(tool, chain) if line.startswith("-A ")]
        for rule in rules:
            _iptables(tool, "-A", chain, *rule)
        for line in old:
            _iptables(tool, "-D", *line.split()[1:])
    if _iptables(tool, "-C", "INPUT", "-j", chain, check=False) != 0:
        _iptables(tool, "-I", "INPUT", "1", "-j", chain)
