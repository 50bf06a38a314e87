"""What the register, the reports and the RO-Crate export read from the egress database.

Read-only SQL on the egress service's own database, from the hub side. Why not an API of the
egress service: that service listens where every project container can reach it, and the
register only needs counts and dates the database already holds; a read-only connection from
the loopback-only admin service (or the ``haven`` command on the host) adds no new route a
container could try. The price is that these queries name the egress tables: the tests run
them against databases the real egress migrations and service made, on SQLite and PostgreSQL,
so a schema change that breaks them fails there.

Nothing here writes: SQLite is opened with ``mode=ro``; PostgreSQL transactions are READ ONLY.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, create_engine, text
from sqlalchemy.orm import Session

from ..audit.chain import audit_table
from ..audit.log import EventFilter, StoredEvent, matching

RELEASED = "released"


@dataclass(frozen=True)
class Release:
    request_id: str
    project: str
    released_at: datetime
    outputs: int  # files released (evidence for checkers is never released, so not counted)
    datasets: tuple[str, ...]  # "name@version" mounted in the server the files came from


@dataclass(frozen=True)
class RequestRecord:
    id: str
    project: str
    author: str
    title: str
    created_at: datetime
    state: str
    state_at: datetime


@dataclass(frozen=True)
class CheckRecord:
    """One run of the automated disclosure checks on one file."""

    id: int
    request_id: str
    version: int
    path: str
    status: str
    verdict: str | None
    preset: str
    at: datetime


@dataclass(frozen=True)
class Decision:
    """A checker's vote on a file, or a change of a request's state, with who and when."""

    request_id: str
    version: int
    actor: str
    decision: str  # a vote (approve | request_changes | reject) or a state the request entered
    path: str  # the file voted on; "" for a state change
    at: datetime
    id: str  # unique within the crate: "vote-<n>" or "state-<n>"


def egress_database_url(settings: Any) -> str:
    """The URL the egress service opens (``haven_egress.web.startup.database_url``), without creating anything."""
    if settings.egress.database_url:
        return settings.egress.database_url
    return f"sqlite:///{settings.data_path(settings.egress.data_dir) / 'egress.sqlite'}"


class EgressRecords:
    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: Engine | None = None
        self.missing = False
        if url.startswith("sqlite:///"):
            path = Path(url.removeprefix("sqlite:///"))
            # No egress database yet (the service never started): nothing released, nothing to read.
            self.missing = not path.exists()
            if not self.missing:
                self._engine = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
        else:
            self._engine = create_engine(url, execution_options={"postgresql_readonly": True})

    @classmethod
    def from_settings(cls, settings: Any) -> EgressRecords:
        return cls(egress_database_url(settings))

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()

    def _rows(self, sql: str, **params: Any) -> list[Any]:
        if self._engine is None:
            return []
        with self._engine.connect() as connection:
            return list(connection.execute(text(sql), params))

    def audit_events(self, filter_: EventFilter) -> list[StoredEvent]:
        """The egress chain's events matching ``filter_``, oldest first. The chain's format is the
        hub's own (``audit_table``), so reading it names no egress table but that one."""
        if self._engine is None:
            return []
        with Session(self._engine) as session:
            return matching(session, audit_table(MetaData()), filter_, "egress")

    def releases(self, project: str | None = None) -> list[Release]:
        """Every release (a request entering ``released``), oldest first."""
        rows = self._rows(
            "SELECT e.request_id, r.project, e.created_at, e.version_number, v.id AS version_id, v.provenance "
            "FROM state_events e JOIN requests r ON r.id = e.request_id "
            "JOIN request_versions v ON v.request_id = e.request_id AND v.number = e.version_number "
            f"WHERE e.state = :released{_only(project)} ORDER BY e.created_at, e.id", released=RELEASED, project=project)
        counts = dict(self._rows("SELECT version_id, COUNT(*) FROM files WHERE supporting = :no GROUP BY version_id",
                                 no=False))
        return [Release(row.request_id, row.project, _utc(row.created_at), int(counts.get(row.version_id, 0)),
                        _datasets(row.provenance)) for row in rows]

    def requests(self, project: str | None = None) -> list[RequestRecord]:
        """Every request with its current state (the latest of its state events), oldest first."""
        rows = self._rows(
            "SELECT r.id, r.project, r.author, r.title, r.created_at, e.state, e.created_at AS state_at "
            "FROM requests r JOIN state_events e ON e.request_id = r.id "
            f"WHERE e.id = (SELECT MAX(id) FROM state_events WHERE request_id = r.id){_only(project)} "
            "ORDER BY r.created_at, r.id", project=project)
        return [RequestRecord(row.id, row.project, row.author, row.title, _utc(row.created_at), row.state,
                              _utc(row.state_at)) for row in rows]

    def files(self, project: str) -> dict[str, list[dict[str, Any]]]:
        """request id -> the files of all its versions, a path's latest version last."""
        rows = self._rows(
            "SELECT v.request_id, v.number, f.path, f.sha256, f.size, f.media_type, f.supporting FROM files f "
            "JOIN request_versions v ON v.id = f.version_id JOIN requests r ON r.id = v.request_id "
            "WHERE r.project = :project ORDER BY v.request_id, v.number, f.id", project=project)
        by_request: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            by_request[row.request_id].append({"version": row.number, "path": row.path, "sha256": row.sha256,
                                               "size": int(row.size), "media_type": row.media_type,
                                               "supporting": bool(row.supporting)})
        return dict(by_request)

    def checks(self, project: str) -> list[CheckRecord]:
        rows = self._rows(
            "SELECT c.id, v.request_id, v.number, f.path, c.status, c.verdict, c.preset, c.created_at "
            "FROM check_results c JOIN files f ON f.id = c.file_id JOIN request_versions v ON v.id = f.version_id "
            "JOIN requests r ON r.id = v.request_id WHERE r.project = :project ORDER BY c.id", project=project)
        return [CheckRecord(row.id, row.request_id, row.number, row.path, row.status, row.verdict, row.preset,
                            _utc(row.created_at)) for row in rows]

    def decisions(self, project: str) -> list[Decision]:
        """Checkers' votes and every change of state, oldest first."""
        votes = self._rows(
            "SELECT w.id, v.request_id, v.number, w.reviewer, w.decision, f.path, w.created_at "
            "FROM reviews w JOIN files f ON f.id = w.file_id JOIN request_versions v ON v.id = f.version_id "
            "JOIN requests r ON r.id = v.request_id WHERE r.project = :project", project=project)
        states = self._rows(
            "SELECT e.id, e.request_id, e.version_number, e.actor, e.state, e.created_at FROM state_events e "
            "JOIN requests r ON r.id = e.request_id WHERE r.project = :project", project=project)
        decisions = [Decision(row.request_id, row.number, row.reviewer, row.decision, row.path, _utc(row.created_at),
                              f"vote-{row.id}") for row in votes]
        decisions += [Decision(row.request_id, row.version_number, row.actor, row.state, "", _utc(row.created_at),
                               f"state-{row.id}") for row in states]
        return sorted(decisions, key=lambda d: (d.at, d.id))


def released_by_project(releases: list[Release]) -> dict[str, list[Release]]:
    by_project: dict[str, list[Release]] = defaultdict(list)
    for release in releases:
        by_project[release.project].append(release)
    return dict(by_project)


def _only(project: str | None) -> str:
    # A clause, not "(:project IS NULL OR ...)": PostgreSQL cannot type a parameter that is only NULL.
    return " AND r.project = :project" if project is not None else ""


def _datasets(provenance: Any) -> tuple[str, ...]:
    if isinstance(provenance, str):  # SQLite through text(): JSON comes back as its text
        provenance = json.loads(provenance)
    hub = (provenance or {}).get("hub") or {}
    return tuple(sorted(f"{d['name']}@{d['version']}" for d in hub.get("datasets") or ()
                        if isinstance(d, dict) and "name" in d and "version" in d))


def _utc(value: Any) -> datetime:
    if isinstance(value, str):  # SQLite through text(): timestamps come back as text
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
