"""Concurrent writers: the last votes of two checkers at once still approve the request."""

import threading
import time

import pytest
from sqlalchemy import select

from haven_egress.models import HistoryRewrite, StateEvent
from haven_egress.workflow import State

from .factories import CHECKER, CHECKER_2, create_request_at_status


def test_simultaneous_last_votes_both_count(make_service):
    """Each checker casts the last vote a file needs at the same moment.

    Without locking, each transaction would read the other's file as one vote short,
    both would commit, and the request would sit under review for ever.
    """
    first_in = threading.Event()

    def slow_first_commit(operation):
        if operation == "review" and not first_in.is_set():
            first_in.set()
            time.sleep(0.3)  # hold the transaction open while the other vote arrives

    service = make_service(before_commit=slow_first_commit)
    request_id = create_request_at_status(service, State.SUBMITTED)
    service.start_review(CHECKER, request_id)
    table, figure = [f for f in service.get_request(CHECKER, request_id).versions[0].files if not f.supporting]
    service.review_file(CHECKER, table.id, "approve")
    service.review_file(CHECKER_2, figure.id, "approve")
    first_in.clear()

    errors = []

    def vote(checker, file):
        try:
            service.review_file(checker, file.id, "approve")
        except Exception as error:  # surfaced below; a thread's exception is otherwise lost
            errors.append(error)

    threads = [threading.Thread(target=vote, args=(CHECKER_2, table))]
    threads[0].start()
    assert first_in.wait(5)
    threads.append(threading.Thread(target=vote, args=(CHECKER, figure)))
    threads[1].start()
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert service.get_request(CHECKER, request_id).state is State.APPROVED


def test_state_events_cannot_be_rewritten(service):
    request_id = create_request_at_status(service, State.SUBMITTED)
    with service.sessions() as session:
        event = session.scalars(select(StateEvent).where(StateEvent.request_id == request_id)).one()
        event.state = State.APPROVED
        with pytest.raises(HistoryRewrite, match="never changed"):
            session.flush()
        session.rollback()
        session.delete(session.get(StateEvent, event.id))
        with pytest.raises(HistoryRewrite, match="never deleted"):
            session.flush()
