"""A request belongs to the project of the server it came from: the caller's token, never the body."""

from dataclasses import replace

import pytest
from sqlalchemy import select

from haven_egress.errors import Forbidden
from haven_egress.models import audit_events
from haven_egress.workflow import State

from .factories import (AUTHOR, AUTHOR_IN_BETA, AUTHOR_IN_BROWSER, CHECKER, CHECKER_2, PROJECT,
                        upload, vote_all)

# One small table that every content check passes: these tests are about where it is filed.
FILES = [upload("out/table.csv")]
# alice is a member of alpha and beta; her alpha server's token is bound to alpha.
IN_ALPHA = replace(AUTHOR_IN_BETA, server_project=PROJECT)


def refusals(service) -> list[tuple]:
    with service.sessions() as session:
        rows = session.execute(select(audit_events.c.actor, audit_events.c.action, audit_events.c.target,
                                      audit_events.c.project, audit_events.c.details)
                               .where(audit_events.c.action.like("%_refused"))).all()
    return [tuple(row) for row in rows]


@pytest.mark.parametrize("named", ["", PROJECT])
def test_a_request_is_filed_under_the_servers_project(service, named):
    request_id = service.submit(IN_ALPHA, named, "t", "p", FILES)
    assert service.get_request(IN_ALPHA, request_id).project == PROJECT
    # The same author from her beta server files under beta: the token decides.
    other = service.submit(AUTHOR_IN_BETA, "", "t", "p", FILES)
    assert service.get_request(AUTHOR_IN_BETA, other).project == "beta"


def test_a_body_naming_another_project_is_refused_audited_and_stores_nothing(service, snapshot):
    before = snapshot()
    with pytest.raises(Forbidden, match="this server belongs to project alpha; requests from it are "
                                        "filed under alpha, not beta"):
        service.submit(IN_ALPHA, "beta", "t", "p", FILES)
    after = snapshot()
    assert after["audit_events"] == before["audit_events"] + 1
    assert {k: v for k, v in after.items() if k != "audit_events"} == \
        {k: v for k, v in before.items() if k != "audit_events"}
    (actor, action, target, project, details), = refusals(service)
    assert (actor, action, target, project) == ("alice", "egress.submit_refused", "project/beta", PROJECT)
    assert details["server_project"] == PROJECT and details["named_project"] == "beta"
    assert service.verify_audit().intact


def test_preflight_naming_another_project_is_refused_and_audited(service):
    with pytest.raises(Forbidden, match="this server belongs to project alpha"):
        service.preflight(IN_ALPHA, "beta", FILES)
    assert [row[1] for row in refusals(service)] == ["egress.preflight_refused"]


def test_a_browser_token_may_not_submit_files(service, snapshot):
    before = snapshot()
    for attempt in (lambda: service.submit(AUTHOR_IN_BROWSER, PROJECT, "t", "p", FILES),
                    lambda: service.submit(AUTHOR_IN_BROWSER, "", "t", "p", FILES),
                    lambda: service.preflight(AUTHOR_IN_BROWSER, "", FILES)):
        with pytest.raises(Forbidden, match="files are submitted only from a project server"):
            attempt()
    assert snapshot() == before


def test_the_browser_still_reads_comments_and_withdraws(service):
    request_id = service.submit(AUTHOR, "", "t", "p", FILES)
    assert service.get_request(AUTHOR_IN_BROWSER, request_id).title == "t"
    service.comment(AUTHOR_IN_BROWSER, request_id, "a note")
    assert service.withdraw(AUTHOR_IN_BROWSER, request_id) is State.WITHDRAWN


def returned(service) -> str:
    request_id = service.submit(IN_ALPHA, "", "t", "p", FILES)
    service.start_review(CHECKER, request_id)
    vote_all(service, request_id, CHECKER, "request_changes")
    vote_all(service, request_id, CHECKER_2, "request_changes")
    return request_id


def test_a_resubmission_comes_only_from_a_server_of_the_requests_project(service, snapshot):
    request_id = returned(service)
    revised = [upload("out/table.csv", b"group,count\na,15\nb,15\n")]
    before = snapshot()
    with pytest.raises(Forbidden, match="request .* belongs to alpha: revise it from a alpha server"):
        service.resubmit(AUTHOR_IN_BETA, request_id, revised)
    with pytest.raises(Forbidden, match="files are submitted only from a project server"):
        service.resubmit(AUTHOR_IN_BROWSER, request_id, revised)
    assert snapshot() == before
    with pytest.raises(Forbidden, match="filed under alpha, not beta"):
        service.resubmit(IN_ALPHA, request_id, revised, named_project="beta")
    assert service.resubmit(IN_ALPHA, request_id, revised, named_project=PROJECT) == 2
