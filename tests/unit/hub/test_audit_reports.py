"""The authenticator's reports reach the audit log through the trail the hub attaches (no global read by name)."""

from __future__ import annotations

from haven_hub.audit.hooks import HubAuditTrail
from haven_hub.audit.log import EventFilter, HubAuditLog
from haven_hub.auth import events


def test_reports_reach_the_attached_trail_and_nothing_breaks_without_one(tmp_path):
    events.REPORTS.attach(None)
    events.on_login("ada", False, "bad-password", "10.0.0.1")  # no trail: logged only, never raises
    events.REPORTS.attach(HubAuditTrail(tmp_path))
    try:
        events.on_login("ada", False, "bad-code", "10.0.0.2")
        events.on_account_change("root", "disable", "ada", reason="left")
    finally:
        events.REPORTS.attach(None)
    log = HubAuditLog.for_data_dir(tmp_path)
    found = [(s.event.actor, s.event.action, s.event.details) for s in log.events(EventFilter())]
    log.close()
    assert found == [("ada", "login.failure", {"reason": "bad-code", "remote_ip": "10.0.0.2"}),
                     ("root", "account.disable", {"reason": "left"})]
