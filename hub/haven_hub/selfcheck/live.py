"""``haven selfcheck`` on a running Haven: a throwaway server, spawned as a project's would be.

Everything goes through the hub's REST API with the operator service's token, so the
server is made by the running hub's own spawner, exactly as a member's: the dedicated
account ``haven-selfcheck`` (an analyst; made on first use, disabled between runs, its
password never shown) is the only member of two throwaway projects, ``selfcheck-<hex>-a``
and ``-b``, each granted the catalogue's first dataset. Both servers start; the probe runs
in the first (the second is "another project"); then the servers, the projects, their
networks, volumes and workspaces are removed and the account is disabled again, also when
a step fails.
"""

from __future__ import annotations

import logging
import shutil
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

import docker

from .. import networks
from ..bootstrap import public_url
from ..datasets.catalogue import Catalogue
from ..projects import ProjectRecord, group_name, today_utc
from ..provisioning.hub_api import HubClient, HubError
from ..settings import DatasetGrant, Limits, Settings
from . import container as engine
from .checks import Result, Target, evaluate, probe_params

log = logging.getLogger(__name__)

IDENTITY = "haven-selfcheck"
# Small, so the limits are crossed quickly; a whole CPU, so JupyterLab starts in seconds.
LIMITS = Limits(cpu=1.0, memory="512M", pids=128)
SPAWN_TIMEOUT = 180.0


class SelfcheckError(RuntimeError):
    """The check could not be run (hub unreachable, spawn refused, ...): one readable line."""


@dataclass
class Report:
    results: list[Result]
    seconds: float
    server: dict = field(default_factory=dict)

    @property
    def failed(self) -> list[Result]:
        return [result for result in self.results if result.status == "fail"]


class LiveHaven:
    """The running Haven the settings describe, as its operator reaches it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        token_path = settings.data_path(settings.hub.operator_token_file)
        try:
            token = token_path.read_text().strip()
        except OSError as error:
            raise SelfcheckError(f"cannot read the operator token from {token_path}: {error.strerror}") from None
        base = public_url(settings)
        self.hub = HubClient(f"{base}/hub/api", token)
        self.accounts = HubClient(f"{base}/hub/haven-accounts/api/accounts", token)
        self.docker = docker.from_env(version="auto")

    # -- the identity ----------------------------------------------------------------

    def enable_identity(self) -> None:
        if self.settings.auth.kind != "builtin":
            if self.hub.user(IDENTITY) is None:
                self.hub.call("POST", f"/users/{IDENTITY}")
            return
        until = (today_utc() + timedelta(days=1)).isoformat()
        try:
            self.accounts.call("GET", f"/{IDENTITY}")
        except HubError as error:
            if error.status != 404:
                raise
            self.accounts.call("POST", f"/{IDENTITY}", {"roles": ["analyst"], "approved": True,
                                                        "approved_until": until})
            return
        self.accounts.call("PATCH", f"/{IDENTITY}", {"disabled": False, "approved": True, "approved_until": until,
                                                     "roles": ["analyst"], "admin": False})

    def disable_identity(self) -> None:
        # Disabling also revokes its tokens and stops any server it still has (auth.api).
        if self.settings.auth.kind == "builtin":
            self.accounts.call("PATCH", f"/{IDENTITY}", {"disabled": True})

    # -- throwaway projects ------------------------------------------------------------

    def first_dataset(self) -> str | None:
        catalogue = Catalogue(self.settings.data_path(self.settings.datasets.catalogue_dir))
        names = sorted(catalogue.names())
        return names[0] if names else None

    def create_project(self, project_id: str, dataset: str | None) -> None:
        record = ProjectRecord(title=f"haven selfcheck {project_id}", purpose="Removed when the check ends.",
                               limits=LIMITS, datasets=(DatasetGrant(name=dataset),) if dataset else ())
        self.hub.create_group(group_name(project_id), [IDENTITY])
        self.hub.set_properties(group_name(project_id), record.properties())

    def spawn(self, project_id: str) -> None:
        self.hub.call("POST", f"/users/{IDENTITY}/servers/{project_id}", {})

    def wait_ready(self, project_id: str, deadline: float) -> None:
        while time.monotonic() < deadline:
            server = (self.hub.user(IDENTITY) or {}).get("servers", {}).get(project_id)
            if server is None:
                raise SelfcheckError(f"the server for {project_id} stopped while starting; see the hub's log")
            if server.get("ready"):
                return
            time.sleep(0.25)
        raise SelfcheckError(f"the server for {project_id} was not ready after {SPAWN_TIMEOUT:.0f} s")

    def container_of(self, project_id: str):
        found = self.docker.containers.list(filters={"label": [f"{engine.PROJECT_LABEL}={project_id}",
                                                               f"{engine.USER_LABEL}={IDENTITY}"]})
        if len(found) != 1:
            raise SelfcheckError(f"expected one container for {IDENTITY}/{project_id}, found {len(found)}")
        return found[0]

    def remove_project(self, project_id: str) -> None:
        """Server, project, network, volumes, workspace: each tried even when another fails."""
        steps = (
            lambda: self._stop(project_id),
            lambda: self.hub.call("DELETE", f"/groups/{group_name(project_id)}"),
            lambda: networks.remove_project_network(
                self.docker, container_prefix=self.settings.spawner.container_prefix, project_id=project_id),
            lambda: self._remove_volumes(project_id),
            lambda: shutil.rmtree(self.settings.hub.data_dir / "projects" / project_id, ignore_errors=True),
        )
        for step in steps:
            try:
                step()
            except (HubError, docker.errors.APIError, OSError) as error:
                log.warning("selfcheck clean-up of %s: %s", project_id, error)

    def _stop(self, project_id: str) -> None:
        servers = (self.hub.user(IDENTITY) or {}).get("servers", {})
        if project_id not in servers:
            return
        self.hub.call("DELETE", f"/users/{IDENTITY}/servers/{project_id}", {"remove": True})
        deadline = time.monotonic() + 60
        while project_id in (self.hub.user(IDENTITY) or {}).get("servers", {}) and time.monotonic() < deadline:
            time.sleep(0.25)

    def _remove_volumes(self, project_id: str) -> None:
        prefix = self.settings.spawner.container_prefix
        for volume in self.docker.volumes.list():
            if any(volume.name.startswith(f"{prefix}-{kind}-{project_id}-") for kind in ("home", "scratch")):
                volume.remove(force=True)

    # -- the check -------------------------------------------------------------------------

    def target(self, project_id: str, other_project: str, dataset: str | None,
               outside: tuple[tuple[str, int], ...]) -> Target:
        settings = self.settings
        server = self.container_of(project_id)
        network = networks.network_name(settings.spawner.container_prefix, project_id)
        gateway = engine.gateway_of(self.docker, network)
        docker0 = engine.gateway_of(self.docker, "bridge")
        addresses = tuple(address for address in (gateway, docker0) if address)
        allowed = {settings.hub.api_port, settings.egress.port}
        return Target(
            container=server.name,
            limits=LIMITS,
            gateway=gateway,
            hub_api_port=settings.hub.api_port,
            egress_port=settings.egress.port,
            host_addresses=addresses,
            closed_ports=engine.closed_ports(allowed, addresses, also=(
                settings.hub.public_port, settings.hub.proxy_api_port, settings.admin.port)),
            other_servers=engine.other_servers(self.docker, project_id),
            outside=outside,
            resolver_is_havens=engine.resolver_is_havens(server.attrs),
            datasets=(dataset,) if dataset else (),
            mounts=tuple(server.attrs.get("Mounts", ())),
            allowed_mount_sources=(str(settings.hub.data_dir / "projects" / project_id / "workspace"),),
            hub_server=True,
            user=IDENTITY,
            other_project=other_project,
        )


def run(settings: Settings, outside: tuple[tuple[str, int], ...] = ()) -> Report:
    """Spawns, probes, removes; the report. SelfcheckError when it could not get as far as probing."""
    started = time.monotonic()
    haven = LiveHaven(settings)
    suffix = uuid.uuid4().hex[:6]
    first, second = f"selfcheck-{suffix}-a", f"selfcheck-{suffix}-b"
    try:
        haven.enable_identity()
        dataset = haven.first_dataset()
        for project_id in (first, second):
            haven.create_project(project_id, dataset)
            haven.spawn(project_id)
        deadline = time.monotonic() + SPAWN_TIMEOUT
        for project_id in (first, second):
            haven.wait_ready(project_id, deadline)
        spawned = time.monotonic() - started
        target = haven.target(first, second, dataset, outside)
        bridge = networks.bridge_name(settings.network.bridge_prefix, first)
        seen = engine.run_probe_watching_dns(haven.docker, target.container, probe_params(target), bridge)
        results = evaluate(target, seen)
        server = {"container": target.container, "project": first, "user": IDENTITY,
                  "spawn_seconds": round(spawned, 1)}
    except HubError as error:
        raise SelfcheckError(str(error)) from None
    except engine.ProbeError as error:
        raise SelfcheckError(str(error)) from None
    except docker.errors.DockerException as error:
        raise SelfcheckError(f"the Docker engine: {error}") from None
    except OSError as error:  # the catalogue or the bridge watch (needs root, as the hub)
        raise SelfcheckError(f"{error}") from None
    finally:
        with ThreadPoolExecutor(max_workers=2) as pool:  # each waits for its server to stop
            list(pool.map(haven.remove_project, (first, second)))
        try:
            haven.disable_identity()
        except HubError as error:
            log.warning("selfcheck could not disable %s: %s", IDENTITY, error)
    return Report(results=results, seconds=round(time.monotonic() - started, 1), server=server)
