"""Through the real service: what openapi.yaml advertises is kept. A resubmission's title and
purpose replace the request's, a withdrawal's reason is kept; both show on the request page
and in the audit trail. The list a panel needs comes whole in one call, and a JSON body
field the description does not name is refused."""

from __future__ import annotations

import json
import sqlite3

import pytest

from .client import file_entry

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure")]


def audit_details(data_dir, request_id: str, action: str) -> list[dict]:
    with sqlite3.connect(f"file:{data_dir / 'egress.sqlite'}?mode=ro", uri=True) as connection:
        rows = connection.execute("select details from audit_events where target = ? and action = ? order by id",
                                  (f"request/{request_id}", action))
        return [json.loads(details) for (details,) in rows]


def request_page(egress, user: str, request_id: str) -> str:
    session = egress.hub.login(user)
    assert session.get(egress.base + "mine", timeout=30).status_code == 200
    response = session.get(f"{egress.base}requests/{request_id}", timeout=30)
    assert response.status_code == 200
    return response.text


def returned_request(egress) -> str:
    request_id = egress.create_request_at("under_review")
    assert egress.act("carol", request_id, "return", "round to 5").status_code == 200
    return request_id


def test_a_resubmission_s_title_and_purpose_are_kept_shown_and_audited(egress, egress_data_dir):
    request_id = returned_request(egress)
    metadata = {"title": "Counts by group, rounded", "purpose": "paper table 1, after review",
                "files": [], "keep": ["out/table.csv", "out/figure.png"]}
    response = egress.post_files(f"api/requests/{request_id}/resubmit", egress.hub.server_token("ada", "alpha"),
                                 metadata, [])
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["title"], answer["purpose"], answer["version"]) == (
        "Counts by group, rounded", "paper table 1, after review", 2)
    assert egress.detail("carol", request_id)["title"] == "Counts by group, rounded"
    page = request_page(egress, "carol", request_id)
    assert "Counts by group, rounded" in page and "paper table 1, after review" in page
    # The state change is audited as egress.resubmit too ({"by", "to"}); the revision carries the rest.
    [audited] = [d for d in audit_details(egress_data_dir, request_id, "egress.resubmit") if "version" in d]
    assert audited["title"] == {"from": "Counts by group", "to": "Counts by group, rounded"}
    assert audited["purpose"] == {"from": "paper table 1", "to": "paper table 1, after review"}


def test_a_withdrawal_s_reason_is_kept_shown_and_audited(egress, egress_data_dir):
    request_id = egress.create_request_at("submitted")
    response = egress.call("POST", f"api/requests/{request_id}/withdraw", "ada", json={"reason": "wrong extract"})
    assert response.status_code == 200, response.text
    last = response.json()["history"][-1]
    assert (last["state"], last["actor"], last["reason"]) == ("withdrawn", "ada", "wrong extract")
    assert "wrong extract" in request_page(egress, "ada", request_id)
    assert audit_details(egress_data_dir, request_id, "egress.withdraw")[-1]["reason"] == "wrong extract"


def test_a_body_field_the_description_does_not_name_is_refused_and_nothing_moves(egress):
    request_id = egress.create_request_at("submitted")
    response = egress.call("POST", f"api/requests/{request_id}/withdraw", "ada", json={"reson": "typo"})
    assert response.status_code == 422 and "reson" in response.json()["message"]
    assert egress.detail("ada", request_id)["history"][-1]["state"] == "submitted"


def test_the_whole_list_is_one_call_with_what_each_request_shows(egress):
    mine = egress.create_request_at("submitted", files=[file_entry("t.csv", b"group,count\na,20\n")])
    egress.create_request_at("submitted", author="bob", project="beta")
    response = egress.call("GET", "api/requests", "ada", params={"project": "alpha", "author": "ada", "whole": "true"})
    assert response.status_code == 200, response.text
    listed = {r["id"]: r for r in response.json()["requests"]}
    assert response.json()["left_out"] == 0  # past 200, the newest are listed and the rest counted
    assert mine in listed and all(r["author"] == "ada" and r["project"] == "alpha" for r in listed.values())
    detail = egress.detail("ada", mine)
    assert listed[mine].keys() == detail.keys() and listed[mine]["history"] == detail["history"]
    assert [f["id"] for f in listed[mine]["versions"][-1]["files"]] == [f["id"] for f in detail["versions"][-1]["files"]]
    summaries = egress.call("GET", "api/requests", "ada", params={"author": "ada"}).json()["requests"]
    assert {r["id"] for r in summaries} == set(listed) and "versions" not in summaries[0]
    refused = egress.call("GET", "api/requests", "ada", params={"whole": "yes"})
    assert refused.status_code == 422 and "whole" in refused.json()["message"]
