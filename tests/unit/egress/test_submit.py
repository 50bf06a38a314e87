"""Submission: all-or-nothing, audited, and bad input refused with nothing changed."""

import uuid
from dataclasses import replace

import pytest
from sqlalchemy import select

from haven_egress import audit
from haven_egress.errors import Forbidden, Invalid, NotFound
from haven_egress.models import StateEvent, audit_events
from haven_hub.settings import Egress
from haven_egress.workflow import State

from .factories import (AUTHOR, CHECKER, CO_MEMBER, OUTSIDER, PROJECT, create_request_at_status,
                        default_files, submit, upload)


def test_submit_stores_request_files_and_blobs(service, blobs):
    request_id = submit(service)
    view = service.get_request(AUTHOR, request_id)
    assert (view.state, view.version, view.author, view.project) == (State.SUBMITTED, 1, "alice", PROJECT)
    files = {f.path: f for f in view.versions[0].files}
    assert set(files) == {"out/table.csv", "out/figure.png", "evidence/results.json"}
    table = files["out/table.csv"]
    assert (table.size, table.kind, table.controls) == (len(b"group,count\na,12\nb,15\n"), "frequency_table", ["rounded to 5", "suppressed < 10"])
    assert files["evidence/results.json"].supporting
    for f in files.values():
        assert blobs.read(f.sha256)  # stored, and its bytes still match
    assert [(e.state, e.action, e.actor) for e in view.history] == [("submitted", "submit", "alice")]


def test_submit_writes_an_audit_event_in_the_same_transaction(service):
    request_id = submit(service)
    with service.sessions() as session:
        events = audit.read(session, audit_events, target=f"request/{request_id}")
    assert [(e.actor, e.action, e.project) for e in events] == [("alice", "egress.submit", PROJECT)]
    assert sorted(events[0].details["files"]) == ["evidence/results.json", "out/figure.png", "out/table.csv"]


def test_paths_are_normalised_inside_the_workspace(service):
    request_id = submit(service, [upload("./out//t.csv")])
    assert service.get_request(AUTHOR, request_id).versions[0].files[0].path == "out/t.csv"


def test_crash_inside_the_transaction_leaves_nothing_visible(make_service, snapshot):
    def crash(operation):
        if operation == "submit":
            raise RuntimeError("power cut")

    before = snapshot()
    crashing = make_service(before_commit=crash)
    with pytest.raises(RuntimeError, match="power cut"):
        submit(crashing)
    after = snapshot()
    # No row of any kind (and no audit event) survived; only blobs, which fsck cleans.
    assert {k: v for k, v in after.items() if k != "blobs"} == {k: v for k, v in before.items() if k != "blobs"}
    assert crashing.list_requests(CHECKER) == []
    report = crashing.fsck()
    assert len(report.orphans) == 3 and not report.missing
    crashing.fsck(delete_orphans=True)
    assert crashing.fsck().clean
    assert snapshot() == before


def test_fsck_is_clean_after_real_submissions(service):
    submit(service)
    assert service.fsck().clean


def _content(n):
    return b"x" * n


BAD_INPUT = {
    "declared sha256 does not match": ([upload(sha256="0" * 64)], "does not match its declared SHA-256"),
    "sha256 not hex": ([upload(sha256="not-a-digest")], "64 hexadecimal"),
    "no files": ([], "at least one file"),
    "only supporting files": ([upload(supporting=True)], "at least one file to release"),
    "dot-dot path": ([upload("../secrets.csv")], "outside the project workspace"),
    "hidden dot-dot": ([upload("out/../../x.csv")], "outside the project workspace"),
    "absolute path": ([upload("/etc/passwd")], "absolute"),
    "backslash path": ([upload("..\\x.csv")], "not a usable file path"),
    "empty path": ([upload("")], "not a usable file path"),
    "the workspace itself": ([upload(".")], "names the workspace itself"),
    "duplicate path": ([upload("a.csv"), upload("./a.csv")], "repeated: a.csv"),
    "unknown kind": ([upload(kind="spreadsheet")], "kind must be one of"),
    "file too large": ([upload(content=_content(1025))], "limit per file is 1024"),
    "request too large": ([upload(f"f{i}.csv", _content(1000)) for i in range(3)], "at most 2500"),
    "too many files": ([upload(f"f{i}.csv", bytes([i])) for i in range(4)], "at most 3 files"),
}
SMALL = Egress(max_file_size=1024, max_request_size=2500, max_files=3)


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_is_refused_and_changes_nothing(make_service, snapshot, case):
    files, message = BAD_INPUT[case]
    service = make_service(rules=SMALL)
    submit(service, [upload("existing.csv")])  # something already there must stay as it was
    before = snapshot()
    with pytest.raises(Invalid, match=message):
        submit(service, files)
    assert snapshot() == before


def test_title_is_required(service, snapshot):
    before = snapshot()
    with pytest.raises(Invalid, match="title"):
        service.submit(AUTHOR, PROJECT, "  ", "", default_files())
    assert snapshot() == before


def test_a_title_past_the_columns_width_is_refused_before_the_database_sees_it(service, snapshot):
    before = snapshot()
    with pytest.raises(Invalid, match="at most 200 characters"):
        service.submit(AUTHOR, PROJECT, "t" * 201, "", default_files())
    assert snapshot() == before
    at_the_limit = service.submit(AUTHOR, PROJECT, " " + "t" * 200 + " ", "", default_files())
    assert service.get_request(AUTHOR, at_the_limit).title == "t" * 200


@pytest.mark.parametrize("who", [replace(OUTSIDER, server_project=PROJECT), replace(CHECKER, server_project=PROJECT)])
def test_only_members_with_the_analyst_role_may_submit(service, snapshot, who):
    before = snapshot()
    with pytest.raises(Forbidden, match="submit requests for project alpha"):
        service.submit(who, "", "t", "p", default_files())
    assert snapshot() == before


@pytest.mark.parametrize("forged", [uuid.uuid4().hex, "1 OR 1=1", "../etc", "", None, 7])
def test_forged_request_ids_find_nothing_and_change_nothing(service, snapshot, forged):
    submit(service)
    before = snapshot()
    for attempt in (lambda: service.get_request(AUTHOR, forged),
                    lambda: service.withdraw(AUTHOR, forged),
                    lambda: service.start_review(CHECKER, forged),
                    lambda: service.comment(AUTHOR, forged, "hi")):
        with pytest.raises(NotFound):
            attempt()
    assert snapshot() == before


@pytest.mark.parametrize("forged", [999_999, -1, "1", None])
def test_forged_file_ids_find_nothing(service, snapshot, forged):
    request_id = submit(service)
    service.start_review(CHECKER, request_id)
    before = snapshot()
    with pytest.raises(NotFound):
        service.review_file(CHECKER, forged, "approve")
    with pytest.raises(NotFound):
        service.download(AUTHOR, forged)
    assert snapshot() == before


def test_another_projects_request_is_not_found_not_forbidden(service):
    request_id = submit(service)
    with pytest.raises(NotFound):
        service.get_request(OUTSIDER, request_id)
    assert [r.id for r in service.list_requests(CO_MEMBER)] == [request_id]
    assert service.list_requests(OUTSIDER) == []


def test_state_changes_are_new_rows_never_updates(service):
    request_id = create_request_at_status(service, State.RELEASED)
    with service.sessions() as session:
        rows = session.execute(select(StateEvent.id, StateEvent.state)
                               .where(StateEvent.request_id == request_id)
                               .order_by(StateEvent.id)).all()
    assert [state for _, state in rows] == ["submitted", "under_review", "reviewed", "approved", "released"]
    assert [i for i, _ in rows] == sorted({i for i, _ in rows})
