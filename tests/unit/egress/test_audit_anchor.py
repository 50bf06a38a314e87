"""The egress chain's head: an event planted with direct SQL (no key, no Haven writer) fails
verify once past the grace, and the service's next genuine event does not launder it.
On SQLite and PostgreSQL (the ``db_url`` fixture)."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, insert, select

from haven_egress import audit
from haven_egress.models import audit_events

from .factories import submit, upload


def anchored(service, tmp_path) -> audit.Anchor:
    where = audit.Anchor(tmp_path / "audit.head", tmp_path / "audit-head-key")
    audit.anchor_table(service.sessions.kw["bind"], audit_events, where)
    return where


def verify(service, where, grace_seconds=0.0):
    with service.sessions() as session:
        return audit.verify_anchored(session, audit_events, where, grace_seconds)


def plant(service, time=None) -> int:
    """A correctly chained event appended by plain SQL on the service's own database."""
    with service.sessions.kw["bind"].begin() as connection:
        prev = connection.scalar(select(audit_events.c.hash).order_by(audit_events.c.id.desc()).limit(1))
        forged = audit.AuditEvent("mallory", "egress.release", "request/" + "0" * 32, "alpha", {},
                                  time or audit.utcnow())
        connection.execute(insert(audit_events).values(
            time=forged.time, actor=forged.actor, action=forged.action, target=forged.target,
            project=forged.project, details=forged.details, prev_hash=prev, hash=forged.chain_hash(prev)))
        return connection.scalar(select(func.max(audit_events.c.id)))


def test_genuine_events_are_anchored_as_they_commit(service, tmp_path):
    where = anchored(service, tmp_path)
    submit(service)
    submit(service)
    report = verify(service, where)
    assert report.intact and report.events == 2 and report.reason == ""


def test_a_planted_event_fails_verify_and_the_next_genuine_event_does_not_launder_it(service, tmp_path):
    where = anchored(service, tmp_path)
    submit(service)
    planted = plant(service)
    assert verify(service, where).broken_at == planted
    young = verify(service, where, grace_seconds=60)
    assert young.intact and "not anchored yet" in young.reason
    submit(service)  # the service writes on, chained after the planted event
    report = verify(service, where)
    assert report.broken_at == planted and "no Haven writer reported them" in report.reason
    assert report.events == 3


def test_a_planted_event_dated_ahead_to_look_young_fails_too(service, tmp_path):
    where = anchored(service, tmp_path)
    submit(service)
    planted = plant(service, time=audit.utcnow() + timedelta(days=30))
    submit(service)
    assert verify(service, where, grace_seconds=60).broken_at == planted


def test_concurrent_writers_all_end_up_anchored(service, tmp_path):
    """Segments reach the head file in any order; every genuine one connects, with no grace."""
    where = anchored(service, tmp_path)
    errors = []

    def work(n):
        try:
            for i in range(3):
                submit(service, [upload(f"out/{n}-{i}.csv", b"g,n\na,%d\n" % (10 + n * 10 + i))])
        except Exception as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    report = verify(service, where)
    assert report.intact and report.events == 15 and report.reason == ""
