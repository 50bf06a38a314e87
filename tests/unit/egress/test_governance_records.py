"""The governance reads of the egress database (haven_hub.governance.egress_records), on databases
the real migrations and service made, SQLite and PostgreSQL: the counts the register and the
reports give, the Five Safes RO-Crate built from them, and that the reader cannot write."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from haven_egress.checking import BackgroundChecks
from haven_egress.file_checks import CheckPolicy
from haven_egress.provenance import HubAnswer
from haven_egress.service import EgressService
from haven_egress.storage import session_factory
from haven_egress.workflow import State
from haven_hub.audit.log import HubAuditLog
from haven_hub.governance import reports
from haven_hub.governance.egress_records import EgressRecords
from haven_hub.governance.five_safes_crate import build_crate
from haven_hub.projects import Project
from tests.unit.governance.crate_checks import check_crate, of_type

from .factories import PROJECT, create_request_at_status

MOUNTED = [{"name": "admissions", "version": "3"}, {"name": "patients", "version": "1"}]


def hub_record(user: str, server: str) -> HubAnswer:
    return HubAnswer({"format": "haven-provenance/1", "datasets": MOUNTED})


@pytest.fixture
def known_events(engine, blobs, signer):
    """One request in each of five states, the files checked: what every count below is about."""
    checks = BackgroundChecks(session_factory(engine), blobs, CheckPolicy())
    service = EgressService(session_factory(engine), blobs, signer=signer, checks=checks, hub_records=hub_record)
    checks.start()
    try:
        ids = {state: create_request_at_status(service, state)
               for state in (State.RELEASED, State.REVOKED, State.REJECTED, State.SUBMITTED, State.WITHDRAWN)}
        assert checks.wait_idle(60)
    finally:
        checks.stop()
    return ids


@pytest.fixture
def records(db_url, known_events):
    records = EgressRecords(db_url)
    yield records
    records.close()


def test_releases_requests_and_outputs_per_dataset_are_counted_from_the_egress_database(records, known_events):
    releases = records.releases()
    # Released, and released-then-revoked: two releases, each of two outputs (the evidence file is never released).
    assert sorted(r.request_id for r in releases) == sorted([known_events[State.RELEASED], known_events[State.REVOKED]])
    assert [(r.project, r.outputs, r.datasets) for r in releases] == [(PROJECT, 2, ("admissions@3", "patients@1"))] * 2
    assert records.releases("beta") == []
    assert reports.requests_by_state(records.requests()) == {
        PROJECT: {"rejected": 1, "released": 1, "revoked": 1, "submitted": 1, "withdrawn": 1}}
    assert [r.as_json() for r in reports.outputs_by_dataset(releases)] == [
        {"dataset": "admissions", "versions": ["3"], "outputs": 4, "releases": 2, "projects": [PROJECT]},
        {"dataset": "patients", "versions": ["1"], "outputs": 4, "releases": 2, "projects": [PROJECT]}]


def test_the_reader_cannot_change_the_egress_database(records):
    with pytest.raises(DBAPIError), records._engine.connect() as connection:
        connection.execute(text("DELETE FROM comments"))
        connection.commit()
    assert len(records.requests()) == 5


def test_a_missing_egress_database_reads_as_nothing_released(tmp_path):
    records = EgressRecords(f"sqlite:///{tmp_path / 'never-started.sqlite'}")
    assert (records.releases(), records.requests()) == ([], [])
    assert not (tmp_path / "never-started.sqlite").exists()


def test_the_project_activity_is_a_valid_five_safes_ro_crate(records, known_events, tmp_path):
    project = Project(id=PROJECT, title="Alpha cohort", lay_summary="Admissions by region", lead="Dr Lead",
                      organisation="Uni", start_date=date(2026, 1, 1), members=frozenset({"alice", "bob"}),
                      datasets=[{"name": "admissions"}, {"name": "patients", "version": "1"}])
    audit = HubAuditLog.for_data_dir(tmp_path)
    audit.record("alice", "server.start", "server/alice/alpha", PROJECT, datasets=["admissions@latest", "patients@1"])
    starts = [{"time": s.event.time, "user": s.event.actor, "datasets": s.event.details["datasets"]}
              for s in audit.events()]
    decisions = records.decisions(PROJECT)
    crate = build_crate(project, [{"name": "admissions", "title": "Admissions", "version": "3"}], starts,
                        records.requests(PROJECT), records.files(PROJECT), records.checks(PROJECT), decisions,
                        datetime(2026, 6, 1, tzinfo=UTC))
    graph = check_crate(crate)
    people = {e["name"] for e in of_type(graph, "Person")}
    assert {"alice", "bob", "cara", "dan", "Dr Lead"} <= people
    assert {"#dataset-admissions", "#dataset-patients"} <= set(graph)
    # Checks as assessment actions: every automated check and every checker's vote.
    votes = [d for d in decisions if d.path]
    assert len(of_type(graph, "AssessAction")) == len(records.checks(PROJECT)) + len(votes) > len(votes) > 0
    # Decisions as authorisation actions: approvals, releases, the revocation, the rejection.
    decided = sorted(graph[a["object"]["@id"]]["@id"] + ":" + a["name"].split()[-1]
                     for a in of_type(graph, "AuthorizeAction"))
    released, revoked, rejected = (known_events[s] for s in (State.RELEASED, State.REVOKED, State.REJECTED))
    assert decided == sorted([f"#request-{released}:approved", f"#request-{released}:released",
                              f"#request-{revoked}:approved", f"#request-{revoked}:released",
                              f"#request-{revoked}:revoked", f"#request-{rejected}:rejected"])
    assert len(of_type(graph, "CreateAction")) == 5 + 1  # five requests, one server start
