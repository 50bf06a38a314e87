"""Every lockdown setting is proven to matter: leave it out, and ``haven selfcheck``'s check fails.

Containers here are made from the spawner's own spec (``lockdown.hardened_spec``) on
networks made by ``networks.create_network`` with one setting changed. They use the
base image, which runs as root unless told otherwise, so no setting is rescued by
something the notebook image happens to do. They are judged by the selfcheck's own probe
and checks (``haven_hub.selfcheck``), so the command is shown to fail for each setting too.
"""

from __future__ import annotations

import pytest

from haven_hub import lockdown, networks
from haven_hub.selfcheck import checks
from haven_hub.selfcheck import container as engine
from haven_hub.settings import Limits
from tests.fixtures.docker_engine import TEST_PREFIX, run_hardened, run_probe
from tests.fixtures.hub import BRIDGE_PREFIX, FIREWALL_CHAIN

from .conftest import BASE_IMAGE, SLEEP, WEB, container_ip, unique, wait_until_listening

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("dump_logs_on_failure")]

LIMITS = Limits(cpu=0.5, memory="512M", pids=128)
TMP_SIZE = "64M"


def test_every_hardening_has_a_selfcheck():
    assert set(checks.GUARDED_BY) == set(lockdown.HARDENING_NAMES)


@pytest.fixture(scope="module")
def firewall(haven_hub):
    # The same rules the hub installs (the hub fixture removes them at the end).
    wall = networks.Firewall(
        chain=FIREWALL_CHAIN, bridge_prefix=BRIDGE_PREFIX, allowed_tcp_ports=(haven_hub.settings.hub.api_port,)
    )
    wall.install()
    return wall


@pytest.fixture(scope="module")
def make_network(docker_client, firewall):
    made = []

    def make(bridge: str, **changes) -> str:
        name = unique("net")
        made.append(networks.create_network(docker_client, name, bridge, **changes))
        return name

    yield make
    for network in made:
        network.remove()


@pytest.fixture(scope="module")
def project_network(make_network):
    return make_network(f"{BRIDGE_PREFIX}mut")


@pytest.fixture
def start(docker_client, base_image):
    started = []

    def start(network: str, omit: frozenset[str] = frozenset(), command=SLEEP):
        container = run_hardened(docker_client, BASE_IMAGE, name=unique("c"), network=network, limits=LIMITS,
                                 command=command, tmp_size=TMP_SIZE, omit=omit)
        started.append(container)
        return container

    yield start
    for container in started:
        container.remove(force=True)


def selfcheck(docker_client, haven_hub, container, network: str) -> dict[str, checks.Result]:
    """The selfcheck's verdicts on a container made here: its probe, its checks."""
    container.reload()
    gateway = engine.gateway_of(docker_client, network)
    api_port = haven_hub.settings.hub.api_port
    target = checks.Target(
        container=container.name, limits=LIMITS, gateway=gateway, hub_api_port=api_port,
        host_addresses=(gateway,), closed_ports=engine.closed_ports({api_port}, (gateway,)),
        resolver_is_havens=engine.resolver_is_havens(container.attrs),
    )
    seen = engine.run_probe_watching_dns(docker_client, container.name, checks.probe_params(target),
                                         engine.bridge_of(docker_client, network))
    return {result.name: result for result in checks.evaluate(target, seen)}


def test_with_every_setting_selfcheck_passes(docker_client, haven_hub, start, project_network):
    verdicts = selfcheck(docker_client, haven_hub, start(project_network), project_network)
    assert [f"{r.name}: {r.detail}" for r in verdicts.values() if r.status == checks.FAIL] == []
    assert {name for name, r in verdicts.items() if r.status == checks.SKIP} == {
        "egress-port-reachable", "other-projects-unreachable", "outside-unreachable", "datasets-read-only",
        "no-host-paths-beyond-grants", "duckdb-escapes-refused", "server-routes", "token-scopes"}


@pytest.mark.parametrize("name", lockdown.HARDENING_NAMES)
def test_leaving_out_a_setting_fails_its_selfcheck(name, docker_client, haven_hub, start, project_network):
    verdicts = selfcheck(docker_client, haven_hub, start(project_network, omit=frozenset({name})), project_network)
    guarded = verdicts[checks.GUARDED_BY[name]]
    if name == "no-ipv6" and guarded.status == checks.PASS:
        pytest.skip("this Docker engine gives containers no IPv6 address even without the sysctl, "
                    "so the setting cannot be shown to matter here (it is kept as defence in depth)")
    assert guarded.status == checks.FAIL, f"{name} left out, yet {guarded.name} passed: {guarded.detail}"
    others = [f"{r.name}: {r.detail}" for r in verdicts.values() if r.status == checks.FAIL and r is not guarded]
    assert others == [], f"leaving out {name} also failed {others}"


def test_the_internal_network_is_what_keeps_the_outside_away(start, make_network, project_network, outside_world):
    target = [[outside_world.public, 80]]
    key = f"{outside_world.public}:80"
    open_network = make_network(f"{BRIDGE_PREFIX}open", internal=False)
    assert run_probe(start(open_network).name, tcp=target)["tcp"][key]["connected"]
    assert not run_probe(start(project_network).name, tcp=target)["tcp"][key]["connected"]


def test_the_firewall_is_what_keeps_host_services_away(docker_client, start, make_network, project_network, host_service,
                                                      docker_api_tcp):
    # A host service, and the Docker API exposed on TCP 2375/2376, on the gateway of a
    # bridge this test made.
    unguarded = make_network("hvx-unguarded")  # a bridge name the firewall does not match
    ports = (host_service, *docker_api_tcp)

    def gateway(name: str) -> str:
        return docker_client.networks.get(name).attrs["IPAM"]["Config"][0]["Gateway"]

    def reach(net: str) -> dict:
        seen = run_probe(start(net).name, tcp=[[gateway(net), port] for port in ports])["tcp"]
        assert len(seen) == len(ports)
        return {key: result["connected"] for key, result in seen.items()}

    assert all(reach(unguarded).values())
    assert not any(reach(project_network).values())


def test_disabled_icc_is_what_keeps_servers_of_a_project_apart(start, make_network, project_network):
    chatty = make_network(f"{BRIDGE_PREFIX}icc", icc=True)
    for network, reachable in ((chatty, True), (project_network, False)):
        server = start(network, command=WEB)
        server_ip = container_ip(server, network)
        wait_until_listening(server_ip, 8888)
        seen = run_probe(start(network).name, tcp=[[server_ip, 8888]])
        assert seen["tcp"][f"{server_ip}:8888"]["connected"] is reachable, network


def test_test_objects_carry_the_test_prefix():
    assert unique("x").startswith(f"{TEST_PREFIX}-")


# Limits and privileges exercised, not read: each probe is bounded (forks capped and
# killed after, a 60 s allocation timeout) and takes about a second; the controls omit the
# matching setting and show the same attempt then succeeds.
FORK_CAP = 4 * LIMITS.pids
OVER_MEMORY = 512 * 1024**2 + 128 * 1024**2


def test_a_fork_bomb_stops_at_the_pids_limit_and_only_because_of_it(start, project_network):
    bounded = run_probe(start(project_network).name, fork=FORK_CAP)["fork"]
    assert bounded["refused"] == "EAGAIN", bounded
    # The limit counts every task in the container: the sleeping init, the exec'd probe.
    assert LIMITS.pids - 16 <= bounded["forked"] < LIMITS.pids, bounded
    unbounded = run_probe(start(project_network, omit=frozenset({"pids-limit"})).name, fork=FORK_CAP)["fork"]
    assert unbounded == {**unbounded, "forked": FORK_CAP, "refused": None}


def test_memory_past_the_limit_kills_the_allocator_and_only_because_of_it(start, project_network):
    container = start(project_network)
    seen = run_probe(container.name, allocate=OVER_MEMORY)["allocate"]
    assert not seen["allocated"] and (seen["returncode"] == -9 or seen["memory_error"]), seen
    assert seen["seconds"] < 30, seen
    container.reload()
    assert container.status == "running"  # the container's own process survived the OOM
    control = run_probe(start(project_network, omit=frozenset({"memory-limit"})).name, allocate=OVER_MEMORY)
    assert control["allocate"]["allocated"] and control["allocate"]["returncode"] == 0, control["allocate"]


# Capabilities that Docker grants a root container by default, so each is a real test of
# Haven's settings; mount, the clock and the hostname need capabilities Docker never
# grants (SYS_ADMIN, SYS_TIME), so they are refused in every control too.
GRANTED_BY_DOCKER = {"chown", "setuid", "mknod", "raw_socket"}
NEVER_GRANTED = {"mount", "set_clock", "set_hostname"}


@pytest.mark.parametrize("omit", [frozenset(), frozenset({"non-root-user"}), frozenset({"drop-capabilities"})],
                         ids=["all-settings", "root-without-capabilities", "capabilities-without-root"])
def test_privileged_operations_are_refused(omit, start, project_network):
    # Either setting alone is enough: root with no capabilities, or a user whose
    # capabilities exist only in the bounding set, cannot use them.
    seen = run_probe(start(project_network, omit=omit).name, privileged=True)["privileged"]
    assert set(seen) == GRANTED_BY_DOCKER | NEVER_GRANTED
    assert all(result == "EPERM" for result in seen.values()), seen


def test_without_both_user_and_capability_settings_privileged_operations_succeed(start, project_network):
    omit = frozenset({"non-root-user", "drop-capabilities"})
    seen = run_probe(start(project_network, omit=omit).name, privileged=True)["privileged"]
    assert {name for name, result in seen.items() if result == "ok"} == GRANTED_BY_DOCKER, seen
    assert all(seen[name] == "EPERM" for name in NEVER_GRANTED), seen
