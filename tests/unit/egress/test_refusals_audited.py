"""Refused attempts are audited with who, what and on which id (egress.refused), on SQLite
and PostgreSQL; the caller's answer is unchanged and the chain still verifies."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from haven_egress.errors import Forbidden, NotFound
from haven_egress.models import audit_events
from haven_egress.lookup import NO_FILE, NO_REQUEST
from haven_egress.workflow import State

from .factories import (AUTHOR, AUTHOR_CHECKER, AUTHOR_IN_BROWSER, CHECKER, CO_MEMBER, OUTSIDER, PROJECT,
                        create_request_at_status, default_files, submit)


def refusals(service) -> list[dict]:
    with service.sessions() as session:
        rows = session.execute(select(audit_events).where(audit_events.c.action == "egress.refused")
                               .order_by(audit_events.c.id)).all()
    return [{"actor": r.actor, "target": r.target, "project": r.project, **r.details} for r in rows]


def first_file(service, request_id: str) -> int:
    return service.get_request(CHECKER, request_id).versions[-1].files[0].id


def test_self_approval_is_refused_and_audited(service):
    request_id = submit(service, author=AUTHOR_CHECKER)
    service.start_review(CHECKER, request_id)
    file_id = first_file(service, request_id)
    with pytest.raises(Forbidden, match="you may not review this request"):
        service.review_file(AUTHOR_CHECKER, file_id, "approve")
    [event] = refusals(service)
    assert event == {"actor": "alice", "target": f"file/{file_id}", "project": PROJECT,
                     "operation": "review_file", "refusal": "forbidden", "exists": True,
                     "reason": "you may not review this request", "roles": ["analyst", "checker"],
                     "server_project": PROJECT}


def test_an_analyst_calling_a_checkers_action_is_audited(service):
    request_id = submit(service)
    with pytest.raises(Forbidden):
        service.start_review(CO_MEMBER, request_id)
    with pytest.raises(Forbidden):
        service.release(AUTHOR, request_id)
    assert [(e["actor"], e["operation"], e["target"]) for e in refusals(service)] == [
        ("bob", "start_review", f"request/{request_id}"), ("alice", "release", f"request/{request_id}")]


def test_another_projects_request_and_file_are_audited_with_their_real_project(service):
    request_id = create_request_at_status(service, State.RELEASED)
    file_id = first_file(service, request_id)
    with pytest.raises(NotFound) as request_answer:
        service.get_request(OUTSIDER, request_id)
    with pytest.raises(NotFound) as file_answer:
        service.download(OUTSIDER, file_id)
    # The caller learns nothing; the log says what they reached for.
    assert str(request_answer.value) == NO_REQUEST and str(file_answer.value) == NO_FILE
    events = refusals(service)
    assert [(e["actor"], e["target"], e["project"], e["exists"], e["refusal"]) for e in events] == [
        ("oscar", f"request/{request_id}", PROJECT, True, "not-found"),
        ("oscar", f"file/{file_id}", PROJECT, True, "not-found")]
    assert events[1]["operation"] == "download_named" and events[1]["server_project"] == "beta"


@pytest.mark.parametrize("forged", [10**9, -1, "1 OR 1=1", None])
def test_forged_file_ids_are_audited_as_missing(service, forged):
    submit(service)
    with pytest.raises(NotFound):
        service.view_file(CHECKER, forged)
    [event] = refusals(service)
    assert event["target"] == f"file/{'' if forged is None else forged}" and event["exists"] is False
    assert event["project"] is None and event["actor"] == "cara"


def test_a_browser_token_submitting_is_audited_and_the_chain_still_holds(service):
    with pytest.raises(Forbidden, match="only from a project server"):
        service.submit(AUTHOR_IN_BROWSER, PROJECT, "t", "p", default_files())
    [event] = refusals(service)
    assert (event["operation"], event["target"], event["refusal"]) == ("submit", f"project/{PROJECT}", "forbidden")
    assert "server_project" not in event
    assert service.verify_audit().intact


def test_an_overlong_forged_id_still_fits_the_log(service):
    with pytest.raises(NotFound):
        service.get_request(OUTSIDER, "f" * 5000)
    [event] = refusals(service)
    assert len(event["target"]) == 128 and event["exists"] is False


# Use cases that take a caller and never refuse one: lists filter to what the caller may see,
# and download is download_named's bytes (which is audited).
NEVER_REFUSE = {"list_requests", "list_whole_requests", "download"}


def test_every_use_case_that_takes_a_caller_audits_its_refusals():
    """A new use case cannot slip in without @audited_refusals (or a reason in NEVER_REFUSE)."""
    import inspect

    from haven_egress.service import EgressService

    taking_a_caller = {name for name, method in inspect.getmembers(EgressService, inspect.isfunction)
                       if not name.startswith("_") and list(inspect.signature(method).parameters)[1:2] == ["caller"]}
    unaudited = sorted(name for name in taking_a_caller - NEVER_REFUSE
                       if not hasattr(getattr(EgressService, name), "__wrapped__"))
    assert unaudited == []
    assert NEVER_REFUSE <= taking_a_caller  # no stale entry
