"""What openapi.yaml advertises is kept: a resubmission's title and purpose, a withdrawal's
reason; and the list a panel needs comes whole, in one call, filtered to the caller's view."""

import pytest

from haven_egress import audit, listing
from haven_egress.errors import Invalid
from haven_egress.models import audit_events
from haven_egress.workflow import State

from .factories import AUTHOR, CHECKER, CO_MEMBER, OUTSIDER, create_request_at_status, submit, upload


def events(service, action: str) -> list[audit.AuditEvent]:
    with service.sessions() as session:
        return [e for e in audit.read(session, audit_events) if e.action == action]


def test_a_resubmission_replaces_the_title_and_purpose_and_the_audit_keeps_both(service):
    request_id = create_request_at_status(service, State.RETURNED)
    before = service.get_request(AUTHOR, request_id)
    service.resubmit(AUTHOR, request_id, [], keep=["out/table.csv"], title="  Counts, rounded  ",
                     purpose="paper table 1, revised")
    after = service.get_request(CHECKER, request_id)
    assert (after.title, after.purpose) == ("Counts, rounded", "paper table 1, revised")
    event = events(service, "egress.resubmit")[-1]
    assert event.details["title"] == {"from": before.title, "to": "Counts, rounded"}
    assert event.details["purpose"] == {"from": before.purpose, "to": "paper table 1, revised"}


def test_a_resubmission_without_a_title_keeps_the_request_s(service):
    request_id = create_request_at_status(service, State.RETURNED)
    before = service.get_request(AUTHOR, request_id)
    service.resubmit(AUTHOR, request_id, [], keep=["out/table.csv"])
    after = service.get_request(AUTHOR, request_id)
    assert (after.title, after.purpose) == (before.title, before.purpose)
    event = events(service, "egress.resubmit")[-1]
    assert event.details["version"] == after.version and "title" not in event.details and "purpose" not in event.details


def test_a_title_too_long_is_refused_and_nothing_changes(service):
    request_id = create_request_at_status(service, State.RETURNED)
    audited = len(events(service, "egress.resubmit"))
    with pytest.raises(Invalid, match="at most 200"):
        service.resubmit(AUTHOR, request_id, [], keep=["out/table.csv"], title="x" * 201)
    assert service.get_request(AUTHOR, request_id).state is State.RETURNED
    assert len(events(service, "egress.resubmit")) == audited


def test_a_withdrawal_keeps_its_reason_in_the_history_and_the_audit(service):
    request_id = submit(service)
    assert service.withdraw(AUTHOR, request_id, "  wrong table  ") is State.WITHDRAWN
    last = service.get_request(CHECKER, request_id).history[-1]
    assert (last.state, last.reason) == ("withdrawn", "wrong table")
    [event] = events(service, "egress.withdraw")
    assert event.details["reason"] == "wrong table"


def test_the_whole_list_is_what_get_request_shows_each_caller(service):
    mine = create_request_at_status(service, State.UNDER_REVIEW)
    colleague_s = submit(service, author=CO_MEMBER)
    whole = service.list_whole_requests(AUTHOR, project="alpha", author=AUTHOR.name)
    assert [r.id for r in whole] == [mine]
    assert whole[0] == service.get_request(AUTHOR, mine)
    assert {r.id for r in service.list_whole_requests(AUTHOR)} == {mine, colleague_s}
    assert service.list_whole_requests(OUTSIDER) == []
    assert service.list_whole_requests(OUTSIDER, project="alpha") == []
    # A checker's view of the same request holds what the author's does not (secret votes aside).
    assert [r.id for r in service.list_whole_requests(CHECKER, author=CO_MEMBER.name)] == [colleague_s]


def test_the_summary_list_takes_the_same_filters(service):
    mine = submit(service)
    submit(service, author=CO_MEMBER)
    assert [r.id for r in service.list_requests(AUTHOR, author=AUTHOR.name)] == [mine]
    assert service.list_requests(CHECKER, project="beta") == []


def test_a_whole_list_past_the_cap_asks_to_narrow_it(service, monkeypatch):
    submit(service)
    submit(service, [upload("out/other.csv", b"group,count\nc,20\n")])
    monkeypatch.setattr(listing, "MAX_WHOLE_REQUESTS", 1)
    with pytest.raises(Invalid, match="narrow the list"):
        service.list_whole_requests(CHECKER)
    assert len(service.list_whole_requests(CHECKER, author="nobody")) == 0
