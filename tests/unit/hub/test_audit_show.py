"""``haven audit show`` reads every chain (hub and egress) in one time line, as an operator runs it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from haven_hub.audit.log import HubAuditLog


@pytest.fixture
def settings_path(tmp_path):
    path = tmp_path / "haven.yaml"
    path.write_text(yaml.safe_dump({"hub": {"data_dir": str(tmp_path / "data")}}))
    return path


def haven(*args, settings):
    done = subprocess.run([sys.executable, "-m", "haven_cli", "audit", *args, "--settings", str(settings)],
                          capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout + done.stderr


@pytest.fixture
def both_chains(settings_path):
    from haven_egress.web.startup import open_service
    from haven_hub.settings import load_settings
    from tests.unit.egress.factories import submit

    log = HubAuditLog.for_data_dir(settings_path.parent / "data")
    log.record("alice", "login.success", "user/alice")
    service = open_service(load_settings(settings_path))
    request_id = submit(service)  # alice, project alpha
    service.sessions.kw["bind"].dispose()
    log.record("alice", "server.stop", "server/alice/alpha", "alpha")
    log.record("bob", "login.failure", "user/bob", reason="bad-code")
    log.close()
    return request_id


def test_show_merges_both_chains_by_time(both_chains, settings_path):
    code, out = haven("show", "--json", settings=settings_path)
    assert code == 0, out
    shown = [(e["chain"], e["action"]) for e in json.loads(out)]
    assert shown == [("hub", "login.success"), ("egress", "egress.submit"), ("hub", "server.stop"),
                     ("hub", "login.failure")]
    times = [e["time"] for e in json.loads(out)]
    assert times == sorted(times)
    code, out = haven("show", settings=settings_path)
    lines = out.splitlines()
    assert code == 0 and lines[1].startswith("egress") and f"request/{both_chains}" in lines[1]


def test_show_filters_by_chain_kind_and_user(both_chains, settings_path):
    def actions(*args):
        code, out = haven("show", "--json", *args, settings=settings_path)
        assert code == 0, out
        return [(e["chain"], e["action"]) for e in json.loads(out)]

    assert actions("--chain", "egress") == [("egress", "egress.submit")]
    assert actions("--chain", "hub", "--type", "login") == [("hub", "login.success"), ("hub", "login.failure")]
    assert actions("--user", "alice", "--project", "alpha") == [("egress", "egress.submit"), ("hub", "server.stop")]
    assert actions("--type", "egress") == [("egress", "egress.submit")]
    assert actions("--last", "2") == [("hub", "server.stop"), ("hub", "login.failure")]
    code, out = haven("show", "--chain", "ledger", settings=settings_path)
    assert code == 64 and "no chain named ledger" in out


def test_show_before_the_egress_service_ever_started_reads_the_hub_alone(settings_path):
    log = HubAuditLog.for_data_dir(settings_path.parent / "data")
    log.record("alice", "login.success", "user/alice")
    log.close()
    code, out = haven("show", "--json", settings=settings_path)
    assert code == 0 and [e["chain"] for e in json.loads(out)] == ["hub"]
    assert not (settings_path.parent / "data" / "egress" / "egress.sqlite").exists()


def test_a_planted_egress_event_fails_verify_until_an_operator_accepts_it(both_chains, settings_path):
    import sqlite3
    from datetime import UTC, datetime, timedelta

    from haven_hub.audit.chain import AuditEvent

    time = (datetime.now(UTC) - timedelta(minutes=1)).replace(tzinfo=None)
    with sqlite3.connect(settings_path.parent / "data" / "egress" / "egress.sqlite") as connection:
        prev = connection.execute("SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1").fetchone()[0]
        forged = AuditEvent("mallory", "egress.release", f"request/{both_chains}", "alpha", {},
                            time.replace(tzinfo=UTC))
        connection.execute("INSERT INTO audit_events (time, actor, action, target, project, details, prev_hash, hash)"
                           " VALUES (?, ?, ?, ?, ?, '{}', ?, ?)",
                           (time.strftime("%Y-%m-%d %H:%M:%S.%f"), forged.actor, forged.action, forged.target,
                            forged.project, prev, forged.chain_hash(prev)))
    code, out = haven("verify", settings=settings_path)
    assert code == 1 and "egress: BROKEN at event 2" in out and "no Haven writer reported them" in out
    code, out = haven("accept", "--chain", "egress", settings=settings_path)
    assert code == 0, out
    code, out = haven("verify", settings=settings_path)
    assert code == 0 and "egress: 3 events, chain intact" in out
    code, out = haven("show", "--json", "--chain", "egress", "--type", "audit", settings=settings_path)
    assert [e["details"]["accepted_events"] for e in json.loads(out)] == [2]
