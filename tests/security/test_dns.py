"""Name resolution through the container's OWN resolver: does a lookup leave, and what stops it?

Every container on a user-defined network resolves through Docker's embedded DNS
(127.0.0.11), which forwards what it cannot answer to upstream servers: the host's resolvers
unless the container's ``dns`` setting names others. A name is a message, so a forwarded
lookup is a way out. The upstream here is always a stand-in the test makes (a resolver in a
network namespace of its own, or a listener on the host's loopback), never this machine's
real resolvers: a container whose lookups would go to the host's resolvers is never asked to
resolve anything. Each lookup is also watched on the container's bridge, so "nothing left"
means no DNS packet crossed it, not only that the stand-in heard nothing.

What these show on this engine (docker.io 20.10.24): the embedded resolver dials every
upstream from the container's own namespace, a loopback one too (so the host-namespace
forwarding of CVE-2024-29018 does not happen here); on an internal network the forwarded
query still leaves the container and crosses its bridge, where Docker's isolation rules drop
it; Haven's ``dns`` setting (lockdown.NO_DNS_UPSTREAMS) keeps it inside the container, on an
internal network and even on an open one, so it also holds on engines that forward from the
host's namespace.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from haven_hub import lockdown, networks
from haven_hub.selfcheck.container import resolver_is_havens
from haven_hub.selfcheck.watch import dns_packets_on, query_name
from tests.fixtures.docker_engine import run_hardened, run_probe
from tests.fixtures.hub import BRIDGE_PREFIX

from .conftest import BASE_IMAGE, SLEEP, unique
from .test_each_setting_matters import LIMITS, TMP_SIZE

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("dump_logs_on_failure")]

SERVER = Path(__file__).with_name("outside_server.py")
NAMESPACE = f"{BRIDGE_PREFIX}dnsns"
HOST_END, NS_END = f"{BRIDGE_PREFIX}dns0", f"{BRIDGE_PREFIX}dns1"
# TEST-NET-3, beside (not inside) the outside world's 203.0.113.0/30.
LINK_HOST, STAND_IN = "203.0.113.9", "203.0.113.10"
LOOPBACK_STAND_IN = "127.0.0.77"  # a host-loopback upstream, as systemd-resolved's 127.0.0.53 is


def _ip(*args: str, check: bool = True) -> None:
    subprocess.run(["ip", *args], check=check, capture_output=True)


def _teardown() -> None:
    _ip("link", "del", HOST_END, check=False)
    _ip("netns", "del", NAMESPACE, check=False)


@pytest.fixture(scope="module")
def stand_in_resolver(tmp_path_factory) -> Iterator[Path]:
    """A resolver at STAND_IN in a namespace of the test's own, answering every name; the
    log of the names it was asked."""
    _teardown()
    taken = subprocess.run(["ip", "-o", "addr"], capture_output=True, text=True, check=True).stdout
    if f" {LINK_HOST}/" in taken or f" {STAND_IN}/" in taken:
        pytest.fail(f"{LINK_HOST} or {STAND_IN} is already an address of this host: the stand-in would clash")
    _ip("netns", "add", NAMESPACE)
    _ip("link", "add", HOST_END, "type", "veth", "peer", "name", NS_END)
    _ip("link", "set", NS_END, "netns", NAMESPACE)
    _ip("addr", "add", f"{LINK_HOST}/30", "dev", HOST_END)
    _ip("link", "set", HOST_END, "up")
    _ip("netns", "exec", NAMESPACE, "ip", "addr", "add", f"{STAND_IN}/30", "dev", NS_END)
    _ip("netns", "exec", NAMESPACE, "ip", "link", "set", NS_END, "up")
    _ip("netns", "exec", NAMESPACE, "ip", "link", "set", "lo", "up")
    log = tmp_path_factory.mktemp("dns") / "queries.log"
    server = subprocess.Popen(["ip", "netns", "exec", NAMESPACE, sys.executable, str(SERVER), str(log), STAND_IN,
                               STAND_IN], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout.readline().strip() == "ready", "the stand-in resolver did not start"
        yield log
    finally:
        server.terminate()
        server.wait(timeout=10)
        _teardown()


@pytest.fixture(scope="module")
def loopback_resolver() -> Iterator[list[str]]:
    """A UDP listener on the host's loopback, port 53: the names it was sent (never answered)."""
    heard: list[str] = []
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((LOOPBACK_STAND_IN, 53))
    sock.settimeout(0.5)
    stop = threading.Event()

    def listen() -> None:
        while not stop.is_set():
            try:
                data, _ = sock.recvfrom(512)
            except OSError:
                continue
            heard.append(query_name(data, 12))

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    yield heard
    stop.set()
    thread.join(timeout=5)
    sock.close()


@pytest.fixture(scope="module")
def dns_networks(docker_client) -> Iterator[dict[str, tuple[str, str]]]:
    """An internal network named as Haven's are, and an open one: name and bridge of each."""
    made, found = [], {}
    for kind, internal in (("internal", True), ("open", False)):
        name, bridge = unique(f"dns-{kind}"), f"{BRIDGE_PREFIX}d{kind[:4]}"
        made.append(networks.create_network(docker_client, name, bridge, internal=internal))
        found[kind] = (name, bridge)
    yield found
    for network in made:
        network.remove()


@pytest.fixture
def start(docker_client):
    started = []

    def start(network: str, *, upstream: str | None):
        """Haven's container spec; ``upstream`` replaces Haven's dns setting with a stand-in."""
        omit = frozenset() if upstream is None else frozenset({"no-dns-forwarding"})
        container = run_hardened(docker_client, BASE_IMAGE, name=unique("dns"), network=network, limits=LIMITS,
                                 command=SLEEP, tmp_size=TMP_SIZE, omit=omit,
                                 dns=None if upstream is None else [upstream])
        started.append(container)
        return container

    yield start
    for container in started:
        container.remove(force=True)


def lookup(container, bridge: str, name: str) -> tuple[dict, list[str]]:
    """The container resolves ``name`` as any program would (getaddrinfo, through its
    /etc/resolv.conf: 127.0.0.11); what it got, and the DNS packets its bridge carried."""
    with dns_packets_on(bridge) as packets:
        seen = run_probe(container.name, resolve=[name])["resolve"][name]
    return seen, packets


def fresh(name: str) -> str:
    return f"{name}-{unique('q').rsplit('-', 1)[1]}.example"


def test_the_container_resolves_through_the_embedded_resolver(start, dns_networks):
    container = start(dns_networks["internal"][0], upstream=None)
    resolv = subprocess.run(["docker", "exec", container.name, "cat", "/etc/resolv.conf"],
                            capture_output=True, text=True, check=True).stdout
    assert "nameserver 127.0.0.11" in resolv
    assert resolver_is_havens(container.attrs)
    assert lockdown.NO_DNS_UPSTREAMS == ("0.0.0.0",)


def test_control_a_lookup_leaves_by_the_embedded_resolver_on_an_open_network(start, dns_networks,
                                                                             stand_in_resolver):
    name, bridge = dns_networks["open"]
    query = fresh("control")
    seen, packets = lookup(start(name, upstream=STAND_IN), bridge, query)
    # The stand-in heard the name and answered it: the way out exists, and the watch sees it.
    assert query in stand_in_resolver.read_text().splitlines()
    assert seen["resolved"], seen
    assert any(query in packet for packet in packets), packets


def test_the_internal_network_keeps_a_forwarded_lookup_in(start, dns_networks, stand_in_resolver):
    name, bridge = dns_networks["internal"]
    query = fresh("internal")
    seen, packets = lookup(start(name, upstream=STAND_IN), bridge, query)
    assert not seen["resolved"], seen
    assert query not in stand_in_resolver.read_text().splitlines()
    # It did leave the container: the forward crosses the bridge, where Docker's isolation
    # rules for internal networks drop it. Only Haven's setting keeps it off the bridge.
    assert any(query in packet for packet in packets), packets


def test_this_engine_does_not_forward_from_the_hosts_namespace(start, dns_networks, loopback_resolver):
    # A loopback upstream reached from the host's namespace is the CVE-2024-29018 path.
    # This engine dials it inside the container, where nothing listens.
    for kind in ("open", "internal"):
        name, bridge = dns_networks[kind]
        query = fresh(f"loopback-{kind}")
        seen, _ = lookup(start(name, upstream=LOOPBACK_STAND_IN), bridge, query)
        assert not seen["resolved"], seen
        assert query not in loopback_resolver, (kind, loopback_resolver)


@pytest.mark.parametrize("kind", ["open", "internal"])
def test_havens_dns_setting_sends_a_lookup_nowhere_even_on_an_open_network(kind, start, dns_networks,
                                                                           stand_in_resolver):
    name, bridge = dns_networks[kind]
    query = fresh(f"haven-{kind}")
    before = stand_in_resolver.read_text().splitlines()
    seen, packets = lookup(start(name, upstream=None), bridge, query)
    assert not seen["resolved"], seen
    assert seen["seconds"] < 5, seen  # refused at once, not a hanging lookup
    assert packets == [], f"DNS packets left the container: {packets}"
    assert stand_in_resolver.read_text().splitlines() == before
