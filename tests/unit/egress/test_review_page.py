"""The request page a checker reviews on, rendered from the real service (no HTTP): one file
at a time with the decision beside it, findings counted by rule in plain words, flagged rows
marked for "flagged rows only", outcomes said where the form was, and each message for the
person it is meant for."""

from __future__ import annotations

import re
import shutil

import pytest

from haven_egress.checking import BackgroundChecks
from haven_egress.file_checks import CheckPolicy
from haven_egress.service import EgressService
from haven_egress.storage import session_factory
from haven_egress.web import finding_words, pages, request_page
from haven_egress.workflow import State

from .factories import AUTHOR, CHECKER, CHECKER_2, create_request_at_status, submit, upload

SMALL_TABLE = b"region,count\n" + b"".join(b"R%d,%d\n" % (i, 3 + i % 5) for i in range(40)) + b"Big,120\n"
# The disclosure checks' rule ids that are not English words: none may reach a page a person reads.
RULE_IDS = {rule for rule in finding_words.RULE_TITLES if "_" in rule}


def render(service, caller, request_id: str, wanted: str = "", **outcome) -> tuple[int, str]:
    view = service.get_request(caller, request_id)
    status, context = request_page.page(service, caller, view, wanted, **outcome)
    html = pages._environment().get_template("request.html").render(
        page_title=view.title, hub_prefix="/hub/", static_prefix="/s/static/", prefix="/s/",
        user_name=caller.name, nav=[], logout_url="/hub/logout", xsrf="x", age=lambda *a: "1 min", **context)
    return status, html


def twenty_files() -> list:
    files = [upload(f"out/table_{n:02}.csv", b"group,count\na,%d\nb,15\n" % (20 + n)) for n in range(19)]
    return [upload("out/small_cells.csv", SMALL_TABLE), *files]


@pytest.fixture
def db_url(tmp_path, migrated_templates) -> str:
    """SQLite only: the page reads what the service returns, the same from either engine."""
    target = tmp_path / "egress.db"
    shutil.copyfile(migrated_templates["sqlite"], target)
    return f"sqlite:///{target}"


@pytest.fixture
def service(engine, blobs, signer):
    """The service with its background disclosure checks running (the page shows their findings)."""
    checks = BackgroundChecks(session_factory(engine), blobs, CheckPolicy(), lambda project: None)
    checks.start()
    yield CheckedService(EgressService(session_factory(engine), blobs, signer=signer, checks=checks), checks)
    checks.stop()


class CheckedService:
    """The service, whose submissions return once their checks are done."""

    def __init__(self, service: EgressService, checks: BackgroundChecks) -> None:
        self._service, self._checks = service, checks

    def __getattr__(self, name: str):
        return getattr(self._service, name)

    def submit(self, *args, **kwargs):
        request_id = self._service.submit(*args, **kwargs)
        assert self._checks.wait_idle(60)
        return request_id


@pytest.fixture
def twenty(service):
    request_id = submit(service, twenty_files())
    service.start_review(CHECKER, request_id)
    return request_id


def drawn_tables(html: str) -> list[str]:
    return re.findall(r'<table class="table table-sm table-bordered haven-output-table" id="(table-\d+)"', html)


def test_a_checker_sees_one_file_and_the_list_of_all_twenty(service, twenty):
    status, html = render(service, CHECKER, twenty)
    assert status == 200
    files = service.get_request(CHECKER, twenty).versions[-1].files
    assert len(re.findall(r'<li><a href="\?file=\d+#file-\d+"', html)) == 20
    # Only the file in view is drawn (and read, and audited as viewed): one table, not twenty.
    assert drawn_tables(html) == [f"table-{files[0].id}"]
    assert re.search(rf'href="\?file={files[1].id}#file-{files[1].id}" rel="next" data-haven-file-nav="next"', html)
    assert 'data-haven-file-nav="prev"' not in html
    assert "File 1 of 20" in html and f'id="vote-{files[0].id}"' in html
    # Another file by its address: its neighbours both ways.
    _, html = render(service, CHECKER, twenty, str(files[7].id))
    assert drawn_tables(html) == [f"table-{files[7].id}"] and "File 8 of 20" in html
    assert f'href="?file={files[6].id}#file-{files[6].id}" rel="prev"' in html


def test_without_an_address_the_page_opens_the_first_file_still_waiting_for_my_vote(service, twenty):
    files = service.get_request(CHECKER, twenty).versions[-1].files
    for file in files[:3]:
        service.review_file(CHECKER, file.id, "approve", "")
    _, html = render(service, CHECKER, twenty)
    assert drawn_tables(html) == [f"table-{files[3].id}"]
    assert html.count("you voted approve") == 3 and html.count("no vote from you yet") == 17
    # Another checker's place is their own.
    _, other = render(service, CHECKER_2, twenty)
    assert drawn_tables(other) == [f"table-{files[0].id}"]


def test_a_file_the_version_does_not_have_is_a_404_that_still_shows_the_first_file(service, twenty):
    for wanted in ("999999", "abc", "<script>"):
        status, html = render(service, CHECKER, twenty, wanted)
        assert status == 404
        assert "this version of the request has no such file; here is its first file" in html
        assert len(drawn_tables(html)) == 1 and "<script>" not in html.replace('<script src="/s/review-static', "")


def test_findings_are_counted_by_rule_in_plain_words_with_the_cells_folded(service, twenty):
    files = service.get_request(CHECKER, twenty).versions[-1].files
    _, html = render(service, CHECKER, twenty, str(files[0].id))
    summary = re.search(r'<ul class="haven-rule-summary[^>]*>(.*?)</ul>', html, re.S).group(1)
    lines = re.findall(r"<li[^>]*>(.*?)</li>", summary)
    assert "Small counts: 40 cells below 10" in lines
    assert len(lines) <= 3  # one line per rule, not one per cell
    folded = re.search(r'<details class="mb-2 haven-findings"[^>]*>(.*?)</details>', html, re.S).group(1)
    assert folded.count("<li ") >= 40 and "region R0, column count = 3" in folded
    for rule in RULE_IDS:
        assert not re.search(rf"\b{rule}\b", html), f"the rule id {rule} reached the page"


def test_flagged_rows_are_marked_for_the_flagged_rows_only_toggle(service, twenty):
    files = service.get_request(CHECKER, twenty).versions[-1].files
    _, html = render(service, CHECKER, twenty, str(files[0].id))
    table = re.search(r"<tbody>(.*?)</tbody>", html, re.S).group(1)
    rows = re.findall(r"<tr[^>]*>", table)
    assert len(rows) == 41 and rows.count('<tr class="haven-row-flagged">') == 40
    assert "Flagged rows only (40 of 41 rows)" in html
    # No cell is a tab stop of its own: 40 (or 500) of them would bury the vote form.
    assert "<td" in table and 'tabindex' not in table


def test_an_outcome_is_said_beside_the_form_that_was_used(service, twenty):
    files = service.get_request(CHECKER, twenty).versions[-1].files
    _, html = render(service, CHECKER, twenty, str(files[4].id), done="Your vote is recorded.", place="file")
    article = re.search(rf'<article[^>]*id="file-{files[4].id}".*?</article>', html, re.S).group(0)
    assert 'id="haven-done">Your vote is recorded.' in article
    status, html = render(service, CHECKER, twenty, str(files[4].id), error="you have voted", status=409,
                          place="file")
    article = re.search(rf'<article[^>]*id="file-{files[4].id}".*?</article>', html, re.S).group(0)
    assert status == 409 and 'id="haven-error">Not done: you have voted.' in article
    assert f'data-place="file-{files[4].id}"' in html  # the script brings the refused form into view
    _, html = render(service, CHECKER, twenty, str(files[4].id), done="Your comment is posted.", place="comments")
    assert re.search(r'id="comments-heading".*id="haven-done"', html, re.S)
    # Every form of the page sends the file in view, so the answer returns to it.
    assert html.count(f'<input type="hidden" name="file" value="{files[4].id}">') >= 3


def test_start_review_is_beside_the_file_and_votes_wait_for_it(service):
    request_id = submit(service, twenty_files()[:2])
    _, html = render(service, CHECKER, request_id)
    article = re.search(r"<article.*?</article>", html, re.S).group(0)
    assert 'id="action-start-review"' in article and html.count('id="action-start-review"') == 1
    assert "votes open once a checker starts the review" in article


def test_messages_meant_for_the_author_are_not_shown_to_checkers(service):
    request_id = create_request_at_status(service, State.RELEASED)
    _, checker_html = render(service, CHECKER, request_id)
    _, author_html = render(service, AUTHOR, request_id)
    assert "Released to its author." in checker_html
    assert "download it" not in checker_html and "download the files" not in checker_html
    assert "Released: download the files below." in author_html
    files = service.get_request(AUTHOR, request_id).versions[-1].files
    released = [f for f in files if not f.supporting]
    for file in files:
        link = f'href="/s/api/files/{file.id}/download"'
        assert (link in author_html) == (file in released), file.path
        assert link not in checker_html


def test_an_author_sees_every_file_without_content_or_votes_to_cast(service, twenty):
    _, html = render(service, AUTHOR, twenty)
    assert html.count('<article class="card mb-3 haven-file"') == 20
    assert drawn_tables(html) == [] and 'class="haven-vote"' not in html and "file-list" not in html
