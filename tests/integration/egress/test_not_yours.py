"""Another project's request or file answers exactly as one that does not exist (404, byte
for byte); a form's address opened by GET answers 405. Real HTTP through the hub's proxy."""

from __future__ import annotations

import json
import re
import secrets

import pytest
import requests

from .client import TABLE, browser_sessions, file_entry

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure")]

MISSING_FILE = 10**15  # a well-formed id no file has
OUTSIDER = "bob"  # an analyst of beta only


@pytest.fixture(scope="module")
def released(egress) -> dict:
    """ada's released alpha request: its id and its first file's (a table)."""
    request_id = egress.create_request_at("released", author="ada", project="alpha")
    files = egress.detail("ada", request_id)["versions"][-1]["files"]
    table = next(f for f in files if f["path"].endswith(".csv"))
    return {"request": request_id, "file": table["id"], "missing_request": secrets.token_hex(16)}


@pytest.fixture(scope="module")
def browsers(egress):
    """A browser session per person, logged in at the hub and at the service (once each)."""
    return browser_sessions(egress)


def xsrf(session: requests.Session, egress) -> str:
    page = session.get(egress.base + "mine", timeout=30).text
    return re.search(r'name="haven-xsrf" content="([^"]+)"', page).group(1)


def answer(response: requests.Response) -> tuple:
    """Everything a caller can tell two answers apart by, but the clock."""
    headers = sorted((k.lower(), v) for k, v in response.headers.items() if k.lower() != "date")
    return response.status_code, headers, response.content


def api_calls(egress, request_id: str, file_id: int | str) -> dict[str, tuple]:
    """(method, path, keyword arguments) of each API call on one request or file."""
    metadata = json.dumps({"files": [file_entry("out/table.csv", TABLE)[0]]})
    return {
        "request": ("GET", f"api/requests/{request_id}", {}),
        "bundle": ("GET", f"api/requests/{request_id}/bundle", {}),
        "comment": ("POST", f"api/requests/{request_id}/comments", {"json": {"body": "hello"}}),
        "decision": ("POST", f"api/requests/{request_id}/withdraw", {}),
        "resubmit": ("POST", f"api/requests/{request_id}/resubmit",
                     {"token": egress.hub.server_token(OUTSIDER, "beta"), "data": {"metadata": metadata},
                      "files": {"file-0": ("table.csv", TABLE)}}),
        "download": ("GET", f"api/files/{file_id}/download", {}),
        "view": ("GET", f"api/files/{file_id}/content", {}),
        "vote": ("POST", f"api/files/{file_id}/reviews", {"json": {"decision": "approve"}}),
    }


KINDS = ["request", "bundle", "comment", "decision", "resubmit", "download", "view", "vote"]


def call(egress, user: str, spec: tuple) -> requests.Response:
    method, path, kwargs = spec
    kwargs = dict(kwargs)
    if "token" not in kwargs:
        kwargs["user"] = user
    return egress.call(method, path, **kwargs)


@pytest.mark.parametrize("kind", KINDS)
def test_the_api_answers_another_projects_object_as_a_missing_one(egress, released, kind):
    existing = call(egress, OUTSIDER, api_calls(egress, released["request"], released["file"])[kind])
    missing = call(egress, OUTSIDER, api_calls(egress, released["missing_request"], MISSING_FILE)[kind])
    assert existing.status_code == 404, existing.text
    assert answer(existing) == answer(missing)
    assert existing.json()["message"] in ("there is no request with this id that you may see",
                                          "there is no file with this id that you may see")


def test_control_the_owner_and_a_checker_do_get_the_objects(egress, released):
    request_id, file_id = released["request"], released["file"]
    assert egress.call("GET", f"api/requests/{request_id}", "ada").status_code == 200
    download = egress.call("GET", f"api/files/{file_id}/download", "ada")
    assert download.status_code == 200 and download.content == TABLE
    assert egress.call("GET", f"api/requests/{request_id}/bundle", "ada").status_code == 200
    view = egress.call("GET", f"api/files/{file_id}/content", "carol")
    assert view.status_code == 200 and view.content == TABLE


def test_who_may_see_the_object_but_not_act_gets_403_with_the_reason(egress, released):
    # carol (a checker) sees every request; she is not its author, so she may not download it.
    refused = egress.call("GET", f"api/files/{released['file']}/download", "carol")
    assert refused.status_code == 403 and "download" in refused.json()["message"]
    # grace is a checker and the author: she sees her request and may not vote on it.
    own = egress.create_request_at("under_review", author="grace", project="alpha")
    file_id = egress.detail("grace", own)["versions"][-1]["files"][0]["id"]
    vote = egress.review("grace", file_id)
    assert vote.status_code == 403 and "review this request" in vote.json()["message"]
    # ada (alpha, an analyst) sees it too, but may not open its files for review.
    view = egress.call("GET", f"api/files/{file_id}/content", "ada")
    assert view.status_code == 403


def page_calls(request_id: str, file_id: int | str) -> dict[str, tuple]:
    return {
        "page": ("GET", f"requests/{request_id}", {}),
        "preview": ("GET", f"requests/{request_id}/files/{file_id}/preview", {}),
        "comment": ("POST", f"requests/{request_id}/comment", {"body": "hello"}),
        "decision": ("POST", f"requests/{request_id}/release", {}),
        "vote": ("POST", f"requests/{request_id}/files/{file_id}/vote", {"decision": "approve"}),
    }


@pytest.mark.parametrize("kind", ["page", "preview", "comment", "decision", "vote"])
def test_the_pages_answer_another_projects_object_as_a_missing_one(egress, browsers, released, kind):
    session = browsers(OUTSIDER)
    token = xsrf(session, egress)

    def send(spec):
        method, path, data = spec
        body = {"_xsrf": token, **data} if method == "POST" else None
        return session.request(method, egress.base + path, data=body, timeout=30, allow_redirects=False)

    existing = send(page_calls(released["request"], released["file"])[kind])
    missing = send(page_calls(released["missing_request"], MISSING_FILE)[kind])
    assert existing.status_code == 404, existing.text[:500]
    assert answer(existing) == answer(missing)
    # Control: the author opens the same page.
    if kind == "page":
        assert browsers("ada").get(egress.base + f"requests/{released['request']}", timeout=30).status_code == 200


@pytest.mark.parametrize("form", ["release", "withdraw", "comment", "files/{file}/vote"])
def test_a_get_on_a_forms_address_is_a_405_page_leading_back_to_the_request(egress, browsers, released, form):
    # A reload or the address bar after a refused vote: a checker who may act on the request.
    session = browsers("carol")
    path = f"requests/{released['request']}/" + form.format(file=released["file"])
    response = session.get(egress.base + path, timeout=30, allow_redirects=False)
    assert response.status_code == 405, response.text[:500]
    assert response.headers["Allow"] == "POST"
    assert "This address takes a form" in response.text
    back = re.search(r'href="([^"]+)" id="haven-form-page"', response.text).group(1)
    assert back == f"/services/egress/requests/{released['request']}"
    assert session.get(egress.hub.url + back, timeout=30).status_code == 200


def test_a_get_on_an_api_form_address_is_405_with_allow(egress, released):
    for path in (f"api/requests/{released['request']}/release", f"api/files/{released['file']}/reviews",
                 "api/preflight"):
        response = egress.call("GET", path, "carol")
        assert response.status_code == 405, path
        assert response.headers["Allow"] == "POST"
        assert response.json()["status"] == 405
