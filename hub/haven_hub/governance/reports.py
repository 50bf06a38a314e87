"""Reports for data owners and administrators, from the audit log and the egress records.

- ``dataset_access``: which datasets each project's servers mounted, and when: every
  ``server.start`` in the hub's audit chain carries the project's grants (``audit.hooks``).
  Starts recorded before the grants were recorded count under ``NOT_RECORDED``.
- ``requests_by_state``: each project's release requests counted by their current state.
- ``outputs_by_dataset``: released outputs counted per dataset the server that made them had
  mounted (the hub's provenance record kept with each request version).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..audit.log import EventFilter, HubAuditLog
from ..datasets.catalogue import Catalogue
from ..datasets.errors import DatasetError
from ..projects import Project
from .egress_records import EgressRecords, Release, RequestRecord
from .five_safes_crate import build_crate

NOT_RECORDED = "(not recorded)"


@dataclass(frozen=True)
class DatasetAccess:
    project: str
    dataset: str
    versions: tuple[str, ...]  # as granted: a pinned version, or "latest" (resolved at each start)
    starts: int
    people: int
    first: datetime
    last: datetime

    def as_json(self) -> dict[str, Any]:
        return {"project": self.project, "dataset": self.dataset, "versions": list(self.versions),
                "starts": self.starts, "people": self.people, "first": self.first.isoformat(),
                "last": self.last.isoformat()}


@dataclass(frozen=True)
class DatasetOutputs:
    dataset: str
    versions: tuple[str, ...]
    outputs: int
    releases: int
    projects: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "versions": list(self.versions), "outputs": self.outputs,
                "releases": self.releases, "projects": list(self.projects)}


def dataset_access(audit: HubAuditLog, project: str | None = None, since: datetime | None = None,
                   until: datetime | None = None) -> list[DatasetAccess]:
    starts: dict[tuple[str, str], list[tuple[datetime, str, str]]] = defaultdict(list)
    for stored in audit.events(EventFilter(project=project, type="server.start", since=since, until=until)):
        event = stored.event
        if stored.event.action != "server.start" or not event.project:
            continue
        granted = event.details.get("datasets")
        for item in granted if granted is not None else [NOT_RECORDED]:
            name, _, version = str(item).partition("@")
            starts[(event.project, name)].append((event.time, event.actor, version))
    rows = []
    for (project_id, dataset), seen in sorted(starts.items()):
        times = [time for time, _, _ in seen]
        rows.append(DatasetAccess(project_id, dataset, tuple(sorted({v for _, _, v in seen if v})), len(seen),
                                  len({actor for _, actor, _ in seen}), min(times), max(times)))
    return rows


def requests_by_state(requests: list[RequestRecord]) -> dict[str, dict[str, int]]:
    """project -> state -> number of requests now in that state."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for request in requests:
        counts[request.project][request.state] += 1
    return {project: dict(sorted(states.items())) for project, states in sorted(counts.items())}


def outputs_by_dataset(releases: list[Release]) -> list[DatasetOutputs]:
    outputs: Counter[str] = Counter()
    count: Counter[str] = Counter()
    versions: dict[str, set[str]] = defaultdict(set)
    projects: dict[str, set[str]] = defaultdict(set)
    for release in releases:
        names = {}
        for item in release.datasets or (NOT_RECORDED,):
            name, _, version = item.partition("@")
            names[name] = version
        for name, version in names.items():
            outputs[name] += release.outputs
            count[name] += 1
            projects[name].add(release.project)
            if version:
                versions[name].add(version)
    return [DatasetOutputs(name, tuple(sorted(versions[name])), outputs[name], count[name],
                           tuple(sorted(projects[name]))) for name in sorted(outputs)]


def project_crate(settings: Any, project: Project, records: EgressRecords, audit: HubAuditLog,
                  actor: str) -> dict[str, Any]:
    """The project's Five Safes RO-Crate; writing one is audited (``report.crate``), as it names people."""
    catalogue_dir = settings.data_path(settings.datasets.catalogue_dir)
    catalogue = Catalogue(catalogue_dir) if catalogue_dir.is_dir() else None
    datasets = []
    for grant in project.datasets:
        entry: dict[str, Any] = {"name": grant.name, "version": grant.version or "latest"}
        try:
            versions = catalogue.versions(grant.name) if catalogue else []
        except DatasetError:
            versions = []  # withdrawn from the catalogue: the grant is still part of the record
        chosen = [m for m in versions if m.version == grant.version] or versions[-1:]
        if chosen:
            entry.update(title=chosen[0].title, description=chosen[0].description, version=chosen[0].version)
        datasets.append(entry)
    starts = [{"time": s.event.time, "user": s.event.actor, "datasets": s.event.details.get("datasets") or []}
              for s in audit.events(EventFilter(project=project.id, type="server.start"))
              if s.event.action == "server.start"]
    crate = build_crate(project, datasets, starts, records.requests(project.id), records.files(project.id),
                        records.checks(project.id), records.decisions(project.id), datetime.now(UTC).replace(microsecond=0))
    audit.record(actor, "report.crate", f"project/{project.id}", project.id, entities=len(crate["@graph"]))
    return crate
