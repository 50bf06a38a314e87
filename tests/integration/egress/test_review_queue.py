"""The review queue through the real hub and service: who sees what, who may review, release, download."""

from __future__ import annotations

import json
import uuid

import pytest

from .client import FIGURE, TABLE, audit_trail, file_entry, sha256

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure")]


def ids(listing) -> set[str]:
    assert listing.status_code == 200, listing.text
    return {r["id"] for r in listing.json()["requests"]}


def test_an_analyst_submits_and_sees_her_request(egress):
    response = egress.submit("ada", "alpha")
    assert response.status_code == 201, response.text
    request = response.json()
    assert (request["state"], request["author"], request["project"], request["version"]) == ("submitted", "ada", "alpha", 1)
    files = {f["path"]: f for f in request["versions"][0]["files"]}
    assert files["out/table.csv"]["sha256"] == sha256(TABLE) and files["out/table.csv"]["size"] == len(TABLE)
    assert files["out/figure.png"]["kind"] == "figure"
    assert [(e["state"], e["actor"]) for e in request["history"]] == [("submitted", "ada")]
    assert request["id"] in ids(egress.call("GET", "api/requests", "ada"))
    # A co-member of the project sees it too.
    assert egress.detail("grace", request["id"])["title"] == "Counts by group"


def test_another_projects_analyst_cannot_see_it(egress):
    request_id = egress.create_request_at("submitted")
    assert request_id not in ids(egress.call("GET", "api/requests", "bob"))
    response = egress.call("GET", f"api/requests/{request_id}", "bob")
    assert response.status_code == 404
    assert egress.call("GET", f"api/requests/{request_id}", "alan").status_code == 404


def test_an_analyst_cannot_submit_for_a_project_she_is_not_in(egress):
    response = egress.submit("ada", "beta")
    assert response.status_code == 403
    assert "submit requests for project beta" in response.json()["message"]


def test_checkers_see_the_queue(egress):
    alpha = egress.create_request_at("submitted")
    beta = egress.create_request_at("submitted", author="bob", project="beta")
    assert {alpha, beta} <= ids(egress.call("GET", "api/requests", "carol"))
    assert {alpha, beta} <= ids(egress.call("GET", "api/requests", "dave"))


def test_the_author_never_reviews_her_own_request_whatever_her_roles(egress):
    # Grace holds the checker role; she wrote this request.
    request_id = egress.create_request_at("under_review", author="grace", project="beta")
    file_id = egress.detail("grace", request_id)["versions"][0]["files"][0]["id"]
    response = egress.review("grace", file_id)
    assert response.status_code == 403
    assert egress.act("grace", request_id, "release").status_code == 403
    assert egress.detail("carol", request_id)["versions"][0]["files"][0]["reviews"] == []


def test_a_checker_in_the_project_cannot_review_it_by_default(egress):
    request_id = egress.create_request_at("under_review")  # ada's, in alpha, of which grace is a member
    file_id = egress.detail("carol", request_id)["versions"][0]["files"][0]["id"]
    assert egress.review("grace", file_id).status_code == 403
    assert egress.act("grace", request_id, "reject", "no").status_code == 403
    assert egress.review("carol", file_id).status_code == 201  # a checker from outside may


def test_an_analyst_cannot_start_review_or_release(egress):
    request_id = egress.create_request_at("submitted")
    assert egress.act("ada", request_id, "start-review").status_code == 403
    assert egress.act("bob", request_id, "start-review").status_code == 404


def test_one_approval_is_not_enough_two_independent_ones_release(egress):
    request_id = egress.create_request_at("under_review")
    egress.vote_all("carol", request_id)
    assert egress.detail("carol", request_id)["state"] == "under_review"
    assert egress.act("carol", request_id, "release").status_code == 409
    # The same checker cannot vote twice to make up the number.
    first = egress.detail("carol", request_id)["versions"][0]["files"][0]["id"]
    assert egress.review("carol", first).status_code == 409
    egress.vote_all("dave", request_id)
    assert egress.detail("ada", request_id)["state"] == "approved"
    # Download before release is refused.
    assert egress.call("GET", f"api/files/{first}/download", "ada").status_code == 409
    assert egress.act("dave", request_id, "release").status_code == 200
    history = [e["state"] for e in egress.detail("ada", request_id)["history"]]
    assert history == ["submitted", "under_review", "reviewed", "approved", "released"]


def test_a_reviewer_does_not_see_anothers_vote_while_review_is_open(egress):
    request_id = egress.create_request_at("under_review")
    file_id = egress.detail("carol", request_id)["versions"][0]["files"][0]["id"]
    assert egress.review("carol", file_id, "approve").status_code == 201
    seen_by_dave = egress.detail("dave", request_id)["versions"][0]["files"][0]["reviews"]
    seen_by_carol = egress.detail("carol", request_id)["versions"][0]["files"][0]["reviews"]
    assert seen_by_dave == [] and [r["reviewer"] for r in seen_by_carol] == ["carol"]


def test_a_released_file_downloads_as_the_exact_bytes_for_its_author_only(egress, egress_data_dir):
    request_id = egress.create_request_at("released")
    files = {f["path"]: f["id"] for f in egress.detail("ada", request_id)["versions"][0]["files"]}
    table = egress.call("GET", f"api/files/{files['out/table.csv']}/download", "ada")
    assert table.status_code == 200
    assert table.content == TABLE
    assert table.headers["X-Haven-SHA256"] == sha256(TABLE)
    assert table.headers["Content-Disposition"].startswith("attachment")
    assert egress.call("GET", f"api/files/{files['out/figure.png']}/download", "ada").content == FIGURE
    downloads = [entry for entry in audit_trail(egress_data_dir, request_id) if entry[1] == "egress.download"]
    assert downloads == [("ada", "egress.download")] * 2
    # A checker who may see the request, and a co-member, are known but may not download: 403.
    assert egress.call("GET", f"api/files/{files['out/table.csv']}/download", "carol").status_code == 403
    assert egress.call("GET", f"api/files/{files['out/table.csv']}/download", "grace").status_code == 403
    # Someone outside the project does not learn the file exists.
    assert egress.call("GET", f"api/files/{files['out/table.csv']}/download", "bob").status_code == 404


def test_revoked_files_no_longer_download(egress):
    request_id = egress.create_request_at("released")
    file_id = egress.detail("ada", request_id)["versions"][0]["files"][0]["id"]
    assert egress.act("carol", request_id, "revoke").status_code == 422  # a reason is required
    assert egress.act("carol", request_id, "revoke", "published by mistake").status_code == 200
    assert egress.call("GET", f"api/files/{file_id}/download", "ada").status_code == 409


def test_return_comment_and_resubmit_keep_the_history(egress):
    request_id = egress.create_request_at("under_review")
    assert egress.act("carol", request_id, "return", "round the counts to 5").status_code == 200
    comment = egress.call("POST", f"api/requests/{request_id}/comments", "ada", json={"body": "done, see v2"})
    assert comment.status_code == 201
    metadata = {"keep": ["out/figure.png"], "files": [{"path": "out/table.csv", "sha256": sha256(b"g,n\na,15\n"),
                                                      "kind": "frequency_table", "media_type": "text/csv"}]}
    response = egress.call("POST", f"api/requests/{request_id}/resubmit", token=egress.hub.server_token("ada", "alpha"),
                           data={"metadata": json.dumps(metadata)}, files={"file-0": ("t.csv", b"g,n\na,15\n")})
    assert response.status_code == 200, response.text
    request = response.json()
    assert (request["state"], request["version"], len(request["versions"])) == ("submitted", 2, 2)
    assert [c["body"] for c in request["comments"]] == ["done, see v2"]
    assert egress.act("ada", request_id, "withdraw").status_code == 200
    assert egress.act("ada", request_id, "withdraw").status_code == 409


def test_a_blob_altered_on_disk_after_review_is_never_served(egress, egress_data_dir):
    # Blobs are shared by content: this test's file must be its own.
    content = b"group,count\nz,40\n" + uuid.uuid4().hex.encode()
    request_id = egress.create_request_at("released", files=[file_entry("out/altered.csv", content)])
    file = egress.detail("ada", request_id)["versions"][0]["files"][0]
    blob = egress_data_dir / "blobs" / file["sha256"][:2] / file["sha256"]
    blob.chmod(0o644)
    blob.write_bytes(content.replace(b"40", b"41"))
    response = egress.call("GET", f"api/files/{file['id']}/download", "ada")
    assert response.status_code == 409
    assert "no longer matches" in response.json()["message"]

