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
    whole = service.list_whole_requests(AUTHOR, project="alpha", author=AUTHOR.name).requests
    assert [r.id for r in whole] == [mine]
    assert whole[0] == service.get_request(AUTHOR, mine)
    assert {r.id for r in service.list_whole_requests(AUTHOR).requests} == {mine, colleague_s}
    assert service.list_whole_requests(OUTSIDER).requests == []
    assert service.list_whole_requests(OUTSIDER, project="alpha").requests == []
    # A checker's view of the same request holds what the author's does not (secret votes aside).
    assert [r.id for r in service.list_whole_requests(CHECKER, author=CO_MEMBER.name).requests] == [colleague_s]


def test_the_summary_list_takes_the_same_filters(service):
    mine = submit(service)
    submit(service, author=CO_MEMBER)
    assert [r.id for r in service.list_requests(AUTHOR, author=AUTHOR.name)] == [mine]
    assert service.list_requests(CHECKER, project="beta") == []


def test_a_whole_list_past_the_cap_lists_the_newest_and_counts_the_rest(service, monkeypatch):
    # The Lab's panel asks for one analyst's requests in one project: a list nobody can narrow
    # further. Refused past the cap, one request too many left the analyst with no list at all.
    first = submit(service)
    second = submit(service, [upload("out/other.csv", b"group,count\nc,20\n")])
    third = submit(service, [upload("out/third.csv", b"group,count\nd,30\n")])
    monkeypatch.setattr(listing, "MAX_WHOLE_REQUESTS", 2)
    listed = service.list_whole_requests(AUTHOR, project="alpha", author=AUTHOR.name)
    assert [r.id for r in listed.requests] == [second, third] and listed.left_out == 1
    complete = service.list_whole_requests(CHECKER, author="nobody")
    assert complete.requests == [] and complete.left_out == 0
    assert first not in {r.id for r in listed.requests}
