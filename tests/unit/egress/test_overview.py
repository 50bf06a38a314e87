"""The queue's counts, "needs my review", authors' unseen decisions and a project's releases."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from haven_egress import overview
from haven_egress.workflow import State

from .factories import (AUTHOR, CHECKER, CHECKER_2, CHECKER_MEMBER, CO_MEMBER, OUTSIDER, PROJECT,
                        create_request_at_status, submit, vote_all)


def test_counts_by_state_and_project(service):
    create_request_at_status(service, State.SUBMITTED)
    create_request_at_status(service, State.UNDER_REVIEW)
    create_request_at_status(service, State.RELEASED)
    queue = overview.queue(service, CHECKER)
    assert queue.by_state == {"submitted": 1, "under_review": 1, "released": 1}
    assert queue.by_project == {PROJECT: 3}
    assert [i.state for i in queue.items][0] is State.RELEASED  # newest first


def test_needs_my_review_until_i_have_voted_on_every_file(service):
    waiting = create_request_at_status(service, State.SUBMITTED)
    reviewing = create_request_at_status(service, State.UNDER_REVIEW)
    done = create_request_at_status(service, State.RELEASED)
    needs = {i.id for i in overview.queue(service, CHECKER).items if i.needs_my_review}
    assert needs == {waiting, reviewing}
    vote_all(service, reviewing, CHECKER, "approve")
    queue = overview.queue(service, CHECKER)
    assert {i.id for i in queue.items if i.needs_my_review} == {waiting}
    assert queue.needs_my_review == 1
    # The second checker has not voted yet: it still needs her.
    assert reviewing in {i.id for i in overview.queue(service, CHECKER_2).items if i.needs_my_review}
    assert done not in needs


def test_nobody_is_asked_to_review_what_they_may_not_check(service):
    create_request_at_status(service, State.SUBMITTED)
    assert overview.queue(service, CHECKER_MEMBER).needs_my_review == 0  # a member of the project
    assert overview.queue(service, AUTHOR).needs_my_review == 0


def test_analysts_see_only_their_projects_requests(service):
    create_request_at_status(service, State.SUBMITTED)
    assert len(overview.queue(service, CO_MEMBER).items) == 1
    assert overview.queue(service, OUTSIDER).items == []
    assert overview.queue(service, OUTSIDER).by_project == {}


def test_decisions_since_counts_only_other_peoples_decisions_on_my_requests(service):
    before = datetime.now(timezone.utc) - timedelta(seconds=1)
    returned = create_request_at_status(service, State.RETURNED)
    create_request_at_status(service, State.UNDER_REVIEW)  # no decision yet
    withdrawn = submit(service)
    service.withdraw(AUTHOR, withdrawn)  # her own act is no news to her
    assert overview.decisions_since(service, AUTHOR, before) == [returned]
    assert overview.decisions_since(service, AUTHOR, None) == [returned]
    assert overview.decisions_since(service, AUTHOR, datetime.now(timezone.utc) + timedelta(seconds=1)) == []
    assert overview.decisions_since(service, CO_MEMBER, before) == []


def test_released_in_project_lists_the_others_and_only_for_those_who_may_see(service):
    released = create_request_at_status(service, State.RELEASED)
    current = create_request_at_status(service, State.UNDER_REVIEW)
    found = overview.released_in_project(service, CHECKER, PROJECT, excluding=current)
    assert [(r.id, r.files) for r in found] == [(released, ["out/table.csv", "out/figure.png"])]
    assert overview.released_in_project(service, CHECKER, PROJECT, excluding=released) == []
    assert overview.released_in_project(service, OUTSIDER, PROJECT, excluding=current) == []


def test_age_reads_at_a_glance():
    now = datetime(2026, 1, 2, tzinfo=timezone.utc)
    assert overview.age(now - timedelta(seconds=5), now) == "5 s"
    assert overview.age(now - timedelta(minutes=3), now) == "3 min"
    assert overview.age(now - timedelta(hours=5, minutes=59), now) == "5 h"
    assert overview.age(now - timedelta(days=2), now) == "2 d"
    assert overview.age(now + timedelta(minutes=1), now) == "0 s"  # a clock skew is not negative
