"""A Docker Swarm of two engines made here: Docker-in-Docker nodes (tests/integration/swarm/node)
on a network the test creates, one manager and one worker, and Debian's docker-registry as the
private registry both pull the notebook image from. Everything is named with TEST_PREFIX and
removed afterwards; nothing listens beyond the test's own network and 127.0.0.1.
"""

from __future__ import annotations

import io
import socket
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import docker
from docker.errors import APIError, NotFound

from haven_hub import swarm
from tests.fixtures.docker_engine import TEST_PREFIX

NODE_CONTEXT = Path(__file__).parent / "node"
NODE_IMAGE = f"{TEST_PREFIX}-swarm-node:latest"
NETWORK = f"{TEST_PREFIX}-swarm-net"
REGISTRY = f"{TEST_PREFIX}-swarm-registry"
OUTSIDE = f"{TEST_PREFIX}-swarm-outside"
NODE_NAMES = (f"{TEST_PREFIX}-swarm-manager", f"{TEST_PREFIX}-swarm-worker")
REGISTRY_PORT = 5000
# The registry's storage outlives a run, as a cache: pushing the 2 GB notebook image the first
# time takes minutes here (the engine compresses every layer); later pushes send only new
# layers. Not "<prefix>-..." so the session clean-up keeps it; `docker volume rm` it to start over.
REGISTRY_CACHE = f"{TEST_PREFIX}cache-swarm-registry"
ENGINE_PORT = 2375
DATASET_DIR = "/srv/haven-test-dataset"
# The shared filesystem a swarm needs (docs/swarm.md: the hub's data folder, which holds the
# workspaces, at the same path on the hub and every node): one volume of this host in both nodes.
SHARED_DIR = "/srv/haven-shared"
SHARED_VOLUME = f"{TEST_PREFIX}-swarm-shared"
OUTSIDE_SERVER = Path(__file__).parents[2] / "security" / "outside_server.py"
# Every capability but CAP_SYS_RESOURCE, which this host's bounding set lacks (so runc refuses
# --privileged, which asks for all): what dockerd needs to run containers, bridges and iptables.
NODE_CAPABILITIES = [
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
    "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
    "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
    "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE",
    "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ",
]


@dataclass
class Node:
    name: str
    address: str
    engine: docker.DockerClient
    swarm_id: str = ""


@dataclass
class Swarm:
    manager: Node
    worker: Node
    registry_push: str  # as the host's engine names it (127.0.0.1: no TLS needed for loopback)
    registry_pull: str  # as the nodes name it, on the test network
    outside_address: str  # the stand-in internet: a listener on the test network, off every overlay
    timings: dict[str, float] = field(default_factory=dict)
    image: str = ""  # the notebook image as the nodes pull it, pinned by digest

    @property
    def nodes(self) -> tuple[Node, Node]:
        return (self.manager, self.worker)


def _address(container) -> str:
    container.reload()
    return container.attrs["NetworkSettings"]["Networks"][NETWORK]["IPAddress"]


def _free_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(what: str, ready, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if ready():
                return
        except (APIError, OSError, docker.errors.DockerException) as error:
            last = error
        time.sleep(0.5)
    raise TimeoutError(f"{what} not ready after {timeout:g}s (last error: {last})")


def build_node_image(client: docker.DockerClient, base_image: str) -> str:
    client.images.build(path=str(NODE_CONTEXT), tag=NODE_IMAGE, buildargs={"BASE_IMAGE": base_image}, rm=True)
    return NODE_IMAGE


def _start_node(client: docker.DockerClient, name: str, resolver: str) -> Node:
    api = client.api
    host_config = api.create_host_config(
        cap_add=NODE_CAPABILITIES, cgroupns="private", network_mode=NETWORK,
        # The node's upstream resolver is the stand-in's, which logs every name it is asked.
        dns=[resolver],
        security_opt=["apparmor=unconfined", "seccomp=unconfined"],
        binds={f"{name}-engine": {"bind": "/var/lib/docker", "mode": "rw"},
               SHARED_VOLUME: {"bind": SHARED_DIR, "mode": "rw"}},
    )
    # docker's --security-opt systempaths=unconfined: the engine inside writes /proc/sys.
    host_config.update(MaskedPaths=[], ReadonlyPaths=[])
    created = api.create_container(
        NODE_IMAGE, name=name, hostname=name, host_config=host_config,
        command=["/usr/local/bin/node-entrypoint", "--insecure-registry", f"{REGISTRY}:{REGISTRY_PORT}"])
    api.start(created["Id"])
    container = client.containers.get(created["Id"])
    address = _address(container)
    engine = docker.DockerClient(base_url=f"tcp://{address}:{ENGINE_PORT}", version="1.41", timeout=600)
    _wait(f"the engine of {name}", lambda: engine.ping(), timeout=90)
    return Node(name=name, address=address, engine=engine)


def _start_registry(client: docker.DockerClient) -> int:
    port = _free_loopback_port()
    client.containers.run(
        NODE_IMAGE, name=REGISTRY, hostname=REGISTRY, detach=True, network=NETWORK,
        command=["docker-registry", "serve", "/etc/haven-test-registry.yml"],
        ports={f"{REGISTRY_PORT}/tcp": ("127.0.0.1", port)},
        volumes={REGISTRY_CACHE: {"bind": "/var/lib/docker-registry", "mode": "rw"}},
    )

    def answers() -> bool:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    _wait("the registry", answers, timeout=30)
    return port


def _start_outside(client: docker.DockerClient) -> str:
    """The stand-in internet (tests/security/outside_server.py): a banner on port 80 and a
    resolver on 53, on the test network, which no project overlay joins."""
    container = client.containers.create(
        NODE_IMAGE, name=OUTSIDE, detach=True, network=NETWORK,
        command=["python3", "/outside_server.py", "/tmp/queries.log", "0.0.0.0", "0.0.0.0"],
    )
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        tar.add(OUTSIDE_SERVER, arcname="outside_server.py")
    container.put_archive("/", archive.getvalue())
    container.start()
    address = _address(container)

    def answers() -> bool:
        with socket.create_connection((address, 80), timeout=1):
            return True
    _wait("the stand-in outside world", answers, timeout=30)
    return address


def start(client: docker.DockerClient, base_image: str) -> Swarm:
    """Builds the node image, starts registry, nodes and stand-in, and makes the swarm."""
    timings = {}
    began = time.monotonic()
    build_node_image(client, base_image)
    client.networks.create(NETWORK, driver="bridge", labels={"org.haven.test": "swarm"})
    registry_port = _start_registry(client)
    outside = _start_outside(client)
    manager, worker = (_start_node(client, name, outside) for name in NODE_NAMES)
    for name in NODE_NAMES:
        # A dataset grant's directory, as a shared filesystem would provide it on every node.
        client.containers.get(name).exec_run(["sh", "-c", f"mkdir -p {DATASET_DIR} && echo x > {DATASET_DIR}/rows.csv"])
    timings["nodes up"] = time.monotonic() - began
    manager.engine.swarm.init(advertise_addr=manager.address, listen_addr=f"{manager.address}:2377")
    token = manager.engine.swarm.attrs["JoinTokens"]["Worker"]
    worker.engine.swarm.join(remote_addrs=[f"{manager.address}:2377"], join_token=token,
                             advertise_addr=worker.address, listen_addr=f"{worker.address}:2377")
    for node in (manager, worker):
        node.swarm_id = node.engine.info()["Swarm"]["NodeID"]

    def both_ready() -> bool:
        return sorted(n.attrs["Status"]["State"] for n in manager.engine.nodes.list()) == ["ready", "ready"]
    _wait("both swarm nodes", both_ready, timeout=60)
    timings["swarm formed"] = time.monotonic() - began
    return Swarm(manager=manager, worker=worker, registry_push=f"127.0.0.1:{registry_port}",
                 registry_pull=f"{REGISTRY}:{REGISTRY_PORT}", outside_address=outside, timings=timings)


def content_tag(image) -> str:
    """The image's content-hashed tag (images/build.py), which does not move while the test
    runs as ``:latest`` may when someone rebuilds."""
    tags = [tag for tag in image.tags if not tag.endswith(":latest")]
    if not tags:
        raise RuntimeError(f"the notebook image {image.id} has no content tag; build it with images/build.py")
    return sorted(tags)[0]


def push(client: docker.DockerClient, swarm_: Swarm, image: str) -> str:
    """Pushes ``image`` (``repository:tag``) with Haven's own push; returns the digest-pinned
    reference the nodes pull."""
    return swarm.push_image(client, image, swarm_.registry_pull, pushed_as=swarm_.registry_push)


def outside_queries(client: docker.DockerClient) -> list[str]:
    """Every name the stand-in's resolver was asked, in order."""
    result = client.containers.get(OUTSIDE).exec_run(["cat", "/tmp/queries.log"])
    return result.output.decode().split() if result.exit_code == 0 else []


def pull(node: Node, reference: str, attempts: int = 3) -> None:
    """The node's engine pulls ``reference`` from the registry. Retried: under heavy load here
    the engine has dropped a long pull's stream (IncompleteRead) once in several runs."""
    for attempt in range(attempts):
        try:
            node.engine.images.pull(reference)
            return
        except (APIError, OSError, ValueError, docker.errors.DockerException):
            if attempt == attempts - 1:
                raise
            time.sleep(2)


def stop(client: docker.DockerClient) -> None:
    """Removes everything ``start`` made, whether or not it got that far."""
    # Removing an engine's volume deletes gigabytes of extracted layers: more than docker-py's 60 s here.
    client = docker.from_env(version="auto", timeout=900)
    for name in (*NODE_NAMES, REGISTRY, OUTSIDE):
        try:
            client.containers.get(name).remove(force=True, v=True)
        except NotFound:
            pass
    for name in (*(f"{node}-engine" for node in NODE_NAMES), SHARED_VOLUME):
        try:
            client.volumes.get(name).remove(force=True)
        except NotFound:
            pass
    try:
        client.networks.get(NETWORK).remove()
    except NotFound:
        pass
