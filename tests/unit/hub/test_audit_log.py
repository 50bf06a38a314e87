"""The hub side's audit log: a hash chain anchored outside its store; verify and show as an operator runs them."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
import yaml

from haven_hub.audit import anchor, chain
from haven_hub.audit.log import EventFilter, HubAuditLog


@pytest.fixture
def settings_path(tmp_path):
    path = tmp_path / "haven.yaml"
    path.write_text(yaml.safe_dump({"hub": {"data_dir": str(tmp_path / "data")}}))
    return path


@pytest.fixture
def log(settings_path):
    log = HubAuditLog.for_data_dir(settings_path.parent / "data")
    log.record("ada", "login.success", "user/ada")
    log.record("operator:root", "project.create", "project/alpha", "alpha", members=["ada"])
    log.record("ada", "server.start", "server/ada/alpha", "alpha", cpu=0.5)
    log.record("root-admin", "project.members.add", "project/beta", "beta", users=["bob"])
    log.record("bob", "login.failure", "user/bob", reason="bad-code")
    yield log
    log.close()


def sql(log, statement, *args):
    with sqlite3.connect(log.directory / "hub.sqlite") as connection:
        connection.execute(statement, args)


def haven(*args, settings):
    done = subprocess.run([sys.executable, "-m", "haven_cli", "audit", *args, "--settings", str(settings)],
                          capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout + done.stderr


def test_an_untouched_log_verifies_and_its_head_is_anchored(log):
    report = log.verify()
    assert report.intact and report.events == 5 and report.reason == ""
    head = json.loads(log.head_path.read_text())
    assert head["events"] == 5 and len(head["hmac"]) == 64


@pytest.mark.parametrize("column,value", [("actor", "mallory"), ("details", '{"members": []}'),
                                          ("time", "2020-01-01 00:00:00.000000")])
def test_a_changed_event_is_named(log, column, value):
    sql(log, f"UPDATE hub_audit_events SET {column} = ? WHERE id = 3", value)
    report = log.verify()
    assert report.broken_at == 3 and "changed after it was written" in report.reason


def test_removing_the_last_event_is_detected(log):
    sql(log, "DELETE FROM hub_audit_events WHERE id = 5")
    report = log.verify()
    assert not report.intact and report.broken_at == 5 and "removed from the end" in report.reason


def test_removing_a_middle_event_is_detected_at_the_next(log):
    sql(log, "DELETE FROM hub_audit_events WHERE id = 2")
    assert log.verify().broken_at == 3


def test_reordering_is_detected(log):
    # Swap events 2 and 3 wholesale (content, links and hashes), as a reordering would.
    sql(log, "UPDATE hub_audit_events SET id = 100 WHERE id = 2")
    sql(log, "UPDATE hub_audit_events SET id = 2 WHERE id = 3")
    sql(log, "UPDATE hub_audit_events SET id = 3 WHERE id = 100")
    report = log.verify()
    assert report.broken_at == 2 and "removed, inserted or reordered" in report.reason


def test_a_rewritten_log_of_the_same_length_fails_against_the_head(log, tmp_path):
    # Someone with the database alone rebuilds a valid chain with one event changed.
    other = HubAuditLog(tmp_path / "forged", tmp_path / "forged-key")
    for stored in log.events():
        e = stored.event
        actor = "nobody" if e.action == "login.failure" else e.actor
        other.record(actor, e.action, e.target, e.project, **e.details)
    other.close()
    (log.directory / "hub.sqlite").unlink()
    for suffix in ("-wal", "-shm"):
        (log.directory / f"hub.sqlite{suffix}").unlink(missing_ok=True)
    log.engine.dispose()
    (tmp_path / "forged" / "hub.sqlite").rename(log.directory / "hub.sqlite")
    report = HubAuditLog(log.directory, log.key_path).verify()
    assert report.broken_at == 5 and "rewritten" in report.reason


def test_an_edited_head_file_does_not_authenticate(log):
    head = json.loads(log.head_path.read_text())
    head["events"] = 4
    log.head_path.write_text(json.dumps(head))
    report = log.verify()
    assert not report.intact and "does not authenticate" in report.reason


def test_a_missing_head_file_is_reported(log):
    log.head_path.unlink()
    assert "head file" in log.verify().reason and not log.verify().intact


def test_a_writer_that_died_before_its_head_leaves_the_log_intact_with_a_note(log):
    key = anchor.load_or_create_key(log.key_path)
    anchor.write_head(log.head_path, key, anchor.Head(4, log.events()[3].event.chain_hash(
        _prev_hash(log, 4))))
    report = log.verify()
    assert report.intact and "not anchored yet" in report.reason


def _prev_hash(log, event_id):
    with sqlite3.connect(log.directory / "hub.sqlite") as connection:
        return connection.execute("SELECT prev_hash FROM hub_audit_events WHERE id = ?", (event_id,)).fetchone()[0]


def test_filters(log):
    def actions(**kwargs):
        return [s.event.action for s in log.events(EventFilter(**kwargs))]

    assert actions(user="ada") == ["login.success", "server.start"]
    assert actions(user="bob") == ["login.failure"]
    assert actions(project="alpha") == ["project.create", "server.start"]
    assert actions(type="project") == ["project.create", "project.members.add"]
    assert actions(type="login.failure") == ["login.failure"]
    assert actions(type="login.fail") == []  # a prefix matches whole words only
    assert actions(type="project", project="beta") == ["project.members.add"]
    now = datetime.now(UTC)
    assert len(actions(since=now - timedelta(minutes=5), until=now + timedelta(minutes=5))) == 5
    assert actions(since=now + timedelta(minutes=5)) == []
    assert actions(limit=2) == ["project.members.add", "login.failure"]


def test_verify_and_show_through_the_haven_command(log, settings_path):
    code, out = haven("verify", settings=settings_path)
    assert code == 0 and "hub: 5 events, chain intact" in out and "egress: 0 events, chain intact (the egress service has not started yet)" in out
    code, out = haven("show", "--project", "alpha", "--json", settings=settings_path)
    assert code == 0 and [e["action"] for e in json.loads(out)] == ["project.create", "server.start"]
    code, out = haven("show", "--type", "login", settings=settings_path)
    assert code == 0 and "login.success" in out and "login.failure" in out and "project" not in out
    code, out = haven("show", "--since", "not-a-date", settings=settings_path)
    assert code == 64 and "is not a time" in out
    sql(log, "DELETE FROM hub_audit_events WHERE id = 5")
    code, out = haven("verify", settings=settings_path)
    assert code == 1 and "hub: BROKEN at event 5" in out and "removed from the end" in out


def test_a_deleted_log_is_reported_once_events_were_anchored(log, settings_path):
    log.close()
    for path in log.directory.glob("hub.sqlite*"):
        path.unlink()
    code, out = haven("verify", settings=settings_path)
    assert code == 1 and "hub: BROKEN" in out and "is missing" in out


def test_the_egress_chain_is_anchored_too_so_trimming_it_is_found(settings_path):
    from haven_egress.web.startup import open_service
    from haven_hub.settings import load_settings
    from tests.unit.egress.factories import submit

    service = open_service(load_settings(settings_path))
    submit(service)
    submit(service)
    service.sessions.kw["bind"].dispose()
    code, out = haven("verify", settings=settings_path)
    assert code == 0 and "egress: 2 events, chain intact" in out.splitlines()
    database = settings_path.parent / "data" / "egress" / "egress.sqlite"
    with sqlite3.connect(database) as connection:
        connection.execute("DELETE FROM audit_events WHERE id = (SELECT max(id) FROM audit_events)")
    code, out = haven("verify", settings=settings_path)
    assert code == 1 and "egress: BROKEN at event 2" in out and "removed from the end" in out


def test_the_head_moves_only_along_segments_that_connect(tmp_path):
    key = anchor.load_or_create_key(tmp_path / "key")
    head = tmp_path / "head"
    a, b, c = anchor.Head(1, "a" * 64), anchor.Head(2, "b" * 64), anchor.Head(3, "c" * 64)
    assert anchor.advance_head(head, key, anchor.Segment(anchor.EMPTY, a))
    # A faster writer's segment arrives before the slower one's: it waits, then both connect.
    assert not anchor.advance_head(head, key, anchor.Segment(b, c))
    assert anchor.read_head(head, key) == a
    assert anchor.advance_head(head, key, anchor.Segment(a, b))
    assert anchor.read_head(head, key) == c
    # A segment starting at an event no writer reported never moves the head.
    planted = anchor.Head(4, "p" * 64)
    assert not anchor.advance_head(head, key, anchor.Segment(planted, anchor.Head(5, "e" * 64)))
    assert anchor.read_head(head, key) == c
    assert oct((tmp_path / "key").stat().st_mode & 0o777) == "0o600"


def plant(log, actor="mallory", action="project.members.add", target="project/alpha", time=None):
    """What someone with write access to hub.sqlite alone can do: append a correctly chained
    event with plain SQL (no key, no Haven code)."""
    time = (time or datetime.now(UTC)).replace(tzinfo=None)
    with sqlite3.connect(log.directory / "hub.sqlite") as connection:
        prev = connection.execute("SELECT hash FROM hub_audit_events ORDER BY id DESC LIMIT 1").fetchone()[0]
        event = chain.AuditEvent(actor, action, target, "alpha", {"users": [actor]}, time.replace(tzinfo=UTC))
        connection.execute(
            "INSERT INTO hub_audit_events (time, actor, action, target, project, details, prev_hash, hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (time.strftime("%Y-%m-%d %H:%M:%S.%f"), actor, action, target, "alpha",
             json.dumps({"users": [actor]}), prev, event.chain_hash(prev)))
        return connection.execute("SELECT max(id) FROM hub_audit_events").fetchone()[0]


def test_a_planted_event_fails_verify_once_past_the_grace_and_a_genuine_event_does_not_launder_it(log):
    planted = plant(log)
    assert log.verify(grace_seconds=0).broken_at == planted  # the chain itself holds: only the head can tell
    young = log.verify(grace_seconds=60)
    assert young.intact and "not anchored yet" in young.reason
    log.record("ada", "login.success", "user/ada")  # a genuine writer, after the planted event
    report = log.verify(grace_seconds=0)
    assert report.broken_at == planted and "no Haven writer reported them" in report.reason
    assert json.loads(log.head_path.read_text())["events"] == planted - 1


def test_a_planted_event_dated_in_the_future_is_not_young(log):
    planted = plant(log, time=datetime.now(UTC) + timedelta(days=365))
    assert log.verify(grace_seconds=60).broken_at == planted


def test_haven_audit_verify_fails_on_a_planted_event(log, settings_path):
    planted = plant(log, time=datetime.now(UTC) - timedelta(minutes=1))
    log.record("ada", "login.success", "user/ada")
    code, out = haven("verify", settings=settings_path)
    assert code == 1 and f"hub: BROKEN at event {planted}" in out and "not anchored" in out


def test_an_operator_accepts_the_chain_after_reading_what_verify_named(log, settings_path):
    planted = plant(log, time=datetime.now(UTC) - timedelta(minutes=1))
    code, out = haven("accept", "--chain", "ledger", settings=settings_path)
    assert code == 64 and "no chain named ledger" in out
    code, out = haven("accept", "--chain", "hub", settings=settings_path)
    assert code == 0 and "hub: anchored as it stands" in out
    accepted = log.events(EventFilter(type="audit"))
    assert [(s.event.action, s.event.details) for s in accepted] == [
        ("audit.accept", {"anchored_events": planted - 1, "accepted_events": planted})]
    assert accepted[0].event.actor.startswith("operator:")
    log.record("ada", "login.success", "user/ada")
    code, out = haven("verify", settings=settings_path)
    assert code == 0 and f"hub: {planted + 2} events, chain intact" in out


def test_the_head_and_lock_files_are_private_whatever_the_writers_umask(settings_path):
    # The services refuse to start beside a looser file in their state (haven_hub.host_state);
    # a writer in a process with the common umask 022 replaced the head file with 0644 and the
    # egress service then could not restart (seen in CI).
    import os
    import stat

    previous = os.umask(0o022)
    try:
        log = HubAuditLog.for_data_dir(settings_path.parent / "data")
        log.record("ada", "login.success", "user/ada")
        log.close()
    finally:
        os.umask(previous)
    # The store itself is made by the hub, which runs with a private umask; these are what any
    # writer of the chain creates or replaces.
    written = [settings_path.parent / "data" / "audit" / name for name in ("hub.head", "hub.head.lock", "hub.lock")]
    assert {path.name: oct(stat.S_IMODE(path.stat().st_mode)) for path in written} == dict.fromkeys(
        ("hub.head", "hub.head.lock", "hub.lock"), "0o600")
