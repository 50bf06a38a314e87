"""What every Haven spawner shares, whatever engine runs the server.

A server's name is its project's id, so ``/user/ada/demo/`` is Ada's server for project
``demo``. Who may start which server, and with which limits, comes from the project group in
the hub's database; the refusal chain (``HavenProjectSpawner._look_up_project``) is the one
place every engine's start goes through. The engines' spawners: ``haven_hub.spawner``
(Docker), ``haven_hub.swarm_spawner``, ``haven_hub.kubernetes.spawner``.
"""

from __future__ import annotations

import asyncio
from functools import cached_property
from pathlib import Path
from typing import Any

from tornado import web
from traitlets import Any as AnyTrait
from traitlets import default
from traitlets.config import LoggingConfigurable

from . import container_config, provenance, server_description, spawn_page
from .auth.authenticator import account_refusal
from .datasets.catalogue import Catalogue
from .datasets.errors import DatasetError
from .governance import accreditation, filtered_copies, incidents
from .meter import budget as browser_budget
from .projects import Project, projects_of_user
from .server_description import DATA_MOUNT, ServerDescription
from .settings import Settings


class ProjectAccessError(web.HTTPError):
    """A spawn asked for a project the user may not use; the message is shown to them."""

    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(status, log_message=message, reason="Forbidden" if status == 403 else None)
        self.jupyterhub_message = message


class HavenProjectSpawner(LoggingConfigurable):
    """What every Haven spawner shares, whatever engine runs the server: the server name =
    project rule, the membership check and refusal chain, the grants, the progress shown and
    the description (haven_hub.server_description) the engine's own spawner translates. The
    audit hooks (haven_hub.audit.hooks) call ``requested_project`` on any of them.

    A mixin, first among the bases of a jupyterhub Spawner (``super()`` reaches the engine's
    methods). Configurable, so ``c.HavenProjectSpawner`` settings reach every engine's spawner."""

    haven_settings = AnyTrait(
        help="haven_hub.settings.Settings, set by haven_hub.config.configure()."
    ).tag(config=True)
    # The project of the spawn under way: looked up once, by the pre-spawn hook (which audits
    # a refusal) or else by start(), and forgotten when start() ends.
    _spawn_project: Project | None = None
    # The server of the start under way (or last made), as every engine reads it.
    description: ServerDescription | None = None
    # The started server's environment (haven_hub.provenance), kept in its state for the egress
    # service; the datasets' part is gathered while the mounts are resolved.
    provenance_record: dict[str, Any] | None = None
    _dataset_records: list[dict[str, Any]] = []

    @default("options_form")
    def _default_options_form(self):
        return self._render_project_form

    # -- which project --------------------------------------------------------------

    def user_projects(self) -> list[Project]:
        return projects_of_user(self.user.orm_user)

    def run_pre_spawn_hook(self):
        self._spawn_project = None  # each spawn decides afresh
        return super().run_pre_spawn_hook()

    def requested_project(self) -> Project:
        """The project this server is for; refuses anything the user is not a member of,
        and projects that are suspended, archived, ended or not started yet."""
        if self._spawn_project is None:
            self._spawn_project = self._look_up_project()
        return self._spawn_project

    def _look_up_project(self) -> Project:
        wanted = self.name
        self.log.info("%s: looking up project %r for this spawn", self._log_name, wanted)
        account_refused = account_refusal(self)
        if account_refused is not None:
            raise ProjectAccessError(account_refused)
        if not wanted:
            raise ProjectAccessError(
                "Haven servers belong to a project: open one of your projects from the home page.",
                status=400,
            )
        for project in self.user_projects():
            if project.id == wanted:
                refusal = incidents.spawn_refusal(project) or project.spawn_refusal() or browser_budget.spawn_refusal(
                    self.settings.hub.data_dir, self.user.name, project) or accreditation.spawn_refusal(
                    self.settings, self.user.name, project)
                if refusal is not None:
                    raise ProjectAccessError(refusal)
                return project
        raise ProjectAccessError(
            f"{self.user.name} is not a member of project {wanted!r}. "
            "Ask an administrator to add you to the project."
        )

    def _render_project_form(self, spawner: HavenProjectSpawner) -> str:
        return spawn_page.project_form(self.hub.base_url, self.user.name, self.name, self.user_projects(),
                                       kernel=self._image_kernel_packages())

    def _image_kernel_packages(self) -> dict[str, str] | None:
        """The top-level packages of the image a start would run (None: not known here)."""
        return None

    # -- progress shown on the spawn page ------------------------------------------

    def _report(self, progress: int, message: str) -> None:
        self._haven_events.append({"progress": progress, "message": message})
        self.log.info("%s: %s", self._log_name, message)

    @cached_property
    def _haven_events(self) -> list[dict[str, Any]]:
        return []

    async def progress(self):
        sent = 0
        while True:
            while sent < len(self._haven_events):
                yield self._haven_events[sent]
                sent += 1
            await asyncio.sleep(0.25)

    # -- start ----------------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        if self.haven_settings is None:
            raise RuntimeError("HavenSpawner.haven_settings is not set")
        return self.haven_settings

    def dataset_mounts(self, project: Project) -> dict[str, dict[str, str]]:
        """Exactly the project's grants, each version directory read-only at /data/<name>.

        "Latest" is resolved now, at spawn, so a server keeps the version it started with.
        """
        catalogue = Catalogue(self.settings.data_path(self.settings.datasets.catalogue_dir))
        mounts = {}
        self._dataset_records = []
        for grant in project.datasets:
            try:
                source = catalogue.resolve(grant.name, grant.version)
                # A version carrying row filters is mounted as a copy filtered on the host (docs/row-filters.md).
                mounted = filtered_copies.mount_for(self.settings.hub.data_dir, catalogue, project, source,
                                                    actor=self.user.name, server=f"{self.user.name}/{self.name}")
            except DatasetError as error:
                # Refused, not started without it: server.start audits the grants as what the
                # server had, and a damaged entry is an administrator's to look at (docs/datasets.md).
                raise ProjectAccessError(
                    f"Project {project.id!r} is granted dataset {grant.name!r}, but it cannot be mounted: "
                    f"{error}. Ask an administrator to fix the grant.",
                    status=409,
                ) from None
            mounts[str(mounted.path)] = {"bind": f"{DATA_MOUNT}/{grant.name}", "mode": "ro"}
            self._dataset_records.append({**provenance.dataset_record(grant.version, source), **mounted.provenance()})
        return mounts

    def describe(self, project: Project, datasets: dict[str, dict[str, str]]) -> ServerDescription:
        """This start's server: ``datasets`` as ``dataset_mounts`` resolved them."""
        resolved = tuple((bind["bind"].removeprefix(f"{DATA_MOUNT}/"), Path(source))
                         for source, bind in datasets.items())
        return server_description.describe(self.user.name, project, self.settings, resolved,
                                           browser_bytes_per_day=browser_budget.budget_bytes(project))

    # The record travels in the server's state, whatever the engine: the analyst may rewrite
    # user_options, nothing can write state (the egress service reads it from there).
    def get_state(self) -> dict[str, Any]:
        state = super().get_state()
        if self.provenance_record:
            state[provenance.STATE_KEY] = self.provenance_record
        return state

    def load_state(self, state: dict[str, Any]) -> None:
        super().load_state(state)
        self.provenance_record = state.get(provenance.STATE_KEY) or None

    def clear_state(self) -> None:
        super().clear_state()
        self.provenance_record = None

    def get_env(self) -> dict[str, str]:
        env = super().get_env()
        # The image has its own PATH; nothing of the hub's environment goes in.
        env.pop("JUPYTER_IMAGE_SPEC", None)
        if self.description is not None:
            env.update(self.description.environment)
        if getattr(self, "egress_url", None):
            env["HAVEN_EGRESS_URL"] = self.egress_url
            # pip installs from the approved package index, in the egress service (docs/packages.md).
            env.update(container_config.package_index_env(self.egress_url, self.api_token))
        return env
