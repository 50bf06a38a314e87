"""From approval to release, download and revocation; withdrawal; resubmission as a new version."""

import os

import pytest

from haven_egress import audit
from haven_egress.errors import Conflict, Forbidden, Invalid
from haven_egress.models import audit_events
from haven_hub.settings import Egress
from haven_egress.workflow import State

from .factories import (AUTHOR, AUTHOR_CHECKER, CHECKER, CHECKER_2, CO_MEMBER,
                        create_request_at_status, upload, vote_all)


@pytest.mark.parametrize("status", list(State))
def test_factory_reaches_every_state_through_the_service(service, status):
    request_id = create_request_at_status(service, status)
    assert service.get_request(CHECKER, request_id).state is status
    assert {r.id: r.state for r in service.list_requests(AUTHOR)} == {request_id: status}


def files_of(service, request_id, caller=AUTHOR):
    return {f.path: f for f in service.get_request(caller, request_id).versions[-1].files}


def test_release_is_an_explicit_checker_action_on_an_approved_request(service):
    reviewed = create_request_at_status(service, State.REVIEWED)
    with pytest.raises(Conflict, match="only an approved request can be released"):
        service.release(CHECKER, reviewed)
    approved = create_request_at_status(service, State.APPROVED)
    with pytest.raises(Forbidden):
        service.release(AUTHOR_CHECKER, approved)
    assert service.release(CHECKER_2, approved) is State.RELEASED


def test_download_only_after_release_and_only_the_released_files(service):
    request_id = create_request_at_status(service, State.APPROVED)
    table = files_of(service, request_id)["out/table.csv"]
    with pytest.raises(Conflict, match="cannot download: the request is approved"):
        service.download(AUTHOR, table.id)
    service.release(CHECKER, request_id)
    assert service.download(AUTHOR, table.id) == b"group,count\na,12\nb,15\n"
    with pytest.raises(Forbidden, match="was not released"):
        service.download(AUTHOR, files_of(service, request_id)["evidence/results.json"].id)
    with pytest.raises(Forbidden):
        service.download(CO_MEMBER, table.id)
    with service.sessions() as session:
        downloads = [e for e in audit.read(session, audit_events) if e.action == "egress.download"]
    assert [(e.actor, e.details["file"]) for e in downloads] == [("alice", "out/table.csv")]


def test_members_download_when_settings_allow(make_service):
    service = make_service(rules=Egress(members_may_download=True))
    request_id = create_request_at_status(service, State.RELEASED)
    assert service.download(CO_MEMBER, files_of(service, request_id)["out/table.csv"].id)


def test_a_blob_altered_after_review_is_never_served(service, blobs):
    request_id = create_request_at_status(service, State.RELEASED)
    table = files_of(service, request_id)["out/table.csv"]
    path = blobs.path(table.sha256)
    os.chmod(path, 0o644)
    path.write_bytes(b"group,count\na,1\n")
    with pytest.raises(Conflict, match="no longer matches"):
        service.download(AUTHOR, table.id)
    assert service.fsck().corrupt == [table.sha256]


def test_revoke_stops_downloads_and_needs_a_reason(service):
    request_id = create_request_at_status(service, State.RELEASED)
    with pytest.raises(Invalid, match="needs a reason"):
        service.revoke(CHECKER, request_id, " ")
    service.revoke(CHECKER, request_id, "published by mistake")
    with pytest.raises(Conflict, match="the request is revoked"):
        service.download(AUTHOR, files_of(service, request_id)["out/table.csv"].id)


def test_only_the_author_withdraws_and_only_before_release(service):
    request_id = create_request_at_status(service, State.UNDER_REVIEW)
    with pytest.raises(Forbidden):
        service.withdraw(CHECKER, request_id)
    with pytest.raises(Forbidden):
        service.withdraw(CO_MEMBER, request_id)
    assert service.withdraw(AUTHOR, request_id) is State.WITHDRAWN
    released = create_request_at_status(service, State.RELEASED)
    with pytest.raises(Conflict, match="no longer be withdrawn"):
        service.withdraw(AUTHOR, released)


def test_resubmission_is_a_new_version_keeping_history_and_reviews(service):
    request_id = create_request_at_status(service, State.RETURNED)
    new_table = upload("out/table_rounded.csv", b"group,count\na,10\nb,15\n")
    # The figure is dropped; the first table is kept as it was.
    assert service.resubmit(AUTHOR, request_id, [new_table], keep=["out/table.csv"]) == 2
    view = service.get_request(AUTHOR, request_id)
    assert (view.state, view.version) == (State.SUBMITTED, 2)
    assert [v.number for v in view.versions] == [1, 2]
    assert {f.path for f in view.versions[1].files} == {"out/table.csv", "out/table_rounded.csv"}
    old_reviews = {r.decision for f in view.versions[0].files for r in f.reviews}
    assert old_reviews == {"request_changes"}  # earlier reviews stay visible
    assert all(not f.reviews for f in view.versions[1].files)
    assert view.history[-1].state == "submitted" and view.history[-1].version == 2
    assert [e.state for e in view.history].count("returned") == 1


def test_resubmitted_request_is_reviewed_afresh(service):
    request_id = create_request_at_status(service, State.RETURNED)
    old_file = files_of(service, request_id)["out/table.csv"]
    service.resubmit(AUTHOR, request_id, [], keep=["out/table.csv"])
    service.start_review(CHECKER, request_id)
    with pytest.raises(Conflict, match="earlier version"):
        service.review_file(CHECKER, old_file.id, "approve")
    vote_all(service, request_id, CHECKER, "approve")
    assert vote_all(service, request_id, CHECKER_2, "approve") is State.APPROVED


def test_bad_resubmissions_change_nothing(service, snapshot):
    returned = create_request_at_status(service, State.RETURNED)
    submitted = create_request_at_status(service, State.SUBMITTED)
    before = snapshot()
    with pytest.raises(Invalid, match="did not have: nope.csv"):
        service.resubmit(AUTHOR, returned, [], keep=["nope.csv"])
    with pytest.raises(Invalid, match="at least one file"):
        service.resubmit(AUTHOR, returned, [], keep=[])
    with pytest.raises(Invalid, match="outside the project workspace"):
        service.resubmit(AUTHOR, returned, [upload("../x.csv")])
    with pytest.raises(Conflict, match="only a returned request can be resubmitted"):
        service.resubmit(AUTHOR, submitted, [upload("new.csv", b"new bytes")])
    with pytest.raises(Forbidden):
        service.resubmit(CO_MEMBER, returned, [upload("new.csv", b"new bytes")])
    assert snapshot() == before


def test_kept_files_count_towards_the_request_size_limit(make_service, snapshot):
    service = make_service(rules=Egress(max_request_size=130))
    request_id = create_request_at_status(service, State.RETURNED)  # 120 bytes, table 22
    before = snapshot()
    with pytest.raises(Invalid, match="at most 130"):
        service.resubmit(AUTHOR, request_id, [upload("more.csv", b"y" * 110)], keep=["out/table.csv"])
    assert snapshot() == before


def test_a_checker_may_return_a_request_under_review_with_a_reason(service):
    request_id = create_request_at_status(service, State.UNDER_REVIEW)
    with pytest.raises(Invalid, match="needs a reason"):
        service.return_request(CHECKER, request_id, "")
    with pytest.raises(Forbidden):
        service.return_request(AUTHOR, request_id, "I changed my mind")
    assert service.return_request(CHECKER, request_id, "add the denominators") is State.RETURNED
    last = service.get_request(AUTHOR, request_id).history[-1]
    assert (last.state, last.actor, last.reason) == ("returned", "cara", "add the denominators")


def test_a_crash_during_a_state_change_keeps_the_old_state_and_no_audit_event(make_service, snapshot):
    def crash(operation):
        if operation == "release":
            raise RuntimeError("power cut")

    service = make_service(before_commit=crash)
    request_id = create_request_at_status(service, State.APPROVED)
    before = snapshot()
    with pytest.raises(RuntimeError):
        service.release(CHECKER, request_id)
    assert snapshot() == before
    assert service.get_request(CHECKER, request_id).state is State.APPROVED
