"""Idempotency-Key: a retried submission returns the first result and files nothing new."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from haven_egress.errors import Conflict, Invalid
from haven_egress.models import IdempotencyKey, Request
from haven_egress.workflow import State

from .factories import AUTHOR, CHECKER, CO_MEMBER, PROJECT, create_request_at_status, default_files, upload


def _submit(service, key, caller=AUTHOR, title="Counts by group", files=None):
    return service.submit(caller, PROJECT, title, "paper table 1",
                          default_files() if files is None else files, idempotency_key=key)


def _requests(service) -> int:
    with service.sessions() as session:
        return session.scalar(select(func.count()).select_from(Request))


def test_a_retry_with_the_same_key_returns_the_first_request(service, snapshot):
    first = _submit(service, "7c1d0e2a-retry")
    before = snapshot()
    assert _submit(service, "7c1d0e2a-retry") == first
    assert snapshot() == before  # no row, no blob, no audit event
    assert service.get_request(AUTHOR, first).state is State.SUBMITTED


def test_without_a_key_a_retry_files_a_duplicate(service):
    # What clients without a key still get: the reason the key exists.
    _submit(service, None)
    _submit(service, None)
    assert _requests(service) == 2


def test_the_same_key_with_another_body_is_refused(service, snapshot):
    _submit(service, "key-1")
    before = snapshot()
    with pytest.raises(Conflict, match="different submission"):
        _submit(service, "key-1", title="Another table")
    with pytest.raises(Conflict, match="different submission"):
        _submit(service, "key-1", files=[upload("out/table.csv", b"group,count\na,99\n")])
    assert snapshot() == before


def test_keys_are_scoped_per_caller(service):
    mine = _submit(service, "shared-key")
    theirs = _submit(service, "shared-key", caller=CO_MEMBER)
    assert mine != theirs
    assert _requests(service) == 2


@pytest.mark.parametrize("bad", ["", "with space", "x" * 201, "caf\u00e9", "tab\t"])
def test_a_malformed_key_is_refused_before_anything_is_stored(service, snapshot, bad):
    before = snapshot()
    with pytest.raises(Invalid, match="Idempotency-Key"):
        _submit(service, bad)
    assert snapshot() == before


def test_a_key_is_stored_with_the_request_it_filed(service):
    request_id = _submit(service, "stored")
    with service.sessions() as session:
        row = session.get(IdempotencyKey, (AUTHOR.name, "stored"))
    assert (row.request_id, row.version_number) == (request_id, 1)


def test_a_retried_resubmission_returns_the_first_version(service):
    request_id = create_request_at_status(service, State.RETURNED)
    files = [upload("out/table.csv", b"group,count\na,20\nb,25\n")]
    assert service.resubmit(AUTHOR, request_id, files, idempotency_key="resubmit-1") == 2
    # Without the key this retry is refused: the request is no longer returned.
    assert service.resubmit(AUTHOR, request_id, files, idempotency_key="resubmit-1") == 2
    view = service.get_request(CHECKER, request_id)
    assert [v.number for v in view.versions] == [1, 2]
    with pytest.raises(Conflict, match="different submission"):
        service.resubmit(AUTHOR, request_id, files, keep=["out/figure.png"], idempotency_key="resubmit-1")


def test_a_submit_key_reused_for_a_resubmission_is_refused(service):
    request_id = create_request_at_status(service, State.RETURNED)
    _submit(service, "once")
    with pytest.raises(Conflict, match="different submission"):
        service.resubmit(AUTHOR, request_id, default_files(), idempotency_key="once")


def test_simultaneous_retries_file_once(make_service):
    """Two retries under one key at the same moment: one files, the other finds it."""
    inside = threading.Event()
    release = threading.Event()

    def hold_first(operation):
        if operation == "submit" and not inside.is_set():
            inside.set()
            release.wait(5)  # the first holds its transaction open while the second arrives

    service = make_service(before_commit=hold_first)
    results, errors = [], []

    def submit():
        try:
            results.append(_submit(service, "together"))
        except Exception as error:  # surfaced below; a thread's exception is otherwise lost
            errors.append(error)

    threads = [threading.Thread(target=submit) for _ in range(2)]
    threads[0].start()
    assert inside.wait(5)
    threads[1].start()
    threads[1].join(0.5)  # the second waits on the lock (SQLite's write lock, PostgreSQL's key lock)
    release.set()
    for thread in threads:
        thread.join(15)
    assert errors == []
    assert len(results) == 2 and results[0] == results[1]
    assert _requests(service) == 1
