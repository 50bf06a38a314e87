"""Trying to cross each boundary from inside a server the real hub spawned.

Every blocked probe has a positive control: the same probe succeeds from the host or
from an unrestricted container, so a broken stand-in cannot make a test pass.
"""

from __future__ import annotations

import pytest
import requests

from haven_hub.selfcheck.cgroups import limits_seen
from tests.fixtures.docker_engine import run_probe

from .conftest import DOCKER_API_PORTS, container_ip, host_can_connect

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure", "dump_logs_on_failure")]

DOCKER0_GATEWAY = "172.17.0.1"


@pytest.fixture(scope="module")
def ada_alpha(haven_hub):
    haven_hub.spawn("ada", "alpha")
    yield haven_hub.container_name("ada", "alpha")
    haven_hub.stop("ada", "alpha")


@pytest.fixture(scope="module")
def bob_beta(haven_hub, docker_client):
    haven_hub.spawn("bob", "beta")
    yield docker_client.containers.get(haven_hub.container_name("bob", "beta"))
    haven_hub.stop("bob", "beta")


def test_process_is_unprivileged(ada_alpha, unrestricted):
    seen = run_probe(ada_alpha)
    control = run_probe(unrestricted.name)
    assert seen["uid"] != 0 and seen["gid"] != 0
    assert control["uid"] == 0
    for field in ("CapEff", "CapPrm", "CapBnd", "CapAmb", "CapInh"):
        assert int(seen["status"][field], 16) == 0, field
    assert int(control["status"]["CapEff"], 16) != 0
    assert seen["status"]["NoNewPrivs"] == "1"
    assert control["status"]["NoNewPrivs"] == "0"


def test_root_filesystem_is_read_only(ada_alpha, unrestricted):
    seen = run_probe(ada_alpha)
    assert "ro" in seen["root_mount_options"]
    assert seen["write_root"].startswith("OSError") and "Read-only" in seen["write_root"]
    assert seen["tmp_mount"]["fstype"] == "tmpfs"
    control = run_probe(unrestricted.name)
    assert "rw" in control["root_mount_options"]
    assert control["write_root"] == "written"


def test_no_docker_socket_and_no_ipv6(ada_alpha):
    seen = run_probe(ada_alpha)
    assert seen["docker_socket"] == []
    assert seen["ipv6_addresses"] == []


def test_hub_api_is_reachable(haven_hub, ada_alpha):
    api = f"http://{haven_hub.gateway('alpha')}:{haven_hub.settings.hub.api_port}/hub/api/"
    seen = run_probe(ada_alpha, http=[api])
    assert seen["http"][api]["status"] == 200


def test_outside_world_is_unreachable(ada_alpha, unrestricted, outside_world):
    targets = {
        "tcp": [[outside_world.public, 80], [outside_world.metadata, 80]],
        "dns": [[outside_world.resolver, 53, "exfiltrate.example"]],
        "http": [f"http://{outside_world.metadata}/latest/meta-data/"],
    }
    # Positive controls: the stand-in answers the host and an unrestricted container.
    assert host_can_connect(outside_world.public, 80)
    assert host_can_connect(outside_world.metadata, 80)
    control = run_probe(unrestricted.name, **targets)
    assert all(result["connected"] for result in control["tcp"].values()), control["tcp"]
    assert all(result["answered"] for result in control["dns"].values()), control["dns"]
    assert all(result["status"] == 200 for result in control["http"].values()), control["http"]
    queries_before = outside_world.queries()
    assert "exfiltrate.example" in queries_before

    seen = run_probe(ada_alpha, **targets)
    assert not any(result["connected"] for result in seen["tcp"].values()), seen["tcp"]
    assert not any(result["answered"] for result in seen["dns"].values()), seen["dns"]
    assert all(result["status"] is None for result in seen["http"].values()), seen["http"]
    assert outside_world.queries() == queries_before


def test_host_services_are_unreachable(haven_hub, ada_alpha, unrestricted, host_service):
    gateway = haven_hub.gateway("alpha")
    assert host_can_connect(gateway, host_service)
    control = run_probe(unrestricted.name, tcp=[[DOCKER0_GATEWAY, host_service]])
    assert control["tcp"][f"{DOCKER0_GATEWAY}:{host_service}"]["connected"]

    seen = run_probe(ada_alpha, tcp=[[gateway, host_service], [DOCKER0_GATEWAY, host_service],
                                     [gateway, haven_hub.settings.hub.proxy_api_port],
                                     [gateway, haven_hub.settings.hub.public_port]])
    assert not any(result["connected"] for result in seen["tcp"].values()), seen["tcp"]


def test_hub_api_is_closed_to_everything_but_loopback_and_project_networks(haven_hub, unrestricted, host_service):
    port = haven_hub.settings.hub.api_port
    assert host_can_connect("127.0.0.1", port)
    seen = run_probe(unrestricted.name, tcp=[[DOCKER0_GATEWAY, host_service], [DOCKER0_GATEWAY, port]])
    # Positive control: the same path reaches an ordinary host service.
    assert seen["tcp"][f"{DOCKER0_GATEWAY}:{host_service}"]["connected"]
    assert not seen["tcp"][f"{DOCKER0_GATEWAY}:{port}"]["connected"]


def test_other_projects_containers_are_unreachable(ada_alpha, bob_beta):
    beta_ip = container_ip(bob_beta)
    # Positive control: JupyterLab in beta answers from the host.
    assert requests.get(f"http://{beta_ip}:8888/user/bob/beta/api", timeout=10).status_code == 200
    seen = run_probe(ada_alpha, tcp=[[beta_ip, 8888]])
    assert not seen["tcp"][f"{beta_ip}:8888"]["connected"]


def test_servers_of_one_project_cannot_reach_each_other(haven_hub, docker_client, ada_alpha):
    haven_hub.spawn("grace", "alpha")
    try:
        grace = docker_client.containers.get(haven_hub.container_name("grace", "alpha"))
        grace_ip = container_ip(grace)
        assert requests.get(f"http://{grace_ip}:8888/user/grace/alpha/api", timeout=10).status_code == 200
        seen = run_probe(ada_alpha, tcp=[[grace_ip, 8888]])
        assert not seen["tcp"][f"{grace_ip}:8888"]["connected"]
    finally:
        haven_hub.stop("grace", "alpha")


# Limits and privileges exercised from inside the hub's own server, not only read. Each
# probe is bounded (forks capped and killed after, a 60 s allocation timeout) and takes
# about a second; test_each_setting_matters shows each succeeds with its setting left out.


def lab_answers(docker_client, container_name: str) -> bool:
    ip = container_ip(docker_client.containers.get(container_name))
    try:
        return requests.get(f"http://{ip}:8888/user/ada/alpha/api", timeout=10).status_code == 200
    except requests.RequestException:
        return False


def test_a_fork_bomb_stops_at_the_pids_limit_and_the_server_survives(docker_client, ada_alpha):
    limit = limits_seen(run_probe(ada_alpha)).pids
    assert limit == 256
    seen = run_probe(ada_alpha, fork=4 * limit)["fork"]
    assert seen["refused"] == "EAGAIN", seen
    # JupyterLab's own processes and threads count too, so fewer than the limit are left.
    assert limit - 64 <= seen["forked"] < limit, seen
    assert lab_answers(docker_client, ada_alpha)


def test_memory_past_the_limit_kills_the_allocator_not_the_server(docker_client, ada_alpha):
    limit = limits_seen(run_probe(ada_alpha)).memory_bytes
    assert limit == 768 * 1024**2
    seen = run_probe(ada_alpha, allocate=limit + 256 * 1024**2)["allocate"]
    assert not seen["allocated"] and (seen["returncode"] == -9 or seen["memory_error"]), seen
    assert seen["seconds"] < 30, seen
    assert docker_client.containers.get(ada_alpha).status == "running"
    assert lab_answers(docker_client, ada_alpha)


def test_privileged_operations_are_refused(ada_alpha, unrestricted):
    seen = run_probe(ada_alpha)
    assert seen["uid"] != 0
    attempts = run_probe(ada_alpha, privileged=True)["privileged"]
    assert attempts and all(result == "EPERM" for result in attempts.values()), attempts
    # Positive control: root with Docker's default capabilities can do the ones Docker grants.
    control = run_probe(unrestricted.name, privileged=True)["privileged"]
    assert {name for name, result in control.items() if result == "ok"} == {"chown", "setuid", "mknod", "raw_socket"}


def test_docker_api_is_unreachable_over_tcp(haven_hub, ada_alpha, unrestricted, docker_api_tcp):
    # The sockets are not mounted (test_no_docker_socket_and_no_ipv6); an engine exposed on
    # TCP, on the project's gateway or docker0, is not reachable either.
    for port in DOCKER_API_PORTS:
        assert host_can_connect("127.0.0.1", port), port
    control = run_probe(unrestricted.name, tcp=[[DOCKER0_GATEWAY, port] for port in DOCKER_API_PORTS])
    assert all(result["connected"] for result in control["tcp"].values()), control["tcp"]
    targets = [[address, port] for address in (haven_hub.gateway("alpha"), DOCKER0_GATEWAY)
               for port in DOCKER_API_PORTS]
    seen = run_probe(ada_alpha, tcp=targets)
    assert len(seen["tcp"]) == 4
    assert not any(result["connected"] for result in seen["tcp"].values()), seen["tcp"]
    assert seen["docker_socket"] == []
