"""The public transparency register: what Haven tells anyone, without a login.

Built from an allowlist, never by removing what should not show: each project contributes
only the fields of ``projects.PUBLIC_FIELDS`` it has not marked confidential
(``ProjectRecord.confidential_fields``), and nothing else of the project (purpose, members,
reasons, limits) is ever read into the register. HTML, JSON and CSV are all rendered from
the one :class:`Register` this module builds, so a field missing here is missing everywhere.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ..datasets.catalogue import Catalogue
from ..projects import PUBLIC_FIELDS, Project
from .egress_records import Release, released_by_project

# Public words for a project's state: a suspension (which may be an incident) is not announced.
PUBLIC_STATUS = {"active": "active", "suspended": "active", "not-started": "upcoming", "ended": "past",
                 "archived": "past"}
PROJECT_COLUMNS = ("reference", "title", "lay_summary", "organisation", "lead", "start_date", "end_date", "status",
                   "datasets", "outputs_released", "release_dates", "not_published")
DATASET_COLUMNS = ("name", "title", "description", "version", "size_band", "updated", "used_by")
# Rows, not bytes: what a reader can picture, and coarse enough to say little about any one source.
SIZE_BANDS = ((1_000, "under 1,000 rows"), (100_000, "1,000 to 100,000 rows"),
              (10_000_000, "100,000 to 10 million rows"))
LARGEST_BAND = "over 10 million rows"
WITHHELD = None  # how a confidential field appears in JSON; the HTML says "not published"


@dataclass(frozen=True)
class Register:
    generated: datetime
    projects: list[dict[str, Any]]
    datasets: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return {"generated": self.generated.isoformat(), "projects": self.projects, "datasets": self.datasets}

    def projects_csv(self) -> str:
        return _csv(PROJECT_COLUMNS, [{**p, "datasets": " ".join(p["datasets"] or ()),
                                       "release_dates": " ".join(r["date"] for r in p["releases"]),
                                       "not_published": " ".join(p["not_published"])}
                                      for p in self.projects])

    def datasets_csv(self) -> str:
        return _csv(DATASET_COLUMNS, [{**d, "used_by": " ".join(d["used_by"])} for d in self.datasets])


def build(projects: list[Project], catalogue: Catalogue | None, releases: list[Release], today: date,
          generated: datetime) -> Register:
    released = released_by_project(releases)
    entries, used_by = [], {}
    for number, project in enumerate(sorted(projects, key=_order, reverse=True), start=1):
        public = _public_fields(project)
        reference = public.get("id") or f"confidential-{number}"
        project_releases = released.get(project.id, [])
        entry = {
            "reference": reference,
            "title": public.get("title", WITHHELD),
            "lay_summary": public.get("lay_summary", WITHHELD),
            "organisation": public.get("organisation", WITHHELD),
            "lead": public.get("lead", WITHHELD),
            "start_date": _iso(public.get("start_date")),
            "end_date": _iso(public.get("end_date")),
            "status": PUBLIC_STATUS[project.effective_status(today)] if "status" in public else WITHHELD,
            "datasets": sorted(g.name for g in project.datasets) if "datasets" in public else WITHHELD,
            "outputs_released": sum(r.outputs for r in project_releases),
            # The day only: the time of a release would say more about people's working hours than the public needs.
            "releases": [{"date": r.released_at.date().isoformat(), "outputs": r.outputs} for r in project_releases],
            # Which fields the project keeps out (not their values): a reader can tell "withheld" from "empty".
            "not_published": sorted(set(project.confidential_fields)),
        }
        entries.append(entry)
        if "datasets" in public:
            for grant in project.datasets:
                used_by.setdefault(grant.name, []).append(reference)
    return Register(generated, entries, _catalogue(catalogue, used_by))


def _public_fields(project: Project) -> dict[str, Any]:
    hidden = set(project.confidential_fields)
    return {name: getattr(project, name) for name in PUBLIC_FIELDS if name not in hidden}


def _order(project: Project) -> tuple[str, str]:
    # Newest first by start date; ties broken by a digest of the id, so the place of a confidential
    # project in the list says nothing about its id.
    return (project.start_date or date.min).isoformat(), hashlib.sha256(project.id.encode()).hexdigest()


def _catalogue(catalogue: Catalogue | None, used_by: dict[str, list[str]]) -> list[dict[str, Any]]:
    if catalogue is None:
        return []
    datasets = []
    for name in catalogue.names():
        versions = catalogue.versions(name)
        if not versions:
            continue
        latest = versions[-1]
        datasets.append({
            "name": name, "title": latest.title, "description": latest.description, "version": latest.version,
            "size_band": size_band(latest.rows), "updated": latest.created.date().isoformat(),
            "used_by": sorted(used_by.get(name, [])),
        })
    return datasets


def size_band(rows: int) -> str:
    for limit, band in SIZE_BANDS:
        if rows < limit:
            return band
    return LARGEST_BAND


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _csv(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({column: _cell(row.get(column)) for column in columns})
    return out.getvalue()


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # A spreadsheet would run a cell starting with these as a formula (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
