"""The review queue's verdict and vote columns: the current version's worst automated verdict,
and how many of the votes it needs are cast (never who voted how)."""

from __future__ import annotations

from haven_egress import overview
from haven_egress.workflow import State

from .factories import CHECKER, CHECKER_2, create_request_at_status, submit, upload
from .test_review_page import SMALL_TABLE, db_url, service  # noqa: F401  (fixtures: SQLite, checks running)


def item(service, request_id: str) -> overview.QueueItem:
    return next(i for i in overview.queue(service, CHECKER).items if i.id == request_id)


def test_the_queue_shows_the_worst_verdict_and_the_votes_cast_of_those_needed(service):
    passing = submit(service, [upload("out/a.csv", b"group,count\na,20\nb,15\n")])
    failing = submit(service, [upload("out/a.csv", b"group,count\na,20\nb,15\n"), upload("out/b.csv", SMALL_TABLE)])
    assert (item(service, passing).verdict, item(service, failing).verdict) == ("pass", "fail")
    assert (item(service, failing).votes, item(service, failing).votes_needed) == (0, 4)  # 2 files x 2 approvals
    service.start_review(CHECKER, failing)
    first = service.get_request(CHECKER, failing).versions[-1].files[0]
    service.review_file(CHECKER, first.id, "approve", "")
    service.review_file(CHECKER_2, first.id, "approve", "")
    assert item(service, failing).votes == 2


def test_a_file_the_checks_could_not_read_outranks_the_rest_and_supporting_files_need_no_votes(service):
    request_id = create_request_at_status(service, State.UNDER_REVIEW)  # a table, a figure, a supporting file
    files = service.get_request(CHECKER, request_id).versions[-1].files
    assert "error" in {f.checks["status"] for f in files}
    shown = item(service, request_id)
    assert (shown.verdict, shown.votes_needed) == ("error", 4)


def test_a_request_whose_checks_have_not_run_reads_pending(make_service):
    unchecked = make_service()  # no background checks: every file waits
    request_id = submit(unchecked)
    assert next(i for i in overview.queue(unchecked, CHECKER).items if i.id == request_id).verdict == "pending"
