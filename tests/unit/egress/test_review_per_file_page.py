"""The request page's parts of review per file, rendered from the real service: a conflicted
file marked for checkers only, kept votes marked with their version, the change-vote form
offered only where a vote may change, and the release's confirmation page."""

from __future__ import annotations

import shutil

import pytest

from haven_egress.web import pages, request_page
from haven_egress.workflow import State

from .factories import AUTHOR, CHECKER, CHECKER_2, create_request_at_status, submit, upload
from .test_review_page import render


@pytest.fixture
def db_url(tmp_path, migrated_templates) -> str:
    """SQLite only: the page reads what the service returns, the same from either engine."""
    target = tmp_path / "egress.db"
    shutil.copyfile(migrated_templates["sqlite"], target)
    return f"sqlite:///{target}"


def test_a_conflicted_file_is_marked_for_checkers_and_offers_a_changed_vote(service):
    request_id = submit(service, [upload()])
    service.start_review(CHECKER, request_id)
    table = service.get_request(CHECKER, request_id).versions[-1].files[0]
    service.review_file(CHECKER, table.id, "approve")
    _, before = render(service, CHECKER, request_id)
    assert "you have voted on this file" in before and "Change vote" not in before
    service.review_file(CHECKER_2, table.id, "reject", "row b is 3 people")
    _, checker = render(service, CHECKER, request_id)
    assert f'id="conflicted-{table.id}"' in checker and f'id="conflict-note-{table.id}"' in checker
    assert "Change your vote on" in checker and "Change vote" in checker
    _, author = render(service, AUTHOR, request_id)
    assert "conflicted" not in author and "row b is 3 people" not in author


def test_kept_votes_say_the_version_they_were_cast_on(service):
    request_id = create_request_at_status(service, State.RETURNED, files=[upload(), upload("out/b.csv")])
    service.resubmit(AUTHOR, request_id, [upload("out/b.csv", b"group,count\na,20\nb,25\n")], keep=["out/table.csv"])
    service.start_review(CHECKER, request_id)
    files = {f.path: f for f in service.get_request(CHECKER, request_id).versions[-1].files}
    _, changed = render(service, CHECKER, request_id)  # opens on the file still waiting for her vote
    assert "changed since version 1: undecided" in changed and "(carried from version 1)" not in changed
    _, kept = render(service, CHECKER, request_id, str(files["out/table.csv"].id))
    assert "unchanged since version 1: its votes are kept" in kept
    assert "(carried from version 1)" in kept  # her own carried vote, on the file in view
    assert "Change your vote on out/table.csv" in kept  # a kept vote may be changed


def test_the_release_confirmation_names_the_files_and_asks_for_a_reason(service):
    request_id = create_request_at_status(service, State.APPROVED)
    view = service.get_request(CHECKER, request_id)
    html = pages._environment().get_template("confirm-decision.html").render(
        page_title="Release?", hub_prefix="/hub/", static_prefix="/s/static/", prefix="/s/", user_name="cara",
        nav=[], logout_url="/hub/logout", xsrf="x", age=lambda *a: "1 min",
        **request_page.confirmation(view, "release", error="say why: a reason is required"))
    assert f'action="/s/requests/{request_id}/release"' in html and 'name="reason"' in html
    assert "Releasing is final" in html and "out/table.csv" in html and "evidence/results.json" not in html
    assert 'aria-invalid="true"' in html and "say why: a reason is required" in html
