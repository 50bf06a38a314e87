"""Review per file over real HTTP (a real hub, its OAuth, the egress service it runs): votes and
file comments hidden until one has voted, a conflict shown and held until a third checker
decides, and a release only through its confirmation page, with a reason on record."""

from __future__ import annotations

import re

import pytest

from .client import TABLE, audit_trail, browser_sessions, file_entry

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure")]


def xsrf(page_text: str) -> str:
    return re.search(r'name="_xsrf" value="([^"]+)"', page_text).group(1)


def the_file(egress, user: str, request_id: str) -> dict:
    return egress.detail(user, request_id)["versions"][-1]["files"][0]


def test_review_per_file_and_a_confirmed_release(egress, egress_data_dir):
    browse = browser_sessions(egress)
    # Filed in gamma: grace (a checker, no member of gamma) is the third checker.
    response = egress.submit("bob", "gamma", [file_entry("out/ages.csv", TABLE)], title="Ages per file")
    assert response.status_code == 201, response.text
    request_id = response.json()["id"]
    assert egress.act("carol", request_id, "start-review").status_code == 200
    file_id = the_file(egress, "carol", request_id)["id"]
    comments = f"api/requests/{request_id}/comments"

    assert egress.review("carol", file_id, "approve", "fine").status_code == 201
    for body, visibility in (("compare with the 2023 table", "private"), ("say how you rounded", "shared")):
        posted = egress.call("POST", comments, "carol", json={"body": body, "visibility": visibility, "file_id": file_id})
        assert posted.status_code == 201, posted.text
    bad = egress.call("POST", comments, "carol", json={"body": "x", "file_id": "ages"})
    assert bad.status_code == 422 and "file_id" in bad.json()["message"]
    # Before voting, dave sees neither carol's vote nor her comments; nor does the author.
    for user in ("dave", "bob"):
        hidden = the_file(egress, user, request_id)
        assert (hidden["reviews"], hidden["comments"], hidden["conflicted"]) == ([], [], False), user

    assert egress.review("dave", file_id, "reject", "row a is too small").status_code == 201
    seen = the_file(egress, "dave", request_id)
    assert {r["reviewer"] for r in seen["reviews"]} == {"carol", "dave"} and len(seen["comments"]) == 2
    assert seen["conflicted"] and egress.detail("dave", request_id)["state"] == "under_review"
    assert not the_file(egress, "bob", request_id)["conflicted"]
    queue = browse("carol").get(egress.base + "?state=under_review&size=100", timeout=30)
    row = re.search(rf'<tr data-request-id="{request_id}">.*?</tr>', queue.text, re.S).group(0)
    assert "conflicted: 1 file" in row

    assert egress.review("grace", file_id, "approve").status_code == 201  # the third decision
    assert egress.detail("carol", request_id)["state"] == "approved"

    # The release asks first; without a reason nothing changes.
    carol = browse("carol")
    confirm = carol.get(egress.base + f"requests/{request_id}/release/confirm", timeout=30)
    assert confirm.status_code == 200 and 'id="f-reason"' in confirm.text and "Releasing is final" in confirm.text
    token = xsrf(confirm.text)
    refused = carol.post(egress.base + f"requests/{request_id}/release", data={"_xsrf": token, "reason": " "},
                         timeout=30, allow_redirects=False)
    assert refused.status_code == 422 and "a reason is required" in refused.text
    assert egress.detail("carol", request_id)["state"] == "approved"
    done = carol.post(egress.base + f"requests/{request_id}/release",
                      data={"_xsrf": token, "reason": "ages rounded to 5; no cell below 10"},
                      timeout=30, allow_redirects=False)
    assert done.status_code == 303, done.text[:300]
    after = egress.detail("bob", request_id)
    assert after["state"] == "released" and after["history"][-1]["reason"] == "ages rounded to 5; no cell below 10"
    assert ("carol", "egress.release") in audit_trail(egress_data_dir, request_id)
    # The author sees the comment for the author, now, and never the checkers-only one.
    assert [c["body"] for c in after["versions"][-1]["files"][0]["comments"]] == ["say how you rounded"]
    # The author is no checker: the confirmation is not theirs to open.
    assert browse("bob").get(egress.base + f"requests/{request_id}/release/confirm", timeout=30).status_code == 403
