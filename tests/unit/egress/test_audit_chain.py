"""The egress audit log is a hash chain: tampering with any row is found, even under concurrency."""

import threading

import pytest
from sqlalchemy import delete, insert, select, update

from haven_egress import audit
from haven_egress.errors import Forbidden
from haven_egress.models import audit_events
from haven_egress.storage import open_engine, session_factory, upgrade
from haven_egress.workflow import State

from .factories import AUTHOR, CHECKER, create_request_at_status, submit, upload


def event_ids(service) -> list[int]:
    with service.sessions() as session:
        return list(session.scalars(select(audit_events.c.id).order_by(audit_events.c.id)))


def tamper(service, statement) -> None:
    with service.sessions() as session, session.begin():
        session.execute(statement)


def test_a_whole_lifecycle_chains_and_verifies(service):
    request_id = create_request_at_status(service, State.RELEASED)
    service.comment(CHECKER, request_id, "noted")
    service.revoke(CHECKER, request_id, "published by mistake")
    report = service.verify_audit()
    assert report.intact and report.events == len(event_ids(service)) > 8
    with service.sessions() as session:
        first, second = session.execute(select(audit_events).order_by(audit_events.c.id).limit(2)).all()
    assert first.prev_hash == audit.GENESIS and second.prev_hash == first.hash


@pytest.mark.parametrize("change", ["details", "actor", "time", "hash"])
def test_a_changed_row_breaks_the_chain_at_that_row(service, change):
    create_request_at_status(service, State.RELEASED)
    target = event_ids(service)[3]
    values = {"details": {"files": ["other.csv"]}, "actor": "mallory", "hash": "f" * 64,
              "time": audit.utcnow()}[change]
    tamper(service, update(audit_events).where(audit_events.c.id == target).values({change: values}))
    report = service.verify_audit()
    assert report.broken_at == target and "changed after it was written" in report.reason
    assert not report.intact


def test_a_deleted_row_breaks_the_chain_at_the_next(service):
    create_request_at_status(service, State.RELEASED)
    ids = event_ids(service)
    tamper(service, delete(audit_events).where(audit_events.c.id == ids[2]))
    report = service.verify_audit()
    assert report.broken_at == ids[3] and "removed" in report.reason


def test_an_appended_forgery_breaks_the_chain(service):
    submit(service)
    forged = audit.AuditEvent("mallory", "egress.release", "request/x")
    tamper(service, insert(audit_events).values(time=forged.time, actor=forged.actor, action=forged.action,
                                                target=forged.target, project=None, details={},
                                                prev_hash=audit.GENESIS, hash=forged.chain_hash(audit.GENESIS)))
    assert service.verify_audit().broken_at == event_ids(service)[-1]


def test_concurrent_writers_never_fork_the_chain(make_service):
    """Without the per-chain lock, PostgreSQL writers would chain onto the same head."""
    service = make_service()
    errors = []

    def work(n):
        try:
            for i in range(4):
                submit(service, [upload(f"out/{n}-{i}.csv", b"g,n\na,%d\n" % (10 + n * 10 + i))])
        except Exception as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    report = service.verify_audit()
    assert report.intact and report.events == 24
    with service.sessions() as session:
        prevs = list(session.scalars(select(audit_events.c.prev_hash)))
    assert len(set(prevs)) == 24  # no two events chained onto the same head


def test_the_migration_chains_events_written_before_the_chain(empty_db_url):
    upgrade(empty_db_url, "0001")
    engine = open_engine(empty_db_url)
    try:
        with engine.begin() as connection:
            for n in range(3):
                connection.exec_driver_sql(
                    "INSERT INTO audit_events (time, actor, action, target, project, details) "
                    f"VALUES ('2026-01-0{n + 1} 10:00:00', 'alice', 'egress.submit', 'request/{n}', 'alpha', '{{}}')")
        upgrade(empty_db_url)
        with session_factory(engine)() as session:
            report = audit.verify(session, audit_events)
        assert report.intact and report.events == 3
    finally:
        engine.dispose()


def test_views_of_files_by_checkers_are_audited(service):
    request_id = create_request_at_status(service, State.UNDER_REVIEW)
    evidence = next(f for f in service.get_request(CHECKER, request_id).versions[0].files if f.supporting)
    media_type, data = service.view_file(CHECKER, evidence.id)
    assert (media_type, data) == ("application/json", b'{"ok": true}')
    with service.sessions() as session:
        views = [e for e in audit.read(session, audit_events, f"request/{request_id}") if e.action == "egress.view"]
    assert [(e.actor, e.details["file"]) for e in views] == [("cara", "evidence/results.json")]
    with pytest.raises(Forbidden):
        service.view_file(AUTHOR, evidence.id)
