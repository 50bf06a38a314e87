"""Review per file through the real service: hidden until one has voted, conflicts that hold
the request until resolved, votes carried over unchanged files, a project's daily limit, and
a release's reason on record (review_rules, reviewing, daily_limit)."""

from datetime import datetime, timedelta

import pytest

from haven_egress import audit
from haven_egress.errors import Conflict, Invalid, TooMany
from haven_egress.models import audit_events
from haven_hub.settings import Egress
from haven_egress.workflow import State

from .factories import (AUTHOR, CHECKER, CHECKER_2, CHECKER_3, PROJECT, create_request_at_status, submit,
                        upload, vote_all)


def table_of(service, caller, request_id, path="out/table.csv"):
    return next(f for f in service.get_request(caller, request_id).versions[-1].files if f.path == path)


def vote_rest(service, request_id, checker, but="out/table.csv"):
    for f in service.get_request(checker, request_id).versions[-1].files:
        if not f.supporting and f.path != but:
            service.review_file(checker, f.id, "approve")
    return service.get_request(checker, request_id).state


def seen(file) -> set[tuple[str, str]]:
    return {(r.reviewer, r.decision) for r in file.reviews} | {(c.author, c.body) for c in file.comments}


def test_a_checker_sees_anothers_vote_and_comments_on_a_file_only_after_voting_on_it(service):
    request_id = create_request_at_status(service, State.UNDER_REVIEW)
    table = table_of(service, CHECKER, request_id)
    service.review_file(CHECKER, table.id, "approve", "fine for me", "private")
    service.comment(CHECKER, request_id, "row b is close to the threshold", "private", table.id)
    service.comment(CHECKER, request_id, "please say how you rounded", "shared", table.id)
    assert seen(table_of(service, CHECKER_2, request_id)) == set()  # enforced in the view, not the page
    assert seen(table_of(service, AUTHOR, request_id)) == set()
    service.review_file(CHECKER_2, table.id, "approve")
    assert seen(table_of(service, CHECKER_2, request_id)) == {
        ("cara", "approve"), ("dan", "approve"), ("cara", "row b is close to the threshold"),
        ("cara", "please say how you rounded")}
    # A file comment is the file's thread, not one of the request's comments.
    assert service.get_request(CHECKER_2, request_id).comments == []


def test_the_author_sees_only_comments_for_the_author_and_only_after_the_decision(service):
    request_id = create_request_at_status(service, State.UNDER_REVIEW)
    files = [f for f in service.get_request(CHECKER, request_id).versions[-1].files if not f.supporting]
    table = files[0]
    service.comment(CHECKER, request_id, "checkers only: compare with 2023", "private", table.id)
    service.comment(CHECKER, request_id, "for the author: round to 10", "shared", table.id)
    for checker in (CHECKER, CHECKER_2):
        for f in files:
            assert table_of(service, AUTHOR, request_id, f.path).comments == []
            service.review_file(checker, f.id, "request_changes", "round to 10", "shared")
    assert service.get_request(AUTHOR, request_id).state is State.RETURNED
    assert [c.body for c in table_of(service, AUTHOR, request_id).comments] == ["for the author: round to 10"]


def test_votes_that_disagree_hold_the_request_until_a_third_checker_decides(service):
    request_id = create_request_at_status(service, State.UNDER_REVIEW)
    table = table_of(service, CHECKER, request_id)
    vote_all(service, request_id, CHECKER, "approve")
    service.review_file(CHECKER_2, table.id, "reject", "row b is 3 people")
    assert vote_rest(service, request_id, CHECKER_2) is State.UNDER_REVIEW  # all voted: still waiting
    assert table_of(service, CHECKER, request_id).conflicted
    assert not table_of(service, AUTHOR, request_id).conflicted  # the author is not told of the checkers' dispute
    assert not table_of(service, CHECKER_3, request_id, "out/figure.png").conflicted
    with pytest.raises(Conflict, match="only an approved request can be released"):
        service.release(CHECKER, request_id, "looks fine")
    assert service.review_file(CHECKER_3, table.id, "approve") is State.APPROVED
    assert not table_of(service, CHECKER, request_id).conflicted


def test_a_checker_may_change_their_vote_after_discussing_a_conflicted_file(service):
    request_id = create_request_at_status(service, State.UNDER_REVIEW)
    table = table_of(service, CHECKER, request_id)
    vote_all(service, request_id, CHECKER_2, "approve")
    vote_all(service, request_id, CHECKER, "approve")
    assert service.get_request(CHECKER, request_id).state is State.APPROVED  # agreement settles at once
    other = create_request_at_status(service, State.UNDER_REVIEW)
    table = table_of(service, CHECKER, other)
    vote_all(service, other, CHECKER, "approve")
    service.review_file(CHECKER_2, table.id, "request_changes", "round to 10")
    assert vote_rest(service, other, CHECKER_2) is State.UNDER_REVIEW
    service.comment(CHECKER, other, "you are right, b is 3", "private", table.id)
    with pytest.raises(Conflict, match="already reviewed"):
        service.review_file(CHECKER_2, table.id, "request_changes", "round to 10")
    assert service.review_file(CHECKER, table.id, "request_changes", "agreed: round to 10") is State.RETURNED
    with service.sessions() as session:
        changed = [e for e in audit.read(session, audit_events) if e.action == "egress.review_changed"]
    assert [(e.actor, e.details["was"]["decision"], e.details["decision"]) for e in changed] == [
        ("cara", "approve", "request_changes")]


def test_a_file_comment_names_a_file_of_the_current_version(service, snapshot):
    request_id = create_request_at_status(service, State.UNDER_REVIEW)
    other = create_request_at_status(service, State.UNDER_REVIEW)
    before = snapshot()
    with pytest.raises(Invalid, match="current version"):
        service.comment(CHECKER, request_id, "hm", "private", table_of(service, CHECKER, other).id)
    assert snapshot() == before


def test_a_resubmission_carries_the_votes_of_unchanged_files_and_not_of_changed_ones(service):
    request_id = submit(service, [upload("out/table.csv"), upload("out/other.csv", b"group,count\nc,20\n"),
                                  upload("out/notes.csv", b"group,count\nd,30\n")])
    service.start_review(CHECKER, request_id)
    for checker in (CHECKER, CHECKER_2):
        for f in service.get_request(checker, request_id).versions[-1].files:
            decision = "request_changes" if f.path == "out/other.csv" else "approve"
            service.review_file(checker, f.id, decision, "" if decision == "approve" else "round it")
    assert service.get_request(AUTHOR, request_id).state is State.RETURNED
    service.resubmit(AUTHOR, request_id, [
        upload("out/other.csv", b"group,count\nc,20\n", description="counts, rounded to 10"),  # described anew
        upload("out/notes.csv", b"group,count\nd,30\n")],  # sent again, byte for byte
        keep=["out/table.csv"])
    service.start_review(CHECKER_3, request_id)
    files = {f.path: f for f in service.get_request(CHECKER, request_id).versions[-1].files}
    assert {(r.reviewer, r.carried_from) for r in files["out/table.csv"].reviews} == {("cara", 1), ("dan", 1)}
    assert {(r.reviewer, r.carried_from) for r in files["out/notes.csv"].reviews} == {("cara", 1), ("dan", 1)}
    assert files["out/other.csv"].reviews == []  # its description changed: undecided
    # The one undecided file decides the request; the carried votes count.
    service.review_file(CHECKER, files["out/other.csv"].id, "approve")
    assert service.review_file(CHECKER_2, files["out/other.csv"].id, "approve") is State.APPROVED


def test_a_project_files_at_most_its_daily_limit_of_new_requests(make_service, snapshot):
    service = make_service(rules=Egress(daily_request_limit=2, daily_request_limit_by_project={"beta": 0}))
    submit(service)
    returned = create_request_at_status(service, State.RETURNED)
    before = snapshot()
    with pytest.raises(TooMany, match=r"project alpha has filed its 2 new release requests for today: "
                                      r"the count resets at 00:00 UTC on \d{4}-\d\d-\d\d") as refused:
        submit(service)
    assert snapshot() == before
    tomorrow = (audit.utcnow() + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    assert 0 < refused.value.retry_after <= (tomorrow - audit.utcnow()).total_seconds() + 1
    assert service.resubmit(AUTHOR, returned, [], keep=["out/table.csv"]) == 2  # a resubmission is never counted


def test_a_projects_own_daily_limit_replaces_everyones(make_service):
    service = make_service(rules=Egress(daily_request_limit=1, daily_request_limit_by_project={PROJECT: 3}))
    for _ in range(3):
        submit(service)
    with pytest.raises(TooMany, match="its 3 new release requests"):
        submit(service)


def test_yesterdays_requests_do_not_count_today(make_service):
    from haven_egress import daily_limit
    service = make_service(rules=Egress(daily_request_limit=1))
    submit(service)
    with service.sessions() as session:
        tomorrow = audit.utcnow() + timedelta(days=1)
        daily_limit.require_room(session, service.rules, PROJECT, tomorrow)  # no refusal
        with pytest.raises(TooMany):
            daily_limit.require_room(session, service.rules, PROJECT, audit.utcnow())
    assert isinstance(tomorrow, datetime)


def test_a_release_keeps_its_reason_in_the_history_and_the_audit(service):
    request_id = create_request_at_status(service, State.APPROVED)
    service.release(CHECKER, request_id, "  all tables rounded; figure has no small cells ")
    view = service.get_request(AUTHOR, request_id)
    assert view.history[-1].reason == "all tables rounded; figure has no small cells"
    with service.sessions() as session:
        event = [e for e in audit.read(session, audit_events) if e.action == "egress.release"][-1]
    assert event.details["reason"] == "all tables rounded; figure has no small cells"
