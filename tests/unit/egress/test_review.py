"""Reviewing: independent votes, secret while open, counted per file, by eligible checkers only."""

import pytest

from haven_egress import audit
from haven_egress.errors import Conflict, Forbidden, Invalid
from haven_egress.models import audit_events
from haven_hub.settings import Egress
from haven_egress.workflow import State

from .factories import (AUTHOR, AUTHOR_CHECKER, CHECKER, CHECKER_2, CHECKER_3, CHECKER_MEMBER,
                        CO_MEMBER, create_request_at_status, submit, vote_all)


def released_files(service, caller, request_id):
    return [f for f in service.get_request(caller, request_id).versions[-1].files if not f.supporting]


def test_votes_need_review_to_have_started(service, snapshot):
    request_id = submit(service)
    file = released_files(service, CHECKER, request_id)[0]
    before = snapshot()
    with pytest.raises(Conflict, match="cannot vote: the request is submitted"):
        service.review_file(CHECKER, file.id, "approve")
    assert snapshot() == before


@pytest.mark.parametrize("who", [AUTHOR, AUTHOR_CHECKER, CO_MEMBER, CHECKER_MEMBER])
def test_author_and_members_never_review(service, snapshot, who):
    request_id = create_request_at_status(service, State.UNDER_REVIEW)
    file = released_files(service, CHECKER, request_id)[0]
    before = snapshot()
    with pytest.raises(Forbidden):
        service.review_file(who, file.id, "approve")
    with pytest.raises(Forbidden):
        service.reject(who, request_id, "no")
    assert snapshot() == before


def test_a_checker_member_may_review_when_settings_allow(make_service):
    service = make_service(rules=Egress(checkers_may_review_own_projects=True))
    request_id = create_request_at_status(service, State.UNDER_REVIEW)
    vote_all(service, request_id, CHECKER_MEMBER, "approve")
    with pytest.raises(Forbidden):  # ...but never the author, whatever the settings
        vote_all(service, request_id, AUTHOR_CHECKER, "approve")


def test_one_approval_does_not_approve_when_two_are_required(service):
    request_id = create_request_at_status(service, State.UNDER_REVIEW)
    assert vote_all(service, request_id, CHECKER, "approve") is State.UNDER_REVIEW
    assert vote_all(service, request_id, CHECKER_2, "approve") is State.APPROVED
    history = service.get_request(AUTHOR, request_id).history
    assert [(e.state, e.actor) for e in history[-2:]] == [("reviewed", "system"), ("approved", "system")]


def test_every_file_needs_its_own_approvals(service):
    request_id = create_request_at_status(service, State.UNDER_REVIEW)
    first, second = released_files(service, CHECKER, request_id)
    service.review_file(CHECKER, first.id, "approve")
    service.review_file(CHECKER_2, first.id, "approve")
    service.review_file(CHECKER_3, first.id, "approve")
    assert service.review_file(CHECKER, second.id, "approve") is State.UNDER_REVIEW
    assert service.review_file(CHECKER_2, second.id, "approve") is State.APPROVED


def test_the_number_of_approvals_is_configurable(make_service):
    service = make_service(rules=Egress(required_approvals=3))
    request_id = create_request_at_status(service, State.UNDER_REVIEW)
    vote_all(service, request_id, CHECKER, "approve")
    assert vote_all(service, request_id, CHECKER_2, "approve") is State.UNDER_REVIEW
    assert vote_all(service, request_id, CHECKER_3, "approve") is State.APPROVED


def test_a_reviewer_votes_once_per_file(service):
    request_id = create_request_at_status(service, State.UNDER_REVIEW)
    file = released_files(service, CHECKER, request_id)[0]
    service.review_file(CHECKER, file.id, "approve")
    with pytest.raises(Conflict, match="already reviewed"):
        service.review_file(CHECKER, file.id, "approve")


@pytest.mark.parametrize(("decision", "comment", "visibility", "message"), [
    ("maybe", "", "shared", "decision must be one of"),
    ("reject", "  ", "shared", "comment is required"),
    ("request_changes", "", "shared", "comment is required"),
    ("approve", "", "public", "visibility"),
])
def test_bad_votes_are_refused(service, snapshot, decision, comment, visibility, message):
    request_id = create_request_at_status(service, State.UNDER_REVIEW)
    file = released_files(service, CHECKER, request_id)[0]
    before = snapshot()
    with pytest.raises(Invalid, match=message):
        service.review_file(CHECKER, file.id, decision, comment, visibility)
    assert snapshot() == before


def test_supporting_files_are_not_voted_on(service):
    request_id = create_request_at_status(service, State.UNDER_REVIEW)
    evidence = [f for f in service.get_request(CHECKER, request_id).versions[0].files if f.supporting][0]
    with pytest.raises(Invalid, match="supporting file"):
        service.review_file(CHECKER, evidence.id, "approve")


def test_votes_are_secret_while_review_is_open(service):
    request_id = create_request_at_status(service, State.UNDER_REVIEW)
    file = released_files(service, CHECKER, request_id)[0]
    service.review_file(CHECKER, file.id, "approve", "fine", "private")
    mine = released_files(service, CHECKER, request_id)[0].reviews
    assert [(r.reviewer, r.decision) for r in mine] == [("cara", "approve")]
    for other in (CHECKER_2, AUTHOR, CO_MEMBER):
        assert released_files(service, other, request_id)[0].reviews == []


def test_after_review_checkers_see_all_votes_and_authors_only_shared_ones(service):
    request_id = create_request_at_status(service, State.UNDER_REVIEW)
    for f in released_files(service, CHECKER, request_id):
        service.review_file(CHECKER, f.id, "approve", "internal note", "private")
        service.review_file(CHECKER_2, f.id, "approve", "looks safe", "shared")
    checker_view = released_files(service, CHECKER_3, request_id)[0].reviews
    author_view = released_files(service, AUTHOR, request_id)[0].reviews
    assert {r.reviewer for r in checker_view} == {"cara", "dan"}
    assert [(r.reviewer, r.comment) for r in author_view] == [("dan", "looks safe")]


def test_request_changes_returns_the_whole_request(service):
    request_id = create_request_at_status(service, State.UNDER_REVIEW)
    first = released_files(service, CHECKER_2, request_id)[0]
    rest = released_files(service, CHECKER_2, request_id)[1:]
    service.review_file(CHECKER, first.id, "request_changes", "round to 5")
    for f in rest:
        service.review_file(CHECKER, f.id, "approve")
    service.review_file(CHECKER_2, first.id, "request_changes", "round to 10")
    for f in rest:
        state = service.review_file(CHECKER_2, f.id, "approve")
    assert state is State.RETURNED
    assert service.get_request(AUTHOR, request_id).history[-1].reason == "a checker asked for changes"


def test_a_reject_vote_waits_for_a_checkers_decision(service, snapshot):
    request_id = create_request_at_status(service, State.REVIEWED)
    before = snapshot()
    with pytest.raises(Invalid, match="needs a reason"):
        service.reject(CHECKER, request_id, "")
    assert snapshot() == before
    assert service.reject(CHECKER_3, request_id, "re-identifies patients") is State.REJECTED
    with pytest.raises(Conflict, match="final"):
        service.withdraw(AUTHOR, request_id)


def test_comments_private_to_checkers(service):
    request_id = submit(service)
    service.comment(AUTHOR, request_id, "this is table 1 of the paper")
    service.comment(CHECKER, request_id, "check against last year", "private")
    with pytest.raises(Forbidden, match="private"):
        service.comment(AUTHOR, request_id, "secret", "private")
    with pytest.raises(Forbidden):
        service.comment(CO_MEMBER, request_id, "me too")
    assert [c.body for c in service.get_request(AUTHOR, request_id).comments] == ["this is table 1 of the paper"]
    assert len(service.get_request(CHECKER_2, request_id).comments) == 2


def test_every_change_is_audited(service):
    request_id = create_request_at_status(service, State.APPROVED)
    with service.sessions() as session:
        actions = [e.action for e in audit.read(session, audit_events, target=f"request/{request_id}")]
    assert actions == ["egress.submit", "egress.start_review"] + ["egress.review"] * 3 + [
        "egress.review", "egress.complete_review", "egress.approve"]
