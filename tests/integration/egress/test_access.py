"""Only the hub's OAuth lets anyone in: no token, a forged one or one without the scope is refused."""

from __future__ import annotations

import json
import re

import pytest
import requests

from haven_egress.web.app import ROUTES
from haven_egress.web.handlers import DECISIONS

from .client import TABLE, sha256, snapshot

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure")]

SAMPLE_VALUES = {"request_id": "0" * 32, "file_id": "1"}


def every_call() -> list[tuple[str, str, bool]]:
    """(method, path, authenticated) for every route, one path per decision word."""
    calls = []
    for route in ROUTES:
        paths = [route.path.replace("{decision}", word) for word in DECISIONS] if "{decision}" in route.path else [route.path]
        for path in paths:
            path = re.sub(r"\{(\w+)\}", lambda m: SAMPLE_VALUES[m.group(1)], path)
            calls.extend((method, path, route.authenticated) for method in route.methods)
    return calls


# The only routes that answer without a login: the OAuth callback and the monitors' health check.
UNAUTHENTICATED = {("GET", "oauth_callback"), ("GET", "health")}


def test_the_route_table_covers_the_api():
    paths = {path for _, path, _ in every_call()}
    assert {"api/requests", "api/files/1/download", "api/requests/" + "0" * 32 + "/release"} <= paths
    assert {(method, path) for method, path, authenticated in every_call() if not authenticated} == UNAUTHENTICATED


@pytest.mark.parametrize("method,path,authenticated", every_call())
def test_every_route_refuses_anonymous_callers(egress, method, path, authenticated):
    response = egress.call(method, path)
    if path == "health":
        # A status for monitors and nothing else (haven_hub.health).
        assert response.status_code == 200 and response.json() == {"status": "ok"}, response.text
    elif not authenticated:
        # The OAuth callback: without the state cookie of a login in progress it completes nothing.
        assert response.status_code in (400, 403), response.text
    elif path == "":
        # The browser's entry page sends the person to log in at the hub.
        assert response.status_code == 302
        assert "/hub/api/oauth2/authorize" in response.headers["Location"]
    else:
        assert response.status_code == 401, f"{method} {path}: {response.status_code}"
        assert "log in to the hub" in response.json()["message"]


@pytest.mark.parametrize("method,path,authenticated", [c for c in every_call() if c[2] and c[1]])
def test_every_route_refuses_a_token_without_egress_scopes(egress, method, path, authenticated):
    token = egress.scoped_token("ada", ["access:services!service=egress"])
    response = egress.call(method, path, token=token)
    assert response.status_code == 403, f"{method} {path}: {response.status_code}"
    assert "none of the egress scopes" in response.json()["message"]


def test_a_forged_token_is_refused(egress):
    response = egress.call("GET", "api/requests", token="f" * 32)
    assert response.status_code == 401


def test_a_token_without_access_to_the_service_is_refused(egress):
    token = egress.scoped_token("ada", ["read:users:name!user=ada"])
    response = egress.call("GET", "api/requests", token=token)
    assert response.status_code == 403
    assert "does not give access" in response.json()["message"]


def test_submitting_needs_the_submit_scope_on_the_token(egress, egress_data_dir):
    # Grace holds both roles; a token of her alpha server limited to reviewing cannot submit.
    token = egress.scoped_token("grace", ["access:services!service=egress", "custom:egress:review",
                                          "access:servers!server=grace/alpha"])
    before = snapshot(egress_data_dir)
    metadata = {"title": "t", "files": [{"path": "a.csv", "sha256": sha256(TABLE)}]}
    response = requests.post(egress.base + "api/requests", headers={"Authorization": f"token {token}"},
                             data={"metadata": json.dumps(metadata)}, files={"file-0": ("a.csv", TABLE)}, timeout=30)
    assert response.status_code == 403
    assert "may not submit" in response.json()["message"]
    assert snapshot(egress_data_dir) == before
    assert egress.submit("carol", "alpha").status_code == 403  # a checker only, not an analyst


def test_who_am_i_comes_from_the_hub(egress):
    me = egress.call("GET", "api/whoami", "grace").json()
    # No accreditation is required to review here: nothing refused, nothing to warn of.
    assert me == {"name": "grace", "roles": ["analyst", "checker"], "projects": ["alpha", "beta"],
                  "server_project": None, "review_refusal": "", "notices": []}
    # A server's token (its stand-in) is bound to that server's project, and only submits.
    from_server = egress.call("GET", "api/whoami", token=egress.hub.server_token("grace", "beta")).json()
    assert from_server == {"name": "grace", "roles": ["analyst"], "projects": ["alpha", "beta"],
                           "server_project": "beta", "review_refusal": "", "notices": []}
    assert egress.call("GET", "api/whoami", "carol").json()["roles"] == ["checker"]


def test_a_browser_logs_in_through_the_hub_and_keeps_xsrf(egress):
    browser = egress.hub.login("carol")
    page = browser.get(egress.base, timeout=30)  # follows the OAuth redirects back to the service
    assert page.status_code == 200
    # The review queue: the OAuth token carries her review scope.
    assert 'id="haven-user">carol<' in page.text and "<h1>Review queue</h1>" in page.text
    listing = browser.get(egress.base + "api/requests", timeout=30)
    assert listing.status_code == 200 and "requests" in listing.json()
    # A cookie-authenticated POST without the XSRF token the page carries authenticates no one.
    without = browser.post(egress.base + "api/requests/" + "0" * 32 + "/comments", json={"body": "x"}, timeout=30)
    assert without.status_code == 401
    xsrf = re.search(r'name="haven-xsrf" content="([^"]+)"', page.text).group(1)
    with_xsrf = browser.post(egress.base + "api/requests/" + "0" * 32 + "/comments", json={"body": "x"},
                             headers={"X-XSRFToken": xsrf}, timeout=30)
    assert with_xsrf.status_code == 404  # past authentication and XSRF, and the request does not exist
