"""Project servers as Swarm services on two engines, made by Haven's own translation
(haven_hub.swarm) of a server description, with the image pulled from the private registry.

Servers of project A run on the manager and on the worker, project B's on the manager; the
hub stand-in is a plain container on the manager joined to each project overlay the way the
spawner joins the hub. From A's server on the worker: A's other server answers across nodes,
the hub answers, and B's server, the stand-in internet, the node's own engine API and DNS
lookups outside do not. Project C's server, on an overlay that is not internal (the boundary
removed), reaches what A's cannot, so each refusal is the boundary's doing.
"""

from __future__ import annotations

import json
import textwrap
import time
from types import MappingProxyType

import docker
import pytest
from docker.types import EndpointSpec, Placement

from haven_hub import swarm
from haven_hub.selfcheck import cgroups
from haven_hub.server_description import PROJECT_LABEL, Mount, Reach, ServerDescription, hardening_for, resources_for
from haven_hub.settings import Limits
from haven_hub.spawner import ANALYST_UID_LABEL
from tests.fixtures.docker_engine import TEST_PREFIX
from tests.integration.swarm import cluster

pytestmark = pytest.mark.docker

SERVER_PORT = 8888
HUB_PORT = 8081
LIMITS = Limits(cpu=0.5, memory="512M", pids=200)
HUB = f"{TEST_PREFIX}-swarm-hub"
# Stands in for jupyterhub-singleuser (which needs a hub to start): something listening.
SERVE = ["python3", "-m", "http.server", "--bind", "0.0.0.0"]

PROBE = textwrap.dedent("""
    import json, os, socket, sys
    def connects(host, port):
        try:
            socket.create_connection((host, port), timeout=3).close()
            return True
        except OSError:
            return False
    def resolves(name):
        try:
            socket.getaddrinfo(name, 80)
            return True
        except OSError:
            return False
    def status(field):
        return next(line.split()[1] for line in open('/proc/self/status') if line.startswith(field + ':'))
    def writable(path):
        try:
            open(path, 'w').close()
            return True
        except OSError:
            return False
    def cgroup(path):
        try:
            return open('/sys/fs/cgroup/' + path).read().strip()
        except OSError:
            return None
    targets = json.loads(sys.argv[1])
    print(json.dumps({
        'connects': {f'{h}:{p}': connects(h, p) for h, p in targets['connect']},
        'resolves': {name: resolves(name) for name in targets['resolve']},
        'uid': os.getuid(), 'cap_eff': status('CapEff'), 'cap_bnd': status('CapBnd'),
        'no_new_privs': status('NoNewPrivs'),
        'root_writable': writable('/usr/probe'), 'tmp_writable': writable('/tmp/probe'),
        'data_writable': writable('/data/grant/probe'),
        'tmp_options': next((l.split()[3] for l in open('/proc/mounts') if l.split()[1] == '/tmp'), ''),
        'cgroup_files': {path: cgroup(path) for path in targets['cgroup_files']},
        'ipv6_disabled': open('/proc/sys/net/ipv6/conf/all/disable_ipv6').read().strip(),
    }))
""")


def description(project: str, image: str, uid: int) -> ServerDescription:
    return ServerDescription(
        user="ada", project=project, image=image, resources=resources_for(LIMITS),
        hardening=hardening_for(uid, "64M"),
        # A dataset grant: a host path on every node (a shared filesystem in production).
        mounts=(Mount("dataset", "/data/grant", cluster.DATASET_DIR, read_only=True, name="grant"),),
        reach=Reach(hub_api_port=HUB_PORT, egress_port=HUB_PORT),
        labels=MappingProxyType({PROJECT_LABEL: project}),
    )


def run_server(made: cluster.Swarm, name: str, project: str, network: str, node: cluster.Node, uid: int) -> str:
    spec = swarm.service_spec(description(project, made.image, uid), name=name, network=network,
                              mount_source=lambda mount: mount.source, env={"HAVEN_PROJECT": project},
                              args=[*SERVE, str(SERVER_PORT)],
                              placement=Placement(constraints=[f"node.hostname == {node.name}"]))
    made.manager.engine.api.create_service(**spec)
    return name


def task_of(made: cluster.Swarm, service: str, timeout: float = 300) -> dict:
    """The service's running task (the pull from the registry happens here)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tasks = made.manager.engine.api.tasks(filters={"service": service})
        running = [task for task in tasks if task["Status"]["State"] == "running"]
        if running:
            return running[0]
        failed = [task for task in tasks if task["Status"]["State"] in {"failed", "rejected"}]
        if failed:
            raise AssertionError(f"{service}: {failed[0]['Status']}")
        time.sleep(1)
    raise AssertionError(f"{service} not running after {timeout:g}s: {[t['Status'] for t in tasks]}")


def task_address(task: dict, network: str) -> str:
    for attachment in task["NetworksAttachments"]:
        if attachment["Network"]["Spec"]["Name"] == network:
            return attachment["Addresses"][0].split("/")[0]
    raise AssertionError(f"task not on {network}")


def probe(node: cluster.Node, service: str, connect: list[tuple[str, int]], resolve: list[str]) -> dict:
    container = node.engine.containers.list(filters={"label": f"com.docker.swarm.service.name={service}"})[0]
    return probe_in(container, connect, resolve)


def probe_in(container, connect: list[tuple[str, int]], resolve: list[str]) -> dict:
    # The cgroup files of both hierarchies, read on the host by the selfcheck's one reader.
    targets = json.dumps({"connect": connect, "resolve": resolve, "cgroup_files": cgroups.FILES})
    result = container.exec_run(["python3", "-c", PROBE, targets])
    assert result.exit_code == 0, result.output.decode()
    return json.loads(result.output)


@pytest.fixture(scope="module")
def deployed(swarm_cluster, notebook_image):
    made = swarm_cluster
    uid = int(notebook_image.labels[ANALYST_UID_LABEL])
    began = time.monotonic()
    # Each engine pulls from the registry before its first service: retried, since a long pull's
    # stream has broken under this machine's load (a service would then be rejected, not retried).
    for node in made.nodes:
        cluster.pull(node, made.image)
    # The hub stand-in: a plain container on the manager, joined to each project overlay by the
    # spawner's own function, as the hub's container is.
    made.manager.engine.containers.run(made.image, name=HUB, detach=True, command=[*SERVE, str(HUB_PORT)],
                                       user=f"{uid}:{uid}")
    networks = {project: swarm.ensure_project_overlay(made.manager.engine, container_prefix=TEST_PREFIX,
                                                      project_id=project, attach=(HUB,))
                for project in ("a", "b")}
    # Project C: the same server on an overlay that is not internal (the control).
    networks["c"] = made.manager.engine.networks.create(f"{TEST_PREFIX}-swarm-open", driver="overlay",
                                                        attachable=True).name
    servers = {
        "a1": run_server(made, f"{TEST_PREFIX}-a1", "a", networks["a"], made.manager, uid),
        "a2": run_server(made, f"{TEST_PREFIX}-a2", "a", networks["a"], made.worker, uid),
        "b1": run_server(made, f"{TEST_PREFIX}-b1", "b", networks["b"], made.manager, uid),
        "c2": run_server(made, f"{TEST_PREFIX}-c2", "c", networks["c"], made.worker, uid),
    }
    tasks = {key: task_of(made, name) for key, name in servers.items()}
    made.timings["servers running (both nodes pulled)"] = time.monotonic() - began
    print(f"swarm timings (s): {json.dumps({k: round(v, 1) for k, v in made.timings.items()})}")
    yield made, servers, tasks, networks
    # Gone before the real hub's test, whose placement counts the tasks on each node.
    for name in (*servers.values(), f"{TEST_PREFIX}-c2-dns"):
        try:
            made.manager.engine.api.remove_service(name)
        except docker.errors.NotFound:
            pass


def test_servers_land_on_both_nodes_from_the_private_registry(deployed):
    made, servers, tasks, _ = deployed
    assert tasks["a1"]["NodeID"] == made.manager.swarm_id
    assert tasks["a2"]["NodeID"] == made.worker.swarm_id
    # The worker had no image of its own: it pulled the pinned reference from the registry.
    digests = [d for image in made.worker.engine.images.list() for d in image.attrs.get("RepoDigests", [])]
    assert made.image.split("@")[1] in {d.split("@")[1] for d in digests}
    assert all(d.startswith(made.registry_pull) for d in digests)


def test_from_the_worker_a_server_reaches_its_project_and_the_hub_only(deployed):
    made, servers, tasks, networks = deployed
    b1 = task_address(tasks["b1"], networks["b"])
    targets = [(servers["a1"], SERVER_PORT), (HUB, HUB_PORT), (b1, SERVER_PORT),
               (made.outside_address, 80), (made.worker.address, cluster.ENGINE_PORT),
               (made.manager.address, cluster.ENGINE_PORT)]
    seen = probe(made.worker, servers["a2"], targets, ["leak-from-a.example"])["connects"]
    assert seen == {
        f"{servers['a1']}:{SERVER_PORT}": True,  # its own project, on the other node
        f"{HUB}:{HUB_PORT}": True,  # the hub, on the other node
        f"{b1}:{SERVER_PORT}": False,  # another project's server, on the other node
        f"{made.outside_address}:80": False,  # the stand-in internet
        f"{made.worker.address}:{cluster.ENGINE_PORT}": False,  # its own node's engine
        f"{made.manager.address}:{cluster.ENGINE_PORT}": False,
    }
    # B's server does listen there: the hub, joined to B's overlay too, reaches it.
    hub = made.manager.engine.containers.get(HUB)
    assert probe_in(hub, [(b1, SERVER_PORT)], [])["connects"] == {f"{b1}:{SERVER_PORT}": True}


def test_with_the_boundary_removed_the_same_probes_get_out(deployed):
    made, servers, _, _ = deployed
    # Only addresses on the test's own bridge: from an overlay that is not internal, anything
    # else (another overlay's address too) is routed out through the node and the host.
    seen = probe(made.worker, servers["c2"], [(made.outside_address, 80), (made.worker.address, cluster.ENGINE_PORT)],
                 [])["connects"]
    assert seen == {f"{made.outside_address}:80": True, f"{made.worker.address}:{cluster.ENGINE_PORT}": True}


def test_no_dns_lookup_leaves_while_the_control_leaks_one(deployed, docker_client):
    made, servers, _, _ = deployed
    locked = probe(made.worker, servers["a2"], [], ["leak-from-a.example"])
    assert locked["resolves"] == {"leak-from-a.example": False}
    # A service without Haven's resolver setting forwards to its node's resolver, which
    # reaches the stand-in (cluster.py points the nodes at it).
    control = f"{TEST_PREFIX}-c2-dns"
    made.manager.engine.services.create(made.image, name=control, args=[*SERVE, str(SERVER_PORT)],
                                        networks=[f"{TEST_PREFIX}-swarm-open"], endpoint_spec=EndpointSpec(mode="dnsrr"),
                                        constraints=[f"node.hostname == {made.worker.name}"])
    task_of(made, control)
    opened = probe(made.worker, control, [], ["leak-from-c.example"])
    assert opened["resolves"] == {"leak-from-c.example": True}
    queries = cluster.outside_queries(docker_client)
    assert "leak-from-c.example" in queries and "leak-from-a.example" not in queries


def test_the_lockdown_holds_inside_a_service_on_the_worker(deployed, notebook_image):
    made, servers, _, _ = deployed
    seen = probe(made.worker, servers["a2"], [], [])
    assert seen["uid"] == int(notebook_image.labels[ANALYST_UID_LABEL])
    assert (seen["cap_eff"], seen["cap_bnd"]) == ("0000000000000000", "0000000000000000")
    assert not seen["root_writable"] and seen["tmp_writable"] and not seen["data_writable"]
    assert {"nosuid", "nodev"} <= set(seen["tmp_options"].split(","))
    limits = cgroups.limits_seen(seen)
    assert (limits.memory_bytes, limits.pids) == (512 * 2**20, 200)
    assert seen["ipv6_disabled"] == "1"
    # What a service cannot ask for on this engine (haven_hub.swarm.NOT_EXPRESSIBLE): the
    # image carries nothing set-uid instead (tests/integration/test_image_privileges.py).
    assert seen["no_new_privs"] == "0"


def test_the_swarm_spawner_itself_starts_a_locked_down_service(deployed, tmp_path, monkeypatch, notebook_image):
    """HavenSwarmSpawner's own network, image pinning, provenance and service on this swarm. The
    hub is not running here (test_swarm_hub.py runs a real one), so the user and the hub API are names only, and the
    server is a listener in place of jupyterhub-singleuser, which would exit without a hub."""
    import asyncio
    from types import SimpleNamespace

    from jupyterhub.objects import Hub
    from traitlets.config import Config

    from haven_hub import config
    from haven_hub.settings import parse_settings
    from haven_hub.swarm_spawner import HavenSwarmSpawner

    made, _, _, _ = deployed
    monkeypatch.setenv("DOCKER_HOST", f"tcp://{made.manager.address}:{cluster.ENGINE_PORT}")
    uid = int(notebook_image.labels[ANALYST_UID_LABEL])
    image_name = cluster.content_tag(notebook_image)
    settings = parse_settings({
        "hub": {"data_dir": str(tmp_path)},
        "spawner": {"engine": "swarm", "image": image_name, "container_prefix": TEST_PREFIX, "container_uid": uid,
                    "tmp_size": "64M",
                    "swarm": {"registry": made.registry_pull, "hub_host": HUB, "attach_containers": [HUB],
                              "placement_constraints": [f"node.hostname == {made.worker.name}"]}},
    })
    c = Config(config.spawner_config(settings))
    c.HavenSwarmSpawner.cmd = ["python3", "-c", "import http.server as h; h.test(h.SimpleHTTPRequestHandler, "
                                                "port=8888, bind='0.0.0.0')"]
    spawner = HavenSwarmSpawner(config=c, user=SimpleNamespace(name="ada", escaped_name="ada", url="/user/ada/"),
                                hub=Hub(ip=HUB, port=HUB_PORT), orm_spawner=SimpleNamespace(name="s", server=None))
    spawner.api_token = "not-a-real-token"
    project = SimpleNamespace(id="s")
    spawner.description = description("s", spawner.image, uid)

    async def start() -> tuple[str, int]:
        spawner._join_project_network(project.id)
        await spawner.create_object()
        await spawner.start_object()
        return await spawner.get_ip_and_port()

    name, port = asyncio.run(start())
    try:
        assert (name, port) == (f"{TEST_PREFIX}-ada--s", SERVER_PORT)
        service = made.manager.engine.api.inspect_service(name)
        image = service["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"]
        assert image.startswith(f"{made.registry_pull}/{image_name}@sha256:")  # pinned by digest
        assert spawner.provenance_record["image"]["repo_digests"] == [image.replace(f":{image_name.split(':')[1]}", "")]
        # On the worker, on the project's own internal overlay, which the hub stand-in joined.
        task = task_of(made, name)
        assert task["NodeID"] == made.worker.swarm_id
        network = made.manager.engine.networks.get(swarm.overlay_name(TEST_PREFIX, "s"))
        assert network.attrs["Internal"] and network.attrs["Driver"] == "overlay"
        seen = probe(made.worker, name, [(HUB, HUB_PORT), (made.outside_address, 80)], [])
        assert seen["connects"] == {f"{HUB}:{HUB_PORT}": True, f"{made.outside_address}:80": False}
        assert seen["uid"] == uid and seen["cap_bnd"] == "0000000000000000" and not seen["root_writable"]
        assert cgroups.limits_seen(seen).pids == LIMITS.pids
    finally:
        asyncio.run(spawner.remove_object())
