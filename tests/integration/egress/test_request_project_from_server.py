"""A request belongs to the project of the server it came from (issue 11, item 5).

Real hub, real spawned containers: each submission is sent from inside a project server
with that server's own hub token (JUPYTERHUB_API_TOKEN, JupyterHub's "server" role), the way
a script in the analyst's notebook could. grace is a member of alpha and beta, so the body
naming the other project was, before this rule, accepted and filed under it.
"""

from __future__ import annotations

import json
import re
import sqlite3

import pytest

from tests.integration.lab.test_server_token import call_from_server, multipart

from .client import TABLE, sha256, snapshot

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure", "dump_logs_on_failure")]

ENTRY = {"path": "table.csv", "sha256": sha256(TABLE), "media_type": "text/csv", "kind": "frequency_table",
         "description": "counts by group", "controls": ["rounded to 5"]}


def submission(**named) -> tuple[str, str]:
    return multipart({"title": "Counts", "purpose": "paper table 1", "files": [ENTRY], **named}, TABLE)


def submit_from(container, **named) -> dict:
    body, content_type = submission(**named)
    return call_from_server(container, "POST", "api/requests", body, content_type)


def refusals(data_dir) -> list[tuple]:
    with sqlite3.connect(f"file:{data_dir / 'egress.sqlite'}?mode=ro", uri=True) as connection:
        rows = connection.execute("select actor, action, target, project, details from audit_events "
                                  "where action like '%_refused' order by id").fetchall()
    return [(*row[:4], json.loads(row[4])) for row in rows]


def without_audit(counts: dict) -> dict:
    return {table: count for table, count in counts.items() if table != "audit_events"}


@pytest.fixture(scope="module")
def servers(haven_hub, docker_client):
    """grace's servers in alpha and beta, and ada's in alpha, all running."""
    started = [("grace", "alpha"), ("grace", "beta"), ("ada", "alpha")]
    try:
        for user, project in started:
            haven_hub.spawn(user, project)
        yield {key: docker_client.containers.get(haven_hub.container_name(*key)) for key in started}
    finally:
        for user, project in started:
            if project in haven_hub.api("GET", f"/users/{user}").json()["servers"]:
                haven_hub.stop(user, project)


def test_a_body_naming_another_project_is_refused_stores_nothing_and_is_audited(servers, egress_data_dir):
    before = snapshot(egress_data_dir)
    refused_before = refusals(egress_data_dir)
    answer = submit_from(servers["grace", "alpha"], project="beta")
    assert answer["status"] == 403, answer
    assert answer["body"]["message"] == ("this server belongs to project alpha; requests from it are filed "
                                         "under alpha, not beta")
    after = snapshot(egress_data_dir)
    # No request, file, version or blob: only the audit event of the refusal.
    assert without_audit(after) == without_audit(before)
    assert after["audit_events"] == before["audit_events"] + 1
    (actor, action, target, project, details), = refusals(egress_data_dir)[len(refused_before):]
    assert (actor, action, target, project) == ("grace", "egress.submit_refused", "project/beta", "alpha")
    assert (details["server_project"], details["named_project"]) == ("alpha", "beta")


@pytest.mark.parametrize("named", [{}, {"project": "alpha"}])
def test_a_body_naming_nothing_or_the_servers_project_is_filed_under_it(servers, named):
    answer = submit_from(servers["grace", "alpha"], **named)
    assert answer["status"] == 201, answer
    assert (answer["body"]["project"], answer["body"]["author"]) == ("alpha", "grace")


def test_the_control_the_same_body_from_the_other_projects_server_is_filed_there(servers):
    # The submission refused from alpha's server, sent by the same person from her beta
    # server: accepted under beta. The rule keys on the token, nothing else.
    answer = submit_from(servers["grace", "beta"], project="beta")
    assert answer["status"] == 201, answer
    assert answer["body"]["project"] == "beta"
    assert submit_from(servers["grace", "beta"])["body"]["project"] == "beta"


def test_a_checker_who_is_a_member_of_the_servers_project_cannot_review_its_request(servers, egress):
    # ada's alpha server files under alpha; grace (checker, member of alpha) is barred.
    answer = submit_from(servers["ada", "alpha"])
    assert answer["status"] == 201, answer
    request_id = answer["body"]["id"]
    assert egress.detail("carol", request_id)["project"] == "alpha"
    refused = egress.act("grace", request_id, "start-review")
    assert refused.status_code == 403, refused.text
    assert egress.act("carol", request_id, "start-review").status_code == 200
    file_id = egress.detail("carol", request_id)["versions"][-1]["files"][0]["id"]
    assert egress.review("grace", file_id).status_code == 403
    assert egress.review("carol", file_id).status_code == 201  # the control: a non-member checker votes
    # The checker's page names the project the request came from.
    page = egress.hub.login("carol").get(egress.base + f"requests/{request_id}", timeout=30)
    assert page.status_code == 200 and "alpha" in page.text


def test_a_browser_login_cannot_submit_files(servers, egress, egress_data_dir):
    browser = egress.hub.login("grace")
    page = browser.get(egress.base, timeout=30)  # the egress service's OAuth login
    assert page.status_code == 200
    xsrf = re.search(r'name="haven-xsrf" content="([^"]+)"', page.text).group(1)
    # The same person's browser: it reads her requests...
    assert browser.get(egress.base + "api/requests", timeout=30).status_code == 200
    before = snapshot(egress_data_dir)
    body, content_type = submission(project="alpha")
    refused = browser.post(egress.base + "api/requests", data=body.encode(), timeout=30,
                           headers={"Content-Type": content_type, "X-XSRFToken": xsrf})
    assert refused.status_code == 403, refused.text
    assert "files are submitted only from a project server" in refused.json()["message"]
    # ...and so does a personal token an administrator issued her, with all of her permissions.
    personal = egress.call("POST", "api/requests", token=egress.hub.user_token("grace"),
                           data=body.encode(), headers={"Content-Type": content_type})
    assert personal.status_code == 403
    assert "files are submitted only from a project server" in personal.json()["message"]
    assert snapshot(egress_data_dir) == before


def test_people_cannot_mint_a_token_that_passes_for_a_servers(haven_hub, egress):
    ada = haven_hub.login("ada")
    forged_scopes = ["access:servers!server=ada/alpha", "custom:egress:submit", "access:services!service=egress"]
    minted = ada.post(f"{haven_hub.url}/hub/api/users/ada/tokens", json={"scopes": forged_scopes},
                      headers={"X-XSRFToken": ada.cookies.get("_xsrf")}, timeout=30)
    assert minted.status_code == 403, minted.text
    assert "no permissions to generate tokens" in minted.json()["message"]
    # The hub's token page says so, instead of a form that could only fail.
    page = ada.get(f"{haven_hub.url}/hub/token", timeout=30)
    assert page.status_code == 200
    assert "Haven does not let accounts make API tokens" in page.text
    assert "request-token-form" not in page.text
    # The control: an administrator can issue her one, and without a server's scope it cannot submit.
    token = haven_hub.issue_token("ada", ["custom:egress:submit", "access:services!service=egress"])
    body, content_type = submission()
    answer = egress.call("POST", "api/requests", token=token, data=body.encode(),
                         headers={"Content-Type": content_type})
    assert answer.status_code == 403
    assert "files are submitted only from a project server" in answer.json()["message"]
