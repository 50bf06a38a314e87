"""API tokens made and deleted through the hub's token API (which the token page uses) are
audited with who and which token, never its secret; refused token and admin-page attempts
too. Real HTTP, real hub."""

from __future__ import annotations

import json
import time

import pytest
import requests

from haven_hub.audit.log import EventFilter, HubAuditLog

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("admin_log_on_failure")]


def token_events(hub, after: int = 0, expected: int = 0) -> list:
    """The token events past the first ``after``, waiting (briefly) for ``expected`` of them:
    the hub writes them from its request logger, just after the response went out."""
    deadline = time.monotonic() + 10
    while True:
        log = HubAuditLog.for_data_dir(hub.settings.hub.data_dir)
        try:
            found = [stored.event for stored in log.events(EventFilter(type="token"))][after:]
        finally:
            log.close()
        if len(found) >= expected or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_an_administrator_making_and_deleting_a_token_is_audited_without_the_secret(admin_hub):
    before = len(token_events(admin_hub))
    made = admin_hub.as_admin("POST", "/users/ada/tokens",
                              json={"note": "for a script", "expires_in": 600, "scopes": ["read:users:name!user"]})
    assert made.status_code == 201, made.text
    token, token_id = made.json()["token"], made.json()["id"]
    deleted = admin_hub.as_admin("DELETE", f"/users/ada/tokens/{token_id}")
    assert deleted.status_code == 204, deleted.text
    created, removed = token_events(admin_hub, before, 2)
    assert (created.action, created.actor, created.target) == ("token.create", "root-admin", "user/ada")
    assert created.details["token_id"] == token_id and created.details["note"] == "for a script"
    assert created.details["scopes"] == ["read:users:name!user"] and created.details["expires_at"]
    assert (removed.action, removed.actor, removed.details["token_id"]) == ("token.delete", "root-admin", token_id)
    assert token not in json.dumps([created.details, removed.details])


def test_a_person_trying_to_make_a_token_is_refused_and_audited(admin_hub):
    before = len(token_events(admin_hub))
    session = admin_hub.login("ada")
    xsrf = {"X-XSRFToken": session.cookies.get("_xsrf")}
    own = session.post(f"{admin_hub.url}/hub/api/users/ada/tokens", json={"note": "mine"}, headers=xsrf, timeout=30)
    theirs = session.delete(f"{admin_hub.url}/hub/api/users/bob/tokens/a1", headers=xsrf, timeout=30)
    assert own.status_code == 403 and theirs.status_code in (403, 404)
    refused = token_events(admin_hub, before, 2)
    assert [(e.action, e.actor, e.target, e.details["method"]) for e in refused] == [
        ("token.refused", "ada", "user/ada", "POST"), ("token.refused", "ada", "user/bob", "DELETE")]
    assert refused[0].details["status"] == 403 and refused[1].details["token_id"] == "a1"


def test_a_refused_admin_form_is_audited_with_who(admin_hub):
    log = HubAuditLog.for_data_dir(admin_hub.settings.hub.data_dir)
    before = len(log.events(EventFilter(type="admin.refused")))
    token = admin_hub.user_token("ada")
    created = requests.post(f"{admin_hub.url}/services/admin/projects/new", data={"id": "sneaky"},
                            headers={"Authorization": f"token {token}"}, timeout=60, allow_redirects=False)
    assert created.status_code == 403
    refused = [s.event for s in log.events(EventFilter(type="admin.refused"))][before:]
    log.close()
    assert [(e.actor, e.target, e.details["method"]) for e in refused] == [
        ("ada", "page/services/admin/projects/new", "POST")]
