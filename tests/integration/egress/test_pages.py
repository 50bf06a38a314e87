"""The checkers' and authors' pages over real HTTP: who may open what, forms and their refusals."""

from __future__ import annotations

import hashlib
import json
import re
import time

import pytest

from .client import FIGURE, browser_sessions, file_entry, snapshot

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure")]

SMALL_CELL = b"region,count\nNorth,25\nSouth,3\nEast,40\n"
NOTEBOOK_HTML = b"<html><body><h1>Results</h1><script>parent.document.title='owned'</script></body></html>"


@pytest.fixture
def browse(egress):
    """A requests session per person, logged in at the hub and then at the service (OAuth)."""
    return browser_sessions(egress)


def xsrf(page_text: str) -> str:
    return re.search(r'name="haven-xsrf" content="([^"]+)"', page_text).group(1)


def workflow_rows(data_dir) -> dict:
    """The snapshot without the check results, which the background checks add by themselves."""
    rows = snapshot(data_dir)
    rows.pop("check_results", None)
    return rows


def page(browse, egress, user: str, path: str):
    return browse(user).get(egress.base + path, timeout=30, allow_redirects=False)


def post_form(browse, egress, user: str, request_id: str, action: str, **fields):
    session = browse(user)
    token = xsrf(session.get(f"{egress.base}requests/{request_id}", timeout=30).text)
    return session.post(f"{egress.base}requests/{request_id}/{action}", data={"_xsrf": token, **fields},
                        timeout=30, allow_redirects=False)


def wait_for_checks(egress, request_id: str, path: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        files = egress.detail("carol", request_id)["versions"][-1]["files"]
        checks = next(f for f in files if f["path"] == path)["checks"]
        if checks["status"] != "pending":
            return checks
        time.sleep(0.5)
    raise AssertionError(f"the checks of {path} did not run within {timeout}s")


def test_the_queue_shows_counts_filters_and_what_needs_me(browse, egress):
    alpha = egress.create_request_at("submitted")
    beta = egress.create_request_at("submitted", author="bob", project="beta")
    queue = page(browse, egress, "carol", "")
    assert queue.status_code == 200, queue.text
    assert alpha in queue.text and beta in queue.text
    assert 'id="counts-by-state"' in queue.text and 'id="counts-by-project"' in queue.text
    assert re.search(r"\d+ requests? needs? your review", queue.text)
    only_beta = page(browse, egress, "carol", "?project=beta")
    assert beta in only_beta.text and alpha not in only_beta.text
    bad = page(browse, egress, "carol", "?state=lost")
    assert bad.status_code == 400 and "there is no state &#39;lost&#39;" in bad.text
    # Grace is a member of alpha and beta: nothing there needs her review.
    assert alpha not in page(browse, egress, "grace", "?needs=1").text


def test_an_analyst_is_sent_to_her_own_requests(browse, egress):
    request_id = egress.create_request_at("submitted")
    response = page(browse, egress, "ada", "")
    assert response.status_code == 302 and response.headers["Location"].endswith("/services/egress/mine")
    mine = page(browse, egress, "ada", "mine")
    assert request_id in mine.text and "Waiting for a checker" in mine.text


def test_an_analyst_cannot_open_another_projects_request_page(browse, egress):
    request_id = egress.create_request_at("submitted")
    assert page(browse, egress, "bob", f"requests/{request_id}").status_code == 404
    assert page(browse, egress, "bob", f"requests/{'0' * 32}").status_code == 404
    assert page(browse, egress, "ada", f"requests/{request_id}").status_code == 200


def test_pages_send_anonymous_browsers_to_log_in_and_refuse_anonymous_forms(egress):
    request_id = "0" * 32
    for path in ("mine", f"requests/{request_id}"):
        response = egress.call("GET", path)
        assert response.status_code == 302 and "/hub/api/oauth2/authorize" in response.headers["Location"]
    for path in (f"requests/{request_id}/comment", f"requests/{request_id}/release"):
        assert egress.call("POST", path, data={"body": "x"}).status_code == 401


def test_a_checker_cannot_vote_on_her_own_request(browse, egress, egress_data_dir):
    request_id = egress.create_request_at("under_review", author="grace", project="beta")
    shown = page(browse, egress, "grace", f"requests/{request_id}")
    # As the author she gets the author's page: no votes, no decisions, only withdraw.
    assert 'class="haven-vote"' not in shown.text and 'id="action-release"' not in shown.text
    assert 'id="action-withdraw"' in shown.text
    file_id = egress.detail("grace", request_id)["versions"][0]["files"][0]["id"]
    before = snapshot(egress_data_dir)
    refused = post_form(browse, egress, "grace", request_id, f"files/{file_id}/vote", decision="approve")
    assert refused.status_code == 403
    assert "Not done: you may not review this request" in refused.text
    assert snapshot(egress_data_dir)["reviews"] == before["reviews"]


def test_a_checker_in_the_project_sees_why_she_may_not_vote(browse, egress):
    request_id = egress.create_request_at("under_review")  # alpha, grace is a member
    shown = page(browse, egress, "grace", f"requests/{request_id}")
    assert shown.status_code == 200
    assert "member of project alpha" in shown.text


def test_private_comments_never_reach_the_author(browse, egress):
    request_id = egress.create_request_at("under_review")
    shared = post_form(browse, egress, "carol", request_id, "comment", body="please round to 5", visibility="shared")
    assert shared.status_code == 303, shared.text
    private = post_form(browse, egress, "carol", request_id, "comment", body="author seems rushed", visibility="private")
    assert private.status_code == 303
    checker_view = page(browse, egress, "dave", f"requests/{request_id}").text
    assert "please round to 5" in checker_view and "author seems rushed" in checker_view
    for user in ("ada", "grace"):  # the author and a co-member
        author_view = page(browse, egress, user, f"requests/{request_id}").text
        assert "please round to 5" in author_view
        assert "author seems rushed" not in author_view
    # The author may not write private comments either.
    refused = post_form(browse, egress, "ada", request_id, "comment", body="psst", visibility="private")
    assert refused.status_code == 403 and "write comments private to checkers" in refused.text


def test_a_form_without_the_xsrf_token_changes_nothing(browse, egress, egress_data_dir):
    request_id = egress.create_request_at("submitted")
    before = workflow_rows(egress_data_dir)
    response = browse("carol").post(f"{egress.base}requests/{request_id}/start-review", data={}, timeout=30,
                                    allow_redirects=False)
    assert response.status_code == 401
    assert workflow_rows(egress_data_dir) == before


def test_a_failing_cell_is_marked_with_its_rule(browse, egress):
    request_id = egress.create_request_at(
        "submitted", files=[file_entry("out/regions.csv", SMALL_CELL, description="admissions by region")])
    checks = wait_for_checks(egress, request_id, "out/regions.csv")
    assert checks["verdict"] == "fail", checks
    shown = page(browse, egress, "carol", f"requests/{request_id}").text
    cell = re.search(r'<td class="haven-cell-fail"[^>]*>3</td>', shown)
    assert cell, "the cell with 3 is not marked as failing"
    assert 'title="Small counts' in cell.group(0) and "aria-describedby=" in cell.group(0)
    described = re.search(r'aria-describedby="([^"]+)"', cell.group(0)).group(1).split()[0]
    assert f'id="{described}"' in shown
    assert '<td>25</td>' in shown  # a cell that passes is not marked


def test_notebook_html_is_served_sandboxed_with_a_strict_policy(browse, egress):
    request_id = egress.create_request_at("submitted", files=[
        file_entry("out/report.html", NOTEBOOK_HTML, media_type="text/html", kind="notebook")])
    file_id = egress.detail("carol", request_id)["versions"][0]["files"][0]["id"]
    shown = page(browse, egress, "carol", f"requests/{request_id}").text
    frame = re.search(r"<iframe[^>]*>", shown).group(0)
    assert 'sandbox=""' in frame and "allow-scripts" not in frame and "allow-same-origin" not in frame
    preview = page(browse, egress, "carol", f"requests/{request_id}/files/{file_id}/preview")
    assert preview.status_code == 200 and preview.content == NOTEBOOK_HTML
    policy = preview.headers["Content-Security-Policy"]
    assert policy.startswith("default-src 'none'; img-src data:; style-src 'unsafe-inline'") and "sandbox" in policy
    # The author has her file; the preview is a checker's view (audited), not hers.
    assert page(browse, egress, "ada", f"requests/{request_id}/files/{file_id}/preview").status_code == 403


def test_the_checkers_decide_and_the_author_sees_it(browse, egress):
    browse("ada")  # she has looked at her requests before the checkers decide
    request_id = egress.create_request_at("submitted")
    assert post_form(browse, egress, "carol", request_id, "start-review").status_code == 303
    for checker in ("carol", "dave"):
        for file in egress.detail(checker, request_id)["versions"][0]["files"]:
            voted = post_form(browse, egress, checker, request_id, f"files/{file['id']}/vote",
                              decision="request_changes", comment=f"{checker}: round the counts", visibility="shared")
            assert voted.status_code == 303, voted.text
    author_page = page(browse, egress, "ada", f"requests/{request_id}").text
    assert 'id="request-state"' in author_page and ">returned<" in author_page
    assert 'id="what-to-fix"' in author_page and "carol: round the counts" in author_page
    mine = page(browse, egress, "ada", "mine").text
    assert "new decision" in mine
    # Seen now: the next visit no longer marks it.
    assert "new decision" not in page(browse, egress, "ada", "mine").text
    # A second vote by the same checker, now that review is over, is refused with the reason.
    again = post_form(browse, egress, "carol", request_id, f"files/{file['id']}/vote", decision="approve")
    assert again.status_code == 409 and "cannot vote: the request is returned" in again.text


def test_a_resubmitted_table_shows_what_changed_cell_by_cell(browse, egress):
    request_id = egress.create_request_at("submitted", files=[file_entry("out/regions.csv", SMALL_CELL)])
    assert egress.act("carol", request_id, "start-review").status_code == 200
    egress.vote_all("carol", request_id, "request_changes")
    egress.vote_all("dave", request_id, "request_changes")
    revised = b"region,count\nNorth,25\nSouth,<10\nEast,40\n"
    entry, content = file_entry("out/regions.csv", revised)
    response = egress.call("POST", f"api/requests/{request_id}/resubmit", token=egress.hub.server_token("ada", "alpha"),
                           data={"metadata": json.dumps({"files": [entry]})},
                           files={"file-0": ("regions.csv", content, "application/octet-stream")})
    assert response.status_code == 200, response.text
    shown = page(browse, egress, "carol", f"requests/{request_id}").text
    assert "changed since version 1" in shown
    diff = re.search(r'<details class="mb-2 haven-diff".*?</details>', shown, re.S).group(0)
    assert "<td>2</td><td>count</td><td><del>3</del></td><td><ins>&lt;10</ins></td>" in diff
    # The cell itself is marked in the table (whatever the checks say of the new marker).
    assert re.search(r'<td class="[^"]*haven-cell-changed[^"]*"[^>]*title="[^"]*changed from &#39;3&#39;', shown)
    assert "Previous versions" in shown


def test_acros_own_verdict_is_shown_beside_havens(browse, egress):
    acro_csv = b"region,count\nNorth,3\nSouth,120\n"
    results = {"version": "1.0.2", "tool": {"name": "ACRO"}, "results": {"output_0": {
        "uid": "output_0", "status": "fail", "type": "table", "properties": {"method": "crosstab"},
        "files": [{"name": "output_0_0.csv", "sdc": {"summary": {"threshold": 1}, "cells": {"threshold": [[0, 0]]}}}],
        "outcome": {}, "command": "acro.crosstab(df.region, df.sex)", "summary": "fail; threshold: 1 cells",
        "timestamp": "2026-11-22T10:00:00", "comments": ["small area"],
        "exception": "the cell is public knowledge", "fair": {}}}}
    request_id = egress.create_request_at("submitted", files=[
        file_entry("acro_out/output_0_0.csv", acro_csv),
        file_entry("acro_out/results.json", json.dumps(results).encode(), media_type="application/json",
                   kind="other", supporting=True),
        file_entry("acro_out/checksums/output_0_0.csv.txt", hashlib.sha256(acro_csv).hexdigest().encode(),
                   media_type="text/plain", kind="other", supporting=True)])
    wait_for_checks(egress, request_id, "acro_out/output_0_0.csv")
    wait_for_checks(egress, request_id, "acro_out/results.json")
    shown = page(browse, egress, "carol", f"requests/{request_id}")
    assert shown.status_code == 200, shown.text
    table_id = next(f["id"] for f in egress.detail("carol", request_id)["versions"][0]["files"]
                    if f["path"] == "acro_out/output_0_0.csv")
    acro = re.search(rf'<dl class="row haven-acro mb-0" id="acro-{table_id}">.*?</dl>', shown.text, re.S).group(0)
    assert "FAIL" in acro and "the cell is public knowledge" in acro and "threshold: 1" in acro
    # The results file is a file of its own: one file at a time.
    results_id = next(f["id"] for f in egress.detail("carol", request_id)["versions"][0]["files"]
                      if f["path"] == "acro_out/results.json")
    assert "ACRO's results file: 1 output(s)" in page(browse, egress, "carol",
                                                      f"requests/{request_id}?file={results_id}").text


def test_a_figure_is_shown_inline_and_other_files_are_only_linked(browse, egress):
    request_id = egress.create_request_at("submitted", files=[
        file_entry("out/figure.png", FIGURE, media_type="image/png", kind="figure", description="admissions by month"),
        file_entry("out/notes.txt", b"all counts rounded to 5\n", media_type="text/plain", kind="other")])
    files = {f["path"]: f["id"] for f in egress.detail("carol", request_id)["versions"][0]["files"]}
    shown = page(browse, egress, "carol", f"requests/{request_id}").text
    image = re.search(r'<img class="haven-figure[^>]*>', shown, re.S).group(0)
    assert f'/files/{files["out/figure.png"]}/preview"' in image and 'alt="Figure out/figure.png: admissions by month"' in image
    figure = page(browse, egress, "carol", f"requests/{request_id}/files/{files['out/figure.png']}/preview")
    assert figure.headers["Content-Type"] == "image/png" and figure.content == FIGURE
    assert figure.headers["Content-Security-Policy"].startswith("default-src 'none'")
    text = page(browse, egress, "carol", f"requests/{request_id}/files/{files['out/notes.txt']}/preview")
    assert text.status_code == 415 and "download the file" in text.text
    notes = page(browse, egress, "carol", f"requests/{request_id}?file={files['out/notes.txt']}").text
    assert f'api/files/{files["out/notes.txt"]}/content">Download out/notes.txt' in notes


def test_the_queue_comes_in_pages_that_keep_the_filters(browse, egress):
    for _ in range(11):
        assert egress.submit("ada", "alpha").status_code == 201
    first = page(browse, egress, "carol", "?state=submitted&size=10")
    assert first.status_code == 200
    total = int(re.search(r"Requests \((\d+)\)", first.text).group(1))
    assert total >= 11
    assert first.text.count("<tr data-request-id=") == 10
    assert f"Showing 1–10 of {total}" in first.text
    assert 'rel="next" href="?state=submitted&amp;size=10&amp;page=2"' in first.text

    second = page(browse, egress, "carol", "?state=submitted&size=10&page=2")
    ids_first = set(re.findall(r'<tr data-request-id="([^"]+)"', first.text))
    ids_second = set(re.findall(r'<tr data-request-id="([^"]+)"', second.text))
    assert ids_second and not ids_first & ids_second

    beyond = page(browse, egress, "carol", "?state=submitted&size=10&page=999")
    assert beyond.status_code == 400
    assert "there is no page 999" in beyond.text
    # Still a usable page: the first slice, with the filters kept.
    assert beyond.text.count("<tr data-request-id=") == 10
