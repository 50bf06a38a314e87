"""The whole settings file, and reading it: validated on every load, never cached."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from .accreditation import Accreditation
from .common import SettingsError, _Section
from .egress import Egress
from .people import Auth
from .operations import Operations
from .platform import Admin, Datasets, Hub, IdleCuller, Images, Network, Spawner
from .projects import Project


class Settings(_Section):
    hub: Hub = Field(default_factory=Hub, description="The hub and its proxy.")
    auth: Auth = Field(default_factory=Auth, description="Who can log in, and how.")
    spawner: Spawner = Field(default_factory=Spawner, description="Project servers.")
    network: Network = Field(default_factory=Network, description="Project networks and the host firewall.")
    images: Images = Field(default_factory=Images, description="How images are built.")
    datasets: Datasets = Field(default_factory=Datasets, description="Curated datasets and analysts' scratch space.")
    egress: Egress = Field(default_factory=Egress, description="The egress review queue (safe outputs).")
    idle_culler: IdleCuller = Field(default_factory=IdleCuller, description="Stopping idle project servers.")
    admin: Admin = Field(default_factory=Admin, description="The admin pages and the end-date sweep.")
    accreditation: Accreditation = Field(
        default_factory=Accreditation, description="Accredited people: what a missing or expired accreditation stops.")
    operations: Operations = Field(
        default_factory=Operations, description="Running Haven in production: logs, operator config, metrics."
    )
    projects: list[Project] = Field(
        default_factory=list,
        description="Projects created at start-up (the demo project); full provisioning uses `haven project`.",
    )

    @field_validator("projects")
    @classmethod
    def _unique_project_ids(cls, projects: list[Project]) -> list[Project]:
        seen: set[str] = set()
        for project in projects:
            if project.id in seen:
                raise ValueError(f"project id {project.id!r} appears twice")
            seen.add(project.id)
        return projects

    @model_validator(mode="after")
    def _members_have_accounts(self) -> Settings:
        known = {account.name for account in self.auth.accounts}
        for i, project in enumerate(self.projects):
            for member in project.members:
                if member not in known:
                    raise ValueError(
                        f"projects.{i}.members: {member!r} has no account in auth.accounts"
                    )
        return self

    @model_validator(mode="after")
    def _ports_are_distinct(self) -> Settings:
        # Two listeners on one port: the second fails to start, or one answers for the other.
        ports = {"hub.public_port": self.hub.public_port, "hub.api_port": self.hub.api_port,
                 "hub.proxy_api_port": self.hub.proxy_api_port, "egress.port": self.egress.port,
                 "admin.port": self.admin.port}
        seen: dict[int, str] = {}
        for key, port in ports.items():
            if port in seen:
                raise ValueError(f"{key}: port {port} is already {seen[port]}; each listener needs its own port")
            seen[port] = key
        return self

    def data_path(self, path: Path) -> Path:
        """Resolves a path from the settings against ``hub.data_dir``."""
        return path if path.is_absolute() else self.hub.data_dir / path


def _describe(error: dict) -> str:
    key = ".".join(str(part) for part in error["loc"]) or "(top level)"
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        message = "unknown setting"
    return f"{key}: {message}"


def parse_settings(raw: object, source: str = "settings") -> Settings:
    """Validates already-parsed YAML; raises SettingsError naming each bad key."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise SettingsError(f"{source}: the top level must be a mapping of sections")
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        problems = "\n  ".join(_describe(error) for error in exc.errors())
        raise SettingsError(f"{source} is invalid:\n  {problems}") from None


def load_settings(path: str | Path) -> Settings:
    """Reads and validates a settings file. Called on every load, never cached."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SettingsError(f"cannot read settings file {path}: {exc.strerror}") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SettingsError(f"{path} is not valid YAML: {exc}") from None
    return parse_settings(raw, str(path))

