"""A real JupyterHub (Haven's jupyterhub_config.py, spawner.engine: swarm) starting servers on
the two-engine swarm through HavenSwarmSpawner.

The hub runs in a container on the manager (hub_image.py), joined to each project's internal
overlay by the spawner itself (spawner.swarm.attach_containers); its data folder, which holds
the workspaces, is the swarm's shared filesystem (cluster.SHARED_DIR on both nodes). The test
talks to it only through its public port: the operator token starts two
projects' servers over the REST API, jupyterhub-singleuser answers through the hub's proxy,
the swarm spreads the two services over both nodes, and stopping removes them.
"""

from __future__ import annotations

import io
import tarfile
import time

import pytest
import requests
import yaml

from haven_hub import projects as hub_projects
from haven_hub.provisioning.hub_api import HubClient
from haven_hub.settings import parse_settings
from haven_hub.spawner import ANALYST_UID_LABEL
from haven_hub.swarm import overlay_name
from tests.fixtures.docker_engine import TEST_PREFIX
from tests.fixtures.hub import BRIDGE_PREFIX, Hub, firewall_chain
from tests.integration.swarm import cluster, hub_image

pytestmark = pytest.mark.docker

HUB_NAME = f"{TEST_PREFIX}-haven-hub"
HUB_NETWORK = f"{TEST_PREFIX}-haven-hub-net"
PUBLIC_PORT, API_PORT, PROXY_API_PORT, EGRESS_PORT, ADMIN_PORT = 8000, 8081, 8001, 8090, 8091
DATA_DIR = f"{cluster.SHARED_DIR}/hub-data"
SETTINGS_PATH = f"{DATA_DIR}/haven.yaml"
PROJECTS = ("north", "south")
USER = "ada"


def hub_settings(made: cluster.Swarm, notebook: str, uid: int) -> dict:
    return {
        "hub": {"public_ip": "0.0.0.0", "public_port": PUBLIC_PORT, "api_port": API_PORT,
                "proxy_api_port": PROXY_API_PORT, "data_dir": DATA_DIR,
                "proxy_command": ["/opt/haven-hub/src/hub/proxy/node_modules/.bin/configurable-http-proxy"]},
        "auth": {"kind": "builtin", "accounts": [{"name": USER}, {"name": "root-admin", "admin": True}]},
        "spawner": {"engine": "swarm", "image": notebook, "container_prefix": TEST_PREFIX, "container_uid": uid,
                    "start_timeout": 300, "tmp_size": "64M",
                    "swarm": {"registry": made.registry_pull, "hub_host": HUB_NAME, "attach_containers": [HUB_NAME]}},
        "network": {"bridge_prefix": BRIDGE_PREFIX, "firewall_chain": firewall_chain(TEST_PREFIX)},
        "projects": [{"id": project, "title": f"The {project} cohort", "members": [USER],
                      "limits": {"cpu": 0.5, "memory": "768M", "pids": 256}} for project in PROJECTS],
        "egress": {"port": EGRESS_PORT},
        "admin": {"port": ADMIN_PORT},
    }


def _put_file(container, directory: str, name: str, text: str) -> None:
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        data = text.encode()
        info = tarfile.TarInfo(name)
        info.size, info.mode = len(data), 0o600
        tar.addfile(info, io.BytesIO(data))
    container.put_archive(directory, archive.getvalue())


def _hub_answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/hub/api/", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _hub_log(docker_client, made: cluster.Swarm, container) -> str:
    """The hub container's output and the end of its log file (read on the manager node: the
    hub may have exited)."""
    node = docker_client.containers.get(made.manager.name)
    result = node.exec_run(["sh", "-c", f"tail -c 4000 {DATA_DIR}/logs/hub.log"])
    return container.logs(tail=60).decode(errors="replace") + result.output.decode(errors="replace")


@pytest.fixture(scope="module")
def swarm_hub(swarm_cluster, docker_client, notebook_image):
    made = swarm_cluster
    notebook = cluster.content_tag(notebook_image)
    began = time.monotonic()
    built = hub_image.build(docker_client, notebook)
    reference = cluster.push(docker_client, made, built)
    for node in made.nodes:
        cluster.pull(node, made.image)
    cluster.pull(made.manager, reference)
    made.timings["hub image built, pushed and pulled"] = time.monotonic() - began

    raw = hub_settings(made, notebook, int(notebook_image.labels[ANALYST_UID_LABEL]))
    manager_node = docker_client.containers.get(made.manager.name)
    manager_node.exec_run(["mkdir", "-p", "-m", "0700", DATA_DIR])
    _put_file(manager_node, DATA_DIR, "haven.yaml", yaml.safe_dump(raw))
    engine = made.manager.engine
    # A network of its own, not the default bridge: only a container made on a user-defined
    # network gets the engine's resolver, which answers the servers' names on the overlays.
    engine.networks.create(HUB_NETWORK, driver="bridge")
    container = engine.containers.run(
        reference, name=HUB_NAME, hostname=HUB_NAME, detach=True, user="0:0", network=HUB_NETWORK,
        environment={"HAVEN_SETTINGS": SETTINGS_PATH},
        # The same start as bootstrap.start's, in the foreground; its host firewall step has
        # nothing to guard here (internal overlays have no gateway to the node).
        command=["sh", "-c", f"python -m haven_hub.bootstrap secrets --settings {SETTINGS_PATH} "
                             "&& exec jupyterhub -f jupyterhub_config.py"],
        volumes={cluster.SHARED_DIR: {"bind": cluster.SHARED_DIR, "mode": "rw"},
                 # The spawner drives the manager's engine, as DOCKER_HOST would in production.
                 "/var/run/docker.sock": {"bind": "/var/run/docker.sock", "mode": "rw"}},
        ports={f"{PUBLIC_PORT}/tcp": PUBLIC_PORT})
    url = f"http://{made.manager.address}:{PUBLIC_PORT}"
    try:
        deadline = time.monotonic() + 180
        while not _hub_answers(url):
            container.reload()
            if container.status == "exited" or time.monotonic() > deadline:
                pytest.fail(f"the hub in {HUB_NAME} did not answer:\n{_hub_log(docker_client, made, container)}")
            time.sleep(1)
        made.timings["hub answering"] = time.monotonic() - began
        settings = parse_settings(raw)
        token_path = settings.data_path(settings.hub.operator_token_file)
        token = container.exec_run(["cat", str(token_path)]).output.decode().strip()
        hub_projects.seed_projects(HubClient(f"{url}/hub/api", token), settings.projects)
        yield Hub(settings=settings, settings_path=SETTINGS_PATH, url=url, operator_token=token), made, container
    finally:
        container.remove(force=True)
        engine.networks.get(HUB_NETWORK).remove()


def _running_node(made: cluster.Swarm, service: str) -> str:
    tasks = made.manager.engine.api.tasks(filters={"service": service, "desired-state": "running"})
    return next(task["NodeID"] for task in tasks if task["Status"]["State"] == "running")


def _set_availability(node, availability: str) -> None:
    node.reload()
    node.update({**node.attrs["Spec"], "Availability": availability})


def test_a_real_hub_spawns_two_projects_servers_on_both_nodes_and_stops_them(swarm_hub, docker_client):
    hub, made, container = swarm_hub
    # The hub made the account from the settings' accounts when it started; the operator sees it.
    assert hub.api("GET", f"/users/{USER}").json()["servers"] == {}
    began = time.monotonic()
    services = {project: hub.container_name(USER, project) for project in PROJECTS}
    paused = None
    try:
        for project in PROJECTS:
            response = hub.api("POST", f"/users/{USER}/servers/{project}")
            assert response.status_code in (201, 202), response.text
            hub.wait_ready(USER, project, timeout=300)
            if paused is None:
                # The swarm's spreading did not separate two services on an idle two-node swarm
                # (both landed on one node, twice): the first server's node takes no new task
                # while the second starts, so the hub's spawn must work on the other node too.
                paused = made.manager.engine.nodes.get(_running_node(made, services[project]))
                _set_availability(paused, "pause")
    except AssertionError as error:
        pytest.fail(f"{error}\n{_hub_log(docker_client, made, container)}")
    finally:
        if paused is not None:
            _set_availability(paused, "active")
    made.timings["two servers ready through the hub"] = time.monotonic() - began
    print(f"swarm hub timings (s): { {k: round(v, 1) for k, v in made.timings.items()} }")

    for project, service in services.items():
        # jupyterhub-singleuser itself, through the hub's proxy, which reaches it on the overlay.
        response = requests.get(f"{hub.url}/user/{USER}/{project}/api", timeout=30)
        assert response.status_code == 200 and "version" in response.json(), response.text
        spec = made.manager.engine.api.inspect_service(service)["Spec"]["TaskTemplate"]
        network = made.manager.engine.networks.get(overlay_name(TEST_PREFIX, project))
        assert [n["Target"] for n in spec["Networks"]] == [network.id]
        assert network.attrs["Internal"] and HUB_NAME in {c["Name"] for c in network.attrs["Containers"].values()}
    # One server on each node, each spawned by the hub.
    assert {_running_node(made, service) for service in services.values()} == {
        made.manager.swarm_id, made.worker.swarm_id}

    for project in PROJECTS:
        hub.stop(USER, project)
    for service in services.values():
        assert made.manager.engine.api.services(filters={"name": service}) == []
