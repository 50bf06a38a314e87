"""The egress side of a JupyterLab upload record: only a project server's token, only while
the settings allow uploads, only within the size cap; each record is an audit event."""

import hashlib

import pytest
from sqlalchemy import select

from haven_egress.errors import Forbidden, Invalid
from haven_egress.models import audit_events
from haven_egress.permissions import Caller, Role
from haven_hub.settings import Egress
from haven_hub.settings.ingress import Ingress

FROM_SERVER = Caller("alice", frozenset({Role.ANALYST}), frozenset({"alpha"}), "alpha")
FROM_BROWSER = Caller("alice", frozenset({Role.ANALYST}), frozenset({"alpha"}))
DIGEST = hashlib.sha256(b"a,b\n").hexdigest()
OPEN = Egress(ingress=Ingress(lab_upload_max_size="1K"))


def events(service):
    with service.sessions() as session:
        return session.execute(select(audit_events.c.actor, audit_events.c.action, audit_events.c.project,
                                      audit_events.c.details)).all()


def test_an_allowed_upload_is_recorded_under_the_servers_project(make_ingress):
    service = make_ingress(OPEN)
    service.record_lab_upload(FROM_SERVER, "workspace/codes.csv", 4, DIGEST)
    assert events(service) == [("alice", "ingress.lab_upload", "alpha",
                                {"path": "workspace/codes.csv", "size": 4, "sha256": DIGEST})]


@pytest.mark.parametrize(("rules", "caller", "size", "digest", "error"), [
    (Egress(), FROM_SERVER, 4, DIGEST, Forbidden),  # closed by default
    (OPEN, FROM_BROWSER, 4, DIGEST, Forbidden),  # not from a project server
    (OPEN, FROM_SERVER, 1025, DIGEST, Invalid),
    (OPEN, FROM_SERVER, -1, DIGEST, Invalid),
    (OPEN, FROM_SERVER, 4, "ab" * 31, Invalid),
])
def test_records_outside_the_settings_are_refused(make_ingress, rules, caller, size, digest, error):
    service = make_ingress(rules)
    with pytest.raises(error):
        service.record_lab_upload(caller, "workspace/codes.csv", size, digest)
    assert [e.action for e in events(service) if e.action != "ingress.refused"] == []
