"""The project lifecycle as operations on the hub: each reads the group, applies the
rules, and writes the whole record back through the REST API.

A group's properties are replaced as a whole by the hub, so two administrators changing
one project at the same instant can lose one change (no compare-and-set in the API).

Every change is written to the hub side's audit log right after the hub accepted it,
with ``actor``: the person whose token or login made the call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Protocol

from ..datasets.catalogue import Catalogue
from ..datasets.errors import DatasetError
from ..problems import one_line
from ..projects import ACTIVE, Project, ProjectRecord, group_name, project_id_of, today_utc
from ..settings import DatasetGrant
from . import rules
from .hub_api import HubClient
from .rules import ProvisioningError


@dataclass(frozen=True)
class Outcome:
    """A project after an operation, and the servers the operation stopped."""

    project: Project
    stopped: tuple[str, ...] = ()


class AuditSink(Protocol):
    def record(self, actor: str, action: str, target: str, project: str | None = None, **details: Any) -> None: ...


@dataclass(frozen=True)
class DamagedProject:
    """A project group whose record does not validate, and why (one line)."""

    id: str
    problem: str

    def explained(self) -> str:
        return (f"project {self.id!r}: its record in the hub does not read ({self.problem}); "
                f"correct the group's properties (PUT /hub/api/groups/{group_name(self.id)}/properties)")


@dataclass
class Provisioner:
    hub: HubClient
    # None: grants are not checked against a catalogue (e.g. run away from the hub host).
    catalogue: Catalogue | None = None
    clock: Callable[[], date] = field(default=today_utc)
    # None: nothing is recorded (unit tests of the rules); the CLI and admin pages pass the hub's log.
    audit: AuditSink | None = None
    actor: str = "haven-operator"

    # -- reading --------------------------------------------------------------------

    def get(self, project_id: str) -> Project:
        rules.check_project_id(project_id)
        group = self.hub.group(group_name(project_id))
        if group is None or group.get("properties", {}).get("kind") != "haven-project":
            raise ProvisioningError(f"no project {project_id!r}")
        try:
            return Project.from_group(group["name"], group["properties"], group["users"])
        except ValueError as error:
            raise ProvisioningError(DamagedProject(project_id, one_line(error)).explained()) from None

    def list(self) -> list[Project]:
        """The projects whose records read; ``survey`` also names those that do not."""
        return self.survey()[0]

    def survey(self) -> tuple[list[Project], list[DamagedProject]]:
        """Every project, and every project group whose record does not validate (edited
        through the REST API by hand, or written by another version of Haven). One damaged
        record is named; it must not hide the other projects from a listing or a sweep."""
        found, damaged = [], []
        for group in self.hub.groups():
            project_id = project_id_of(group["name"])
            if project_id and (group.get("properties") or {}).get("kind") == "haven-project":
                try:
                    found.append(Project.from_group(group["name"], group["properties"], group["users"]))
                except ValueError as error:
                    damaged.append(DamagedProject(project_id, one_line(error)))
        return sorted(found, key=lambda project: project.id), sorted(damaged, key=lambda item: item.id)

    # -- creating and changing ------------------------------------------------------

    def create(self, project_id: str, members: list[str], fields: dict[str, Any]) -> Project:
        rules.check_project_id(project_id)
        record = rules.new_record(fields)
        self._check_grants(record.datasets)
        self._check_accounts(members)
        name = group_name(project_id)
        if self.hub.group(name) is not None:
            raise ProvisioningError(f"project {project_id!r} already exists")
        self.hub.create_group(name, sorted(set(members)))
        try:
            self.hub.set_properties(name, record.properties())
        except Exception:
            # A group without Haven's properties would block the id without being a project.
            self.hub.delete_group(name)
            raise
        self._audit("project.create", project_id, members=sorted(set(members)), record=record.properties())
        return self.get(project_id)

    def update(self, project_id: str, changes: dict[str, Any], action: str = "project.update") -> Project:
        return self._update(project_id, changes, action).project

    def _update(self, project_id: str, changes: dict[str, Any], action: str) -> Outcome:
        project = self.get(project_id)
        rules.check_editable(project)
        if {"status", "status_reason", "status_changed", "kind"} & changes.keys():
            raise ProvisioningError("the status changes only by suspend, resume, archive or the end date passing")
        if rules.INCIDENT_FIELDS & changes.keys():
            raise ProvisioningError("a project is frozen or thawed only by haven project freeze/thaw, "
                                    "and closed out only by haven project close-out")
        record = rules.record_with(project, **changes)
        # Only new grants: an old one whose dataset was withdrawn must not block other edits.
        self._check_grants(tuple(g for g in record.datasets if g not in project.datasets))
        saved = self._save(project_id, record)
        # A running server keeps its mounts until it restarts: a grant taken away (or moved
        # to another version) must not stay readable there, so those servers stop now.
        withdrawn = [g for g in project.datasets if g not in record.datasets]
        stopped = self._stop_servers(project_id) if withdrawn else ()
        self._audit(action, project_id, changes=_changed(project, record),
                    **({"stopped": list(stopped)} if stopped else {}))
        return Outcome(saved, stopped)

    def add_members(self, project_id: str, users: list[str]) -> Project:
        rules.check_editable(self.get(project_id))
        self._check_accounts(users)
        self.hub.add_users(group_name(project_id), sorted(set(users)))
        self._audit("project.members.add", project_id, users=sorted(set(users)))
        return self.get(project_id)

    def remove_members(self, project_id: str, users: list[str]) -> Outcome:
        project = self.get(project_id)
        rules.check_editable(project)
        rules.check_usernames(users)
        absent = sorted(set(users) - project.members)
        if absent:
            raise ProvisioningError(f"not members of project {project_id!r}: {', '.join(absent)}")
        self.hub.remove_users(group_name(project_id), sorted(set(users)))
        # A former member keeps no running server in the project.
        self._audit("project.members.remove", project_id, users=sorted(set(users)))
        stopped = self._stop_servers(project_id, only=set(users))
        return Outcome(self.get(project_id), stopped)

    def grant(self, project_id: str, dataset: str, version: str | None = None) -> Project:
        project = self.get(project_id)
        others = tuple(g for g in project.datasets if g.name != dataset)
        grant = rules.validated(lambda: DatasetGrant(name=dataset, version=version))
        return self.update(project_id, {"datasets": (*others, grant)}, action="project.dataset.grant")

    def revoke(self, project_id: str, dataset: str) -> Outcome:
        """Takes a dataset away; the project's running servers stop, so none keeps the mount."""
        project = self.get(project_id)
        if dataset not in {g.name for g in project.datasets}:
            raise ProvisioningError(f"project {project_id!r} is not granted dataset {dataset!r}")
        return self._update(project_id, {"datasets": tuple(g for g in project.datasets if g.name != dataset)},
                            action="project.dataset.revoke")

    # -- the lifecycle --------------------------------------------------------------

    def suspend(self, project_id: str, reason: str = "") -> Outcome:
        return self._change_status(project_id, "suspend", reason)

    def resume(self, project_id: str) -> Outcome:
        return self._change_status(project_id, "resume")

    def archive(self, project_id: str, reason: str = "") -> Outcome:
        return self._change_status(project_id, "archive", reason)

    def sweep(self) -> list[Outcome]:
        """Suspends every project whose end date has passed, and stops any server still
        running in a project that may not run (e.g. one whose stop failed earlier)."""
        today = self.clock()
        outcomes = []
        for project in self.list():
            if project.effective_status(today) == "ended":
                outcomes.append(self._change_status(project.id, "expire"))
            elif project.effective_status(today) != ACTIVE or project.frozen:  # frozen: governance.incidents
                stopped = self._stop_servers(project.id)
                if stopped:
                    self._audit("project.servers.stop", project.id, users=list(stopped), because="sweep")
                    outcomes.append(Outcome(project, stopped))
        return outcomes

    def _change_status(self, project_id: str, action: str, reason: str = "") -> Outcome:
        project = self.get(project_id)
        record = rules.transition(project, action, self.clock(), reason)
        # Saved before stopping, so no server can be started in between.
        updated = self._save(project_id, record)
        self._audit(f"project.{action}", project_id, status=record.status, reason=record.status_reason)
        stopped = self._stop_servers(project_id) if record.status != ACTIVE else ()
        if stopped:
            self._audit("project.servers.stop", project_id, users=list(stopped), because=action)
        return Outcome(updated, stopped)

    # -- helpers --------------------------------------------------------------------

    def _audit(self, action: str, project_id: str, **details: Any) -> None:
        if self.audit is not None:
            self.audit.record(self.actor, action, f"project/{project_id}", project_id, **details)

    def _save(self, project_id: str, record: ProjectRecord) -> Project:
        self.hub.set_properties(group_name(project_id), record.properties())
        return self.get(project_id)

    def _stop_servers(self, project_id: str, only: set[str] | None = None) -> tuple[str, ...]:
        users = [u for u in self.hub.running_servers(project_id) if only is None or u in only]
        for username in users:
            self.hub.stop_server(username, project_id)
        return tuple(users)

    def check_accounts(self, users: list[str]) -> None:
        """Refuses names that are not existing Haven accounts (before any change is made)."""
        self._check_accounts(users)

    def _check_accounts(self, users: list[str]) -> None:
        rules.check_usernames(users)
        unknown = sorted(name for name in set(users) if self.hub.user(name) is None)
        if unknown:
            raise ProvisioningError(
                f"no account named {', '.join(map(repr, unknown))}: only existing Haven accounts can be members"
            )

    def _check_grants(self, grants: tuple[DatasetGrant, ...]) -> None:
        if self.catalogue is None:
            return
        for grant in grants:
            try:
                self.catalogue.resolve(grant.name, grant.version)
            except DatasetError as error:
                raise ProvisioningError(f"cannot grant dataset {grant.name!r}: {error}") from None


def _changed(before: ProjectRecord, after: ProjectRecord) -> dict[str, Any]:
    """Each changed field as {"from": old, "to": new} (JSON values), for the audit event."""
    old, new = before.properties(), after.properties()
    return {key: {"from": old.get(key), "to": value} for key, value in new.items() if old.get(key) != value}
