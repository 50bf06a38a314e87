"""``HavenSwarmSpawner``: a project server as a Docker Swarm service (settings: ``spawner.engine: swarm``).

The membership check, grants, progress and description are ``HavenProjectSpawner``'s, shared
with the Docker spawner; the service is ``haven_hub.swarm``'s translation of the description,
on the project's own internal overlay network. docs/swarm.md says what differs from one host.
"""

from __future__ import annotations

import asyncio
import dataclasses
from functools import cached_property
from typing import Any

import docker
from dockerspawner import SwarmSpawner
from docker.types import Placement
from traitlets import Bool

from . import provenance, swarm
from .project_spawner import HavenProjectSpawner, ProjectAccessError
from .spawner import HavenSpawner


class HavenSwarmSpawner(HavenProjectSpawner, SwarmSpawner):
    """A project server as a locked-down service on a Docker Swarm."""

    @classmethod
    def section_names(cls) -> list[str]:
        # Haven's config addresses "HavenSpawner" whichever engine runs the servers; this
        # class's own section still comes last, so what is set for it alone wins.
        names = super().section_names()
        return [*names[:-1], "HavenSpawner", names[-1]]

    # SwarmSpawner makes this a constant (a service is always removed); a trait again, so the
    # "HavenSpawner" section's remove = True applies without a warning at every start.
    remove = Bool(True, config=True, help="Always true on a swarm: a stopped server's service is removed.")

    @cached_property
    def _docker_client(self) -> docker.DockerClient:
        # The manager's engine, as SwarmSpawner's own low-level client (both read DOCKER_HOST).
        return docker.from_env(version="auto")

    # The same names and host preparation as the Docker spawner: on a swarm the workspace path
    # is a shared filesystem mounted at the same place on the hub and every node.
    workspace_dir = HavenSpawner.workspace_dir
    home_volume = HavenSpawner.home_volume
    scratch_volume = HavenSpawner.scratch_volume
    _mount_source = HavenSpawner._mount_source
    _prepare_workspace = HavenSpawner._prepare_workspace

    async def start(self):
        try:
            return await self._start()
        finally:
            self._spawn_project = None

    async def _start(self):
        self._haven_events.clear()
        loop = asyncio.get_running_loop()
        project = self.requested_project()
        datasets = await loop.run_in_executor(self.executor, self.dataset_mounts, project)
        self.description = self.describe(project, datasets)
        self._report(10, f"Project {project.title} ({project.id}): membership checked")

        await loop.run_in_executor(self.executor, self._join_project_network, project.id)
        self._report(25, f"Project network {self.network_name} ready")

        await loop.run_in_executor(self.executor, self._prepare_workspace, project.id)
        self._report(40, "Workspace ready")
        self._report(55, f"Starting a locked-down service ({project.limits.cpu:g} CPU, "
                         f"{project.limits.memory} memory, {project.limits.pids} processes)")
        ip, port = await super().start()
        self._report(95, "JupyterLab is running")
        return ip, port

    def _join_project_network(self, project_id: str) -> None:
        self.network_name = self._prepare_network(project_id)
        self.use_internal_ip = True
        # The hub and the egress service join every project overlay, so servers reach them by name.
        host = self.settings.spawner.swarm.hub_host
        self.hub_connect_url = f"http://{host}:{self.settings.hub.api_port}"
        self.egress_url = f"http://{host}:{self.settings.egress.port}/services/egress/"

    def _prepare_network(self, project_id: str) -> str:
        config = self.settings.spawner.swarm
        try:
            return swarm.ensure_project_overlay(self._docker_client, container_prefix=self.settings.spawner.container_prefix,
                                                project_id=project_id, attach=tuple(config.attach_containers))
        except (docker.errors.DockerException, RuntimeError) as error:
            raise ProjectAccessError(f"The project network could not be made on the swarm: {error}. "
                                     "Ask an administrator.", status=500) from None

    async def create_object(self):
        """The service, from the description alone: SwarmSpawner's own create_object reads
        DockerSpawner's traits, which carry none of the lockdown."""
        constraints = list(self.settings.spawner.swarm.placement_constraints)
        # Pinned by digest, resolved once on the manager: every node then runs the same bytes
        # even if the tag moves while the service is placed.
        digest = await asyncio.get_running_loop().run_in_executor(
            self.executor, lambda: self._docker_client.images.get_registry_data(self.image).id)
        described = dataclasses.replace(self.description, image=f"{self.image}@{digest}")
        self.provenance_record = await asyncio.get_running_loop().run_in_executor(
            self.executor, self._record_provenance, digest)
        spec = swarm.service_spec(described, name=self.service_name, network=self.network_name,
                                  mount_source=self._mount_source, env=self.get_env(), args=await self.get_command(),
                                  placement=Placement(constraints=constraints) if constraints else None)
        service = await self.docker("create_service", **spec)
        while not await self.docker("tasks", filters={"service": self.service_name}):
            await asyncio.sleep(0.5)
        return service

    def _record_provenance(self, digest: str) -> dict[str, Any]:
        """The environment of the server being started: the image by the digest every node pulls
        (with its labels when the manager holds the image too) and the datasets mounted."""
        pinned = f"{self.image.rsplit(':', 1)[0]}@{digest}"
        try:
            attrs = self._docker_client.api.inspect_image(pinned)
        except docker.errors.ImageNotFound:
            attrs = {"RepoDigests": [pinned]}
        return provenance.server_record(self.image, attrs, self._dataset_records)

