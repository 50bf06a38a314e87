"""A small history with known times and known answers, for the checker metrics' tests.

The requests are driven through the real service (with its disclosure checks), then their
state events are moved back in time with one SQL UPDATE each: the service stamps every
event "now", and a history of weeks cannot be waited for. Only the times change.

Relative to ``NOW`` (hours from submission to decision in brackets):

- "returned": alice, submitted 10 days ago, returned after 2 h (its table of small counts
  fails ``min_frequency``), then revised, waiting since 26 h ago (version 2);
- "released": alice, approved after 10 h, released after 12 h, 5 days ago;
- "rejected": alice, rejected straight from submitted after 30 h, 3 days ago;
- "waiting": alice, submitted 8 days ago, not touched since;
- "old return": bob, 60 days ago, returned after 50 h (its table passes every check):
  inside the 90- and 365-day periods, outside the 30-day one.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update

from haven_egress import models
from haven_egress.checking import BackgroundChecks
from haven_egress.file_checks import CheckPolicy
from haven_egress.service import EgressService
from haven_egress.storage import session_factory

from .factories import AUTHOR, CHECKER, CHECKER_2, CO_MEMBER, submit, upload, vote_all

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
# Rounded to 5 as the factories' files declare; 5 is under the threshold of 10: only
# min_frequency fails. Every count of PASSING is a multiple of 5 and at least 10.
SMALL_COUNTS = b"region,count\nNorth,5\nSouth,120\n"
PASSING = b"group,count\na,20\nb,30\n"
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def backdate(engine, request_id: str, times: list[datetime]) -> None:
    """Give the request's state events, oldest first, these times (one for each)."""
    with session_factory(engine)() as session, session.begin():
        ids = list(session.scalars(select(models.StateEvent.id)
                                   .where(models.StateEvent.request_id == request_id)
                                   .order_by(models.StateEvent.id)))
        assert len(ids) == len(times), (request_id, len(ids), len(times))
        for event_id, when in zip(ids, times):
            # Core, not the ORM: the append-only guard (models) refuses ORM changes to events.
            session.execute(update(models.StateEvent).where(models.StateEvent.id == event_id)
                            .values(created_at=when))


def seed(engine, blobs, signer, now: datetime = NOW) -> dict[str, str]:
    """The history above, as of ``now``; returns request ids by name."""
    checks = BackgroundChecks(session_factory(engine), blobs, CheckPolicy(), lambda project: None)
    service = EgressService(session_factory(engine), blobs, signer=signer, checks=checks)
    checks.start()
    try:
        ids = {}
        ids["returned"] = submit(service, [upload("out/small.csv", SMALL_COUNTS)])
        ids["released"] = submit(service, [upload("out/table.csv", PASSING)])
        ids["rejected"] = submit(service, [upload("out/table.csv", PASSING)])
        ids["waiting"] = submit(service, [upload("out/table.csv", PASSING)])
        ids["old return"] = submit(service, [upload("out/table.csv", PASSING)], author=CO_MEMBER)
        assert checks.wait_idle(60)

        service.start_review(CHECKER, ids["returned"])
        service.return_request(CHECKER, ids["returned"], "small counts in the north")
        service.resubmit(AUTHOR, ids["returned"], [], keep=["out/small.csv"])
        service.start_review(CHECKER, ids["released"])
        vote_all(service, ids["released"], CHECKER, "approve")
        vote_all(service, ids["released"], CHECKER_2, "approve")
        service.release(CHECKER, ids["released"])
        service.reject(CHECKER, ids["rejected"], "identifies people")
        service.start_review(CHECKER, ids["old return"])
        service.return_request(CHECKER, ids["old return"], "say what the table shows")
        assert checks.wait_idle(60)
    finally:
        checks.stop()

    t = now - 10 * DAY
    backdate(engine, ids["returned"], [t, t + HOUR, t + 2 * HOUR, now - 26 * HOUR])
    t = now - 5 * DAY
    # submitted, under review, reviewed, approved (the system, on the second vote), released
    backdate(engine, ids["released"], [t, t + HOUR, t + 10 * HOUR, t + 10 * HOUR, t + 12 * HOUR])
    t = now - 3 * DAY
    backdate(engine, ids["rejected"], [t, t + 30 * HOUR])
    backdate(engine, ids["waiting"], [now - 8 * DAY])
    t = now - 60 * DAY
    backdate(engine, ids["old return"], [t, t + HOUR, t + 50 * HOUR])
    return ids
