"""The egress service's port: open to project networks, closed to every other network, and
closed only because of Haven's firewall rule (haven_hub.networks.Firewall).

The egress service listens on every address so that each project's gateway reaches it; the
host firewall admits its port from loopback and the project bridges only. Probed from
containers on a project network and on a network the test makes with a bridge name the
firewall does not match, against the test hub's real egress service.
"""

from __future__ import annotations

import pytest

from haven_hub import networks
from tests.fixtures.docker_engine import run_hardened, run_probe
from tests.fixtures.hub import BRIDGE_PREFIX

from .conftest import BASE_IMAGE, SLEEP, host_can_connect, unique, wait_until_listening
from .test_each_setting_matters import LIMITS, TMP_SIZE

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("dump_logs_on_failure")]


@pytest.fixture(scope="module")
def egress_port(haven_hub) -> int:
    port = haven_hub.settings.egress.port
    wait_until_listening("127.0.0.1", port, timeout=60)
    return port


@pytest.fixture(scope="module")
def two_networks(docker_client, haven_hub):
    """A project network (internal, its bridge named as Haven's are) and an ordinary one."""
    made = [
        networks.create_network(docker_client, unique("egress-project"), f"{BRIDGE_PREFIX}egr"),
        # Not internal and not Haven's bridge prefix: an ordinary Docker network on the host.
        networks.create_network(docker_client, unique("egress-other"), "qx-egress", internal=False),
    ]
    yield {"project": made[0].name, "other": made[1].name}
    for network in made:
        network.remove()


@pytest.fixture
def reaches(docker_client, two_networks):
    started = []

    def reaches(kind: str, port: int) -> bool:
        name = two_networks[kind]
        container = run_hardened(docker_client, BASE_IMAGE, name=unique("egress"), network=name, limits=LIMITS,
                                 command=SLEEP, tmp_size=TMP_SIZE)
        started.append(container)
        gateway = docker_client.networks.get(name).attrs["IPAM"]["Config"][0]["Gateway"]
        return run_probe(container.name, tcp=[[gateway, port]])["tcp"][f"{gateway}:{port}"]["connected"]

    yield reaches
    for container in started:
        container.remove(force=True)


@pytest.fixture
def havens_firewall(haven_hub):
    wall = networks.project_firewall(haven_hub.settings)
    wall.install()
    yield wall
    wall.install()  # a test that changed the rules leaves Haven's again


def test_project_networks_reach_the_egress_port_and_other_networks_do_not(havens_firewall, reaches, egress_port,
                                                                          host_service):
    assert egress_port in havens_firewall.allowed_tcp_ports
    assert host_can_connect("127.0.0.1", egress_port)  # loopback is let in
    assert reaches("project", egress_port)
    assert not reaches("other", egress_port)
    # Positive control: the other network does reach an ordinary host service the same way.
    assert reaches("other", host_service)


def test_without_the_rule_other_networks_reach_the_egress_port(haven_hub, havens_firewall, reaches, egress_port):
    # Haven's rules without the egress port: its REJECT for non-loopback traffic goes with it.
    without = networks.Firewall(chain=havens_firewall.chain, bridge_prefix=havens_firewall.bridge_prefix,
                                allowed_tcp_ports=(haven_hub.settings.hub.api_port,))
    without.install()
    assert reaches("other", egress_port)
    # And project networks lose it: their catch-all REJECT now covers the port.
    assert not reaches("project", egress_port)
