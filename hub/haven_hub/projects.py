"""Projects are JupyterHub groups with properties: one source of truth in the hub's database.

A project ``demo`` is the group ``project-demo``; its members are the group's users and
everything else (title, limits, status, ...) lives in the group's ``properties``.
:class:`ProjectRecord` is the one schema of those properties: the spawner reads it, the
provisioning commands write it, and both validate through it.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timezone
from typing import Annotated, Any, Iterable, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .problems import one_line
from .settings import BYTE_SIZE, PROJECT_ID, DatasetGrant, Limits
from .settings.accreditation import ACCREDITATION_KIND
from .settings import Project as ProjectSettings

log = logging.getLogger("haven.projects")

GROUP_PREFIX = "project-"
PROPERTIES_KIND = "haven-project"

ACTIVE = "active"
SUSPENDED = "suspended"
ARCHIVED = "archived"
STATUSES = (ACTIVE, SUSPENDED, ARCHIVED)


def group_name(project_id: str) -> str:
    return f"{GROUP_PREFIX}{project_id}"


def project_id_of(group_name_: str) -> str | None:
    if group_name_.startswith(GROUP_PREFIX):
        return group_name_[len(GROUP_PREFIX):]
    return None


def today_utc() -> date:
    """The date every end-date rule uses: UTC, so the hub and the CLI agree whatever the host's zone."""
    return datetime.now(timezone.utc).date()


class RowFilterExemption(BaseModel):
    """A project's recorded exemption from one row filter of one dataset (e.g. approved to see opted-out rows)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    dataset: str = Field(min_length=1, description="The dataset whose filter does not apply.")
    filter: str = Field(min_length=1, description="The filter's id, as `haven dataset row-filters` shows it.")
    by: str = Field(min_length=1, description="Who recorded the exemption.")
    reason: str = Field(min_length=1, description="Why: the approval it rests on.")
    granted: datetime = Field(description="When it was recorded (UTC).")


# The only project fields the public transparency register may show (an allowlist): each can
# still be withheld per project with ``confidential_fields``.
PUBLIC_FIELDS = ("id", "title", "lay_summary", "organisation", "lead", "start_date", "end_date", "status", "datasets")


class ProjectRecord(BaseModel):
    """What a project group's properties hold (everything but its id and members)."""

    # A misspelt key is an error, as in the settings file.
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["haven-project"] = PROPERTIES_KIND
    title: str = Field(min_length=1, description="Human-readable title.")
    lay_summary: str = Field("", description="Public-facing summary in plain language.")
    purpose: str = Field("", description="What the project is approved to do.")
    lead: str = Field("", description="Lead researcher (a name; need not be a Haven account).")
    organisation: str = Field("", description="Organisation the project belongs to.")
    start_date: date | None = Field(None, description="First day servers may start.")
    end_date: date | None = Field(None, description="Last day servers may start; afterwards the project is suspended.")
    limits: Limits = Field(default_factory=Limits, description="Resources of each member's server.")
    disk_quota: Annotated[str, Field(pattern=BYTE_SIZE)] | None = Field(
        None, description="Disk quota of the workspace, e.g. `50G`: recorded and shown, not enforced yet."
    )
    disclosure_preset: str = Field("", description="Disclosure-control preset for outputs; empty: the service default.")
    terminals: bool = Field(False, description="Members' servers offer terminals (a shell in the container). Off by default: docs/lab-boundary.md says what a terminal opens.")
    datasets: tuple[DatasetGrant, ...] = Field((), description="Granted datasets, mounted read-only at /data/<name>.")
    status: Literal["active", "suspended", "archived"] = Field(ACTIVE, description="Lifecycle state.")
    status_reason: str = Field("", description="Why the project is suspended or archived.")
    status_changed: datetime | None = Field(None, description="When the status last changed (UTC).")
    # Accredited people (haven_hub.governance.accreditation; docs/accreditation.md).
    required_accreditations: tuple[Annotated[str, Field(pattern=ACCREDITATION_KIND)], ...] = Field(
        (), description="Accreditation kinds every member needs, current, to start this project's servers.")
    # Row filters this project is exempt from (haven_hub.governance.row_filters; docs/row-filters.md).
    row_filter_exemptions: tuple[RowFilterExemption, ...] = Field(
        (), description="Recorded exemptions from a dataset's row filters: who granted each, why and when.")
    # Incidents and close-out (haven_hub.governance.incidents, .closeout; docs/incidents-and-close-out.md).
    frozen: bool = Field(False, description="Frozen by an incident: servers stopped, spawns refused, egress held.")
    frozen_reason: str = Field("", description="Why the project is frozen (empty once thawed; the thaw's reason is in the audit log).")
    frozen_changed: datetime | None = Field(None, description="When it was last frozen or thawed (UTC).")
    archived_at: datetime | None = Field(None, description="When it was archived (UTC): the retention clock starts here.")
    retention_days: int | None = Field(
        None, ge=0, description="Days its files are kept after archiving; empty: the setting `admin.retention_days`.")
    closed_out: datetime | None = Field(None, description="When its files were deleted by `haven project close-out` (UTC).")
    # The public transparency register (haven_hub.governance.register; docs/transparency.md).
    confidential_fields: tuple[Literal[PUBLIC_FIELDS], ...] = Field(  # type: ignore[valid-type]
        (), description="Fields the public register leaves out of this project (of the public ones: "
                        "id, title, lay_summary, organisation, lead, start_date, end_date, status, datasets).")

    @field_validator("datasets")
    @classmethod
    def _grant_once_each(cls, grants: tuple[DatasetGrant, ...]) -> tuple[DatasetGrant, ...]:
        names = [grant.name for grant in grants]
        if len(set(names)) != len(names):
            raise ValueError("a dataset may be granted once per project")
        return grants

    @field_validator("confidential_fields")
    @classmethod
    def _in_allowlist_order(cls, fields: tuple[str, ...]) -> tuple[str, ...]:
        # One spelling of each set, whatever order it was given in: an unchanged form saves no change.
        return tuple(name for name in PUBLIC_FIELDS if name in fields)

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> ProjectRecord:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValueError(f"the end date {self.end_date} is before the start date {self.start_date}")
        return self

    def properties(self) -> dict[str, Any]:
        """The group properties (JSON-serialisable) that store this record."""
        return self.model_dump(mode="json", include=set(ProjectRecord.model_fields))


class Project(ProjectRecord):
    """A project as the hub holds it: its record plus its id and members."""

    id: Annotated[str, Field(pattern=PROJECT_ID)]
    members: frozenset[str] = frozenset()

    @classmethod
    def from_group(cls, name: str, properties: dict[str, Any], members: Iterable[str]) -> Project:
        project_id = project_id_of(name)
        if project_id is None or properties.get("kind") != PROPERTIES_KIND:
            raise ValueError(f"group {name!r} is not a Haven project")
        return cls(id=project_id, members=frozenset(members), **properties)

    def effective_status(self, today: date | None = None) -> str:
        """The status with the dates applied: ``ended`` or ``not-started`` while the record still says active."""
        today = today or today_utc()
        if self.status != ACTIVE:
            return self.status
        if self.end_date is not None and today > self.end_date:
            return "ended"
        if self.start_date is not None and today < self.start_date:
            return "not-started"
        return ACTIVE

    def spawn_refusal(self, today: date | None = None) -> str | None:
        """Why a member may not start a server for this project now (None: they may).

        Written for the analyst who sees it: the state, and what to do about it.
        """
        # Here too, so the home and spawn pages show a freeze; imported late, as governance builds on this module.
        from .governance.incidents import spawn_refusal as incident_refusal

        if (frozen := incident_refusal(self)) is not None:
            return frozen
        status = self.effective_status(today)
        if status == ARCHIVED:
            return (f"Project {self.id!r} is archived: its workspace is kept for administrators only "
                    "and its servers can no longer be started.")
        if status == SUSPENDED:
            why = f" ({self.status_reason})" if self.status_reason else ""
            return (f"Project {self.id!r} is suspended{why}, so its servers cannot be started. "
                    "Ask an administrator to resume it.")
        if status == "ended":
            return (f"Project {self.id!r} ended on {self.end_date}, so it is suspended. "
                    "Ask an administrator to extend its end date.")
        if status == "not-started":
            return f"Project {self.id!r} starts on {self.start_date}; its servers can be started from then."
        return None


def group_properties(project: ProjectSettings) -> dict[str, Any]:
    """The group properties that store a project declared in the settings file (JSON-serialisable)."""
    return ProjectRecord(
        title=project.title,
        purpose=project.purpose,
        end_date=project.end_date,
        limits=project.limits,
        datasets=tuple(project.datasets),
        terminals=project.terminals,
    ).properties()


def seed_projects(client: Any, projects: Iterable[ProjectSettings]) -> list[str]:
    """Creates the projects declared in the settings that the hub does not hold yet.

    Seeds only: a project that exists is never overwritten, so a suspension or an edit
    made with ``haven project`` survives a restart. (JupyterHub's ``load_groups`` would
    replace the properties at every start.) ``client`` is a provisioning HubClient.
    """
    created = []
    for project in projects:
        name = group_name(project.id)
        if client.group(name) is None:
            client.create_group(name, list(project.members))
            client.set_properties(name, group_properties(project))
            created.append(project.id)
    return created


def projects_of_user(orm_user: Any) -> list[Project]:
    """The projects a hub user (``jupyterhub.orm.User``) is a member of, sorted by id."""
    projects = []
    for group in orm_user.groups:
        if project_id_of(group.name) is None or (group.properties or {}).get("kind") != PROPERTIES_KIND:
            continue
        try:
            projects.append(Project.from_group(group.name, group.properties, (u.name for u in group.users)))
        except ValueError as error:
            # One damaged record must not take the member's other projects with it (their home
            # and spawn pages would fail); the admin's projects page names it for repair.
            log.warning("project group %r of %r left out: its record does not read (%s)",
                        group.name, orm_user.name, one_line(error))
    return sorted(projects, key=lambda project: project.id)
