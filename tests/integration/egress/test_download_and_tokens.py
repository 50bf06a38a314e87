"""Nothing downloads before release; expired and revoked tokens are refused."""

from __future__ import annotations

import time

import pytest

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure")]


@pytest.mark.parametrize("state", ["submitted", "under_review", "approved"])
def test_no_download_before_release(egress, state):
    request_id = egress.create_request_at(state)
    file_id = egress.detail("ada", request_id)["versions"][0]["files"][0]["id"]
    response = egress.call("GET", f"api/files/{file_id}/download", "ada")
    assert response.status_code in (403, 409), response.text
    assert "message" in response.json()


def _new_token(egress, user: str, expires_in: int) -> tuple[str, str]:
    # Issued by an administrator: people cannot make tokens in Haven (haven_hub.roles.user_role).
    response = egress.hub.as_admin("POST", f"/users/{user}/tokens",
                                   json={"note": "short-lived", "expires_in": expires_in})
    assert response.status_code == 201, response.text
    return response.json()["token"], response.json()["id"]


def test_an_expired_token_is_refused(egress):
    token, _ = _new_token(egress, "ada", expires_in=1)
    # The same call with a fresh token works, so the refusal below is the expiry's doing.
    assert egress.call("GET", "api/requests", token=egress.token("ada")).status_code == 200
    time.sleep(2.5)
    assert egress.call("GET", "api/requests", token=token).status_code in (401, 403)


def test_a_revoked_token_cannot_be_replayed(egress):
    token, token_id = _new_token(egress, "ada", expires_in=3600)
    assert egress.call("GET", "api/requests", token=token).status_code == 200
    # An administrator revokes it (the operator has no power over tokens, nor ada: she holds
    # no "tokens" scope, only "read:tokens", so she lists her tokens and asks an admin).
    assert egress.hub.api("DELETE", f"/users/ada/tokens/{token_id}",
                          token=egress.token("ada")).status_code == 403
    revoked = egress.hub.as_admin("DELETE", f"/users/ada/tokens/{token_id}")
    assert revoked.status_code == 204, revoked.text
    # The service trusts the hub's answer for egress.auth_cache_seconds (10 by default);
    # a literal bound, so a longer cache (JupyterHub's own default is 300 s) fails here.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if egress.call("GET", "api/requests", token=token).status_code in (401, 403):
            return
        time.sleep(1)
    pytest.fail("a revoked token still worked 15 s after it was revoked")


def test_a_download_link_followed_in_a_browser_goes_through_the_login_and_keeps_its_name(egress):
    request_id = egress.create_request_at("released")
    file = next(f for f in egress.detail("ada", request_id)["versions"][-1]["files"] if not f.get("supporting"))
    path = f"api/files/{file['id']}/download"

    # A script without a token is refused as on every API route ...
    assert egress.call("GET", path, headers={"Accept": "*/*"}).status_code == 401
    # ... a person following the link is sent to log in, and back.
    anonymous = egress.call("GET", path, headers={"Accept": "text/html,application/xhtml+xml"})
    assert anonymous.status_code == 302 and "/hub/api/oauth2/authorize" in anonymous.headers["Location"]

    session = egress.hub.login("ada")
    response = session.get(egress.base + path, headers={"Accept": "text/html"}, timeout=60)
    assert response.status_code == 200, response.text
    assert response.url.endswith(path)
    expected_name = file["path"].rsplit("/", 1)[-1]
    assert response.headers["Content-Disposition"] == f'attachment; filename="{expected_name}"'
    assert response.headers["X-Haven-SHA256"] == file["sha256"]
