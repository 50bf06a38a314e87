"""The spawners: one locked-down server per (user, project).

A server's name is its project's id, so ``/user/ada/demo/`` is Ada's server for project
``demo`` and its container is ``haven-ada--demo``. Who may start which server, and with
which limits, comes from the project group in the hub's database. What every engine shares
(the membership check and refusal chain, grants, progress, the description) is
``haven_hub.project_spawner.HavenProjectSpawner``; ``HavenSpawner`` runs the server as a
Docker container.
"""

from __future__ import annotations

import asyncio
import inspect
from functools import cached_property
from pathlib import Path
from typing import Any

import docker
from dockerspawner import DockerSpawner

from . import container_config, host_state, lockdown, networks, provenance, server_description
# The shared base and its refusal, imported from here by the other engines' spawners and tests.
from .project_spawner import HavenProjectSpawner, ProjectAccessError
from .projects import Project
from .server_description import DATA_MOUNT, NOTEBOOK_HOME, SCRATCH_MOUNT, WORKSPACE_MOUNT

__all__ = ["DATA_MOUNT", "NOTEBOOK_HOME", "SCRATCH_MOUNT", "WORKSPACE_MOUNT", "HavenProjectSpawner", "HavenSpawner",
           "ProjectAccessError"]
# Set by images/notebook/Dockerfile to the uid its analyst user has.
ANALYST_UID_LABEL = "org.haven.analyst-uid"


class HavenSpawner(HavenProjectSpawner, DockerSpawner):
    """A project server as a locked-down Docker container on this host."""

    @cached_property
    def _docker_client(self) -> docker.DockerClient:
        # Same engine as DockerSpawner's low-level client (both read DOCKER_HOST).
        return docker.from_env(version="auto")

    def _image_kernel_packages(self) -> dict[str, str] | None:
        """The top-level packages of the image a start would run, read from its label (None:
        the image is missing or was built before the label)."""
        try:
            return provenance.kernel_packages(self._docker_client.images.get(self.image).labels)
        except docker.errors.DockerException:
            return None  # the page still serves; starting says what is wrong with the image

    def workspace_dir(self, project_id: str) -> Path:
        return self.settings.hub.data_dir / "projects" / project_id / "workspace"

    def home_volume(self, project_id: str) -> str:
        return f"{self.settings.spawner.container_prefix}-home-{project_id}-{self.escaped_name}"

    def _prepare_network(self, project_id: str) -> networks.ProjectNetwork:
        # The firewall goes in before any container joins a project bridge.
        networks.project_firewall(self.settings).install()
        return networks.ensure_project_network(
            self._docker_client,
            container_prefix=self.settings.spawner.container_prefix,
            bridge_prefix=self.settings.network.bridge_prefix,
            project_id=project_id,
        )

    def scratch_volume(self, project_id: str) -> str:
        return f"{self.settings.spawner.container_prefix}-scratch-{project_id}-{self.escaped_name}"

    def _prepare_workspace(self, project_id: str) -> None:
        """The workspace is the containers' uid's alone (0700); the folders above it are the
        hub's (0700), which a bind mount does not need to cross."""
        uid = self.settings.spawner.container_uid
        path = self.workspace_dir(project_id)
        host_state.make_private_dir(path.parent)
        if not path.exists():
            path.mkdir(mode=0o700)
        info = path.lstat()
        if (info.st_uid, info.st_gid) != (uid, uid):
            # Made when containers ran as another uid: the new one must own what is inside too.
            host_state.own_tree(path, uid)
        path.chmod(0o700)

    def _prepare_volumes(self, project_id: str) -> None:
        """Home and scratch volumes made when containers ran as another uid go to the current one.
        New volumes need nothing: Docker copies the image's folders, owned by the same uid."""
        uid = self.settings.spawner.container_uid
        for name in (self.home_volume(project_id), self.scratch_volume(project_id)):
            try:
                volume = self._docker_client.volumes.get(name)
            except docker.errors.NotFound:
                continue
            mountpoint = Path(volume.attrs.get("Mountpoint") or "")
            if volume.attrs.get("Driver") != "local" or not mountpoint.is_dir():
                continue
            if mountpoint.stat().st_uid != uid:
                changed = host_state.own_tree(mountpoint, uid)
                self.log.info("%s: gave %d paths of volume %s to uid %d", self._log_name, changed, name, uid)

    def _prepare_storage(self, project_id: str) -> None:
        self._check_image_uid()
        self._prepare_workspace(project_id)
        self._prepare_volumes(project_id)

    def _check_image_uid(self) -> None:
        """A server whose image was built for another uid could not write its own home folder."""
        uid = self.settings.spawner.container_uid
        try:
            labels = self._docker_client.images.get(self.image).labels or {}
        except docker.errors.ImageNotFound:
            return  # DockerSpawner says so in its own words
        built_for = labels.get(ANALYST_UID_LABEL)
        if built_for != str(uid):
            raise ProjectAccessError(
                f"The notebook image {self.image} was built for uid {built_for or 'unknown'}, and "
                f"spawner.container_uid is {uid}. Ask an administrator to rebuild it "
                "(images/build.py --settings FILE).",
                status=500,
            )

    @cached_property
    def _configured(self) -> container_config.Configured:
        """What config set on the traits start() fills in, read before the first start does,
        so every start merges config's own values again."""
        return container_config.Configured(
            volumes=dict(self.volumes), read_only_volumes=dict(self.read_only_volumes), mounts=list(self.mounts),
            extra_host_config=self.extra_host_config, extra_create_kwargs=self.extra_create_kwargs,
            mem_limit=self.mem_limit, cpu_limit=self.cpu_limit,
        )

    async def _rendered(self, value: Any) -> dict[str, Any]:
        """A DockerSpawner dict setting as DockerSpawner reads it: called if callable, templates filled."""
        value = self._eval_if_callable(value)
        if inspect.isawaitable(value):
            value = await value
        return self._render_templates(dict(value or {}))

    def _mount_source(self, mount: server_description.Mount) -> str:
        """A described mount as Docker names it: the workspace a host folder, home and scratch
        volumes per (user, project), a dataset its version directory."""
        if mount.kind == "workspace":
            return str(self.workspace_dir(mount.source))
        if mount.kind == "home":
            return self.home_volume(self.description.project)
        if mount.kind == "scratch":
            return self.scratch_volume(self.description.project)
        return mount.source

    async def _container_settings(self, project: Project, datasets: dict[str, dict[str, str]]) -> dict[str, Any]:
        """DockerSpawner's volumes, host config and create arguments for this start: Haven's
        mounts and lockdown merged with what config added (container_config). Refuses a
        conflict before anything is made."""
        configured = self._configured
        described = self.description = self.describe(project, datasets)
        mounts = {self._mount_source(mount): {"bind": mount.target, "mode": "ro" if mount.read_only else "rw"}
                  for mount in described.mounts}
        spec = lockdown.container_spec(described.resources, described.hardening)
        try:
            container_config.check_limits(configured)
            added_volumes = self._volumes_to_binds(configured.volumes, {})
            self._volumes_to_binds(configured.read_only_volumes, added_volumes, mode="ro")
            container_config.check_volumes(mounts, added_volumes, other_targets=list(spec.host_config.get("tmpfs", {})))
            # Removed by stop(), not by the engine, so a server that dies while starting
            # leaves its output for stop() to log.
            host_config = container_config.host_config(
                spec.host_config, {"auto_remove": False}, await self._rendered(configured.extra_host_config))
            create_kwargs = container_config.create_kwargs(
                spec.create, dict(described.labels),
                await self._rendered(configured.extra_create_kwargs))
        except container_config.SpawnerConfigError as error:
            self.log.error("%s: %s", self._log_name, error)
            raise ProjectAccessError(f"{error} Ask an administrator to fix it.", status=500) from None
        return {"volumes": {**configured.volumes, **mounts}, "extra_host_config": host_config,
                "extra_create_kwargs": create_kwargs}

    async def start(self):
        try:
            return await self._start()
        finally:
            self._spawn_project = None

    async def _start(self):
        self._haven_events.clear()
        project = self.requested_project()
        # Resolved before anything is made, so a grant that cannot be honoured, or a config
        # that conflicts with the lockdown, changes nothing.
        # In the executor: building a filtered copy can take a while on a large dataset.
        datasets = await asyncio.get_running_loop().run_in_executor(self.executor, self.dataset_mounts, project)
        container = await self._container_settings(project, datasets)
        self._report(10, f"Project {project.title} ({project.id}): membership checked")

        network = await asyncio.get_running_loop().run_in_executor(
            self.executor, self._prepare_network, project.id
        )
        self.network_name = network.name
        self.use_internal_ip = True
        self.hub_connect_url = f"http://{network.gateway}:{self.settings.hub.api_port}"
        # The egress service, as the server reaches it (haven-lab sends release requests there).
        self.egress_url = f"http://{network.gateway}:{self.settings.egress.port}/services/egress/"
        self._report(25, f"Project network {network.name} ready")

        await asyncio.get_running_loop().run_in_executor(self.executor, self._prepare_storage, project.id)
        self.volumes = container["volumes"]
        granted = ", ".join(grant.name for grant in project.datasets) or "no datasets"
        self._report(40, f"Workspace, home folder and datasets ready ({granted})")

        self.extra_host_config = container["extra_host_config"]
        self.extra_create_kwargs = container["extra_create_kwargs"]
        self._report(
            55,
            f"Starting a locked-down container ({project.limits.cpu:g} CPU, "
            f"{project.limits.memory} memory, {project.limits.pids} processes)",
        )
        ip, port = await super().start()
        self.provenance_record = await asyncio.get_running_loop().run_in_executor(
            self.executor, self._record_provenance)
        self._report(80, "Container started; waiting for JupyterLab to answer")
        await self._wait_for_port(ip, port)
        self._report(95, "JupyterLab is listening")
        return ip, port

    def _record_provenance(self) -> dict[str, Any]:
        """The environment of the container just started: the image it runs (by content id, as
        the engine reports it for this container, not the tag, which may move) and the datasets
        mounted."""
        image_id = self._docker_client.api.inspect_container(self.object_id)["Image"]
        attrs = self._docker_client.api.inspect_image(image_id)
        return provenance.server_record(self.image, attrs, self._dataset_records)

    async def _wait_for_port(self, ip: str, port: int, interval: float = 0.05, check_every: float = 0.5) -> None:
        """Returns once the server accepts connections (or when it is clearly not coming).

        The hub then confirms over HTTP with its first, immediate poll. Its own polling
        backs off exponentially (0.2 s doubling, randomised), which on average added most
        of a second after the server was already up. Whether the container has exited is
        asked of the engine less often than the port, since each ask is a docker inspect.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.http_timeout
        next_check = loop.time() + check_every
        while loop.time() < deadline:
            try:
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation
                # that lands as the connection attempt ends, and a stop while the server starts
                # then found the start still running (the stop answered 500, the server came up).
                async with asyncio.timeout(1):
                    _, writer = await asyncio.open_connection(ip, port)
            except (OSError, TimeoutError):
                if loop.time() >= next_check:
                    if await self.poll() is not None:
                        return  # exited: let the hub report the failure as usual
                    next_check = loop.time() + check_every
                await asyncio.sleep(interval)
                continue
            writer.close()
            return

    async def stop(self, now: bool = False) -> None:
        await self._log_exit_output()
        await super().stop(now=now)

    async def _log_exit_output(self) -> None:
        """Logs the last output of a container that exited on its own."""
        if not self.object_id:
            return
        try:
            info = await self.docker("inspect_container", self.object_id)
        except docker.errors.NotFound:
            return
        state = info.get("State", {})
        if state.get("Running"):
            return
        output = await self.docker("logs", self.object_id, tail=30)
        self.log.warning(
            "%s exited with code %s; its last output:\n%s",
            self._log_name,
            state.get("ExitCode"),
            output.decode(errors="replace"),
        )
