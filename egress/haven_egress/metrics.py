"""The figures on the checkers' metrics page, read from the egress database.

How long checking takes (submission to decision, per request version), what waits now and
for how long, how requests ended, why requests were returned, and whose. Read-only queries
beside ``EgressService`` (they take it for its sessions), for checkers and admins only.

Counting, grouping and bucketing by age are done in SQL, the same statements on SQLite and
PostgreSQL. Two steps are done in Python on rows SQL already reduced to one per decided
version or per return: the hours between two times and their percentiles (neither engine
shares the other's date arithmetic or ``percentile_cont``), and reading which rules failed
from the stored check results (JSON whose shape the checks own).

Returns carry no category of their own (a checker writes a reason in words), so the category
of a return is derived: the rules the automated checks failed on the returned version's
files, counted once per return and rule; a return with no failing rule is counted under
``NO_FAILING_RULE``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, case, func, literal, select

from .errors import Invalid
from .models import CheckResult, File, Request, RequestVersion, StateEvent
from .permissions import Caller, Role, require
from .service import EgressService
from .workflow import State

# The periods a person may choose, in days: an allowlist, so a figure is never for a span
# nobody meant (a typo of 3650 would scan ten years).
PERIODS = (30, 90, 365)
DEFAULT_PERIOD = 90
# A checker's verdict on a version: where its turnaround ends. Release comes after approval
# and is a second step, counted among the outcomes.
DECISIONS = (State.APPROVED, State.RETURNED, State.REJECTED)
# How requests ended, in the order the page lists them.
OUTCOMES = (State.RELEASED, State.RETURNED, State.REJECTED, State.WITHDRAWN, State.REVOKED)
# Where a checker has something to do (the same states as the queue's "needs review").
WAITING = (State.SUBMITTED, State.UNDER_REVIEW, State.REVIEWED, State.APPROVED)
# (upper bound in hours, label): turnaround bands, the last open-ended.
TURNAROUND_BANDS = ((4, "under 4 hours"), (24, "4 to 24 hours"), (72, "1 to 3 days"),
                    (168, "3 to 7 days"), (336, "1 to 2 weeks"), (math.inf, "2 weeks or more"))
# (lower bound in days, label), oldest first: how long requests now waiting have waited.
AGE_BANDS = ((7, "a week or more"), (3, "3 to 7 days"), (1, "1 to 3 days"), (0, "under a day"))
NO_FAILING_RULE = ""


@dataclass(frozen=True)
class Figures:
    days: int
    since: datetime
    now: datetime
    # Hours from submission to decision, one per version decided in the period, shortest first.
    turnaround_hours: tuple[float, ...]
    turnaround_bands: tuple[tuple[str, int], ...]
    # Requests waiting for a checker now, by how long since their current version was submitted.
    waiting_by_age: tuple[tuple[str, int], ...]
    oldest_waiting_hours: float | None
    outcomes: tuple[tuple[str, int], ...]  # (state, requests that reached it in the period)
    return_rules: tuple[tuple[str, int], ...]  # (rule id, or NO_FAILING_RULE; returns), most first
    returns_by_author: tuple[tuple[str, int], ...]  # (author, returns), most first

    @property
    def waiting(self) -> int:
        return sum(count for _, count in self.waiting_by_age)

    @property
    def returns(self) -> int:
        return dict(self.outcomes).get(State.RETURNED.value, 0)

    @property
    def empty(self) -> bool:
        """Nothing decided, ended or waiting: the page says so instead of drawing empty charts."""
        return not self.turnaround_hours and not self.waiting and not any(n for _, n in self.outcomes)

    def percentile(self, share: float) -> float | None:
        return percentile(self.turnaround_hours, share)


def may_see_metrics(caller: Caller) -> bool:
    """The same people as the review queue: output checkers and admins."""
    return bool(caller.roles & {Role.CHECKER, Role.ADMIN})


def period(raw: str) -> int:
    """The period asked for (days, as text), from the allowlist; "" is the default."""
    if raw == "":
        return DEFAULT_PERIOD
    if raw.isdigit() and int(raw) in PERIODS:
        return int(raw)
    raise Invalid(f"there is no period of {raw!r} days; choose "
                  + ", ".join(str(days) for days in PERIODS[:-1]) + f" or {PERIODS[-1]}")


def percentile(sorted_values: tuple[float, ...], share: float) -> float | None:
    """Nearest rank: the smallest value with at least ``share`` of the values at or below it."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(share * len(sorted_values)))
    return sorted_values[rank - 1]


def figures(service: EgressService, caller: Caller, days: int, now: datetime | None = None) -> Figures:
    require(may_see_metrics(caller), "see the checker metrics")
    if days not in PERIODS:
        raise Invalid(f"there is no period of {days} days")
    now = now or datetime.now(timezone.utc)
    since = now - timedelta(days=days)
    with service.sessions() as session:
        hours = sorted(_turnaround_hours(session, since))
        waiting, oldest = _waiting(session, now)
        outcomes = dict(session.execute(
            select(StateEvent.state, func.count(StateEvent.id))
            .where(StateEvent.state.in_([s.value for s in OUTCOMES]), StateEvent.created_at >= since)
            .group_by(StateEvent.state)).all())
        by_author = session.execute(
            select(Request.author, func.count(StateEvent.id).label("returns"))
            .join(Request, Request.id == StateEvent.request_id)
            .where(StateEvent.state == State.RETURNED.value, StateEvent.created_at >= since)
            .group_by(Request.author).order_by(func.count(StateEvent.id).desc(), Request.author)).all()
        rules = _return_rules(session, since)
    bands = [0] * len(TURNAROUND_BANDS)
    for value in hours:
        bands[next(n for n, (bound, _) in enumerate(TURNAROUND_BANDS) if value < bound)] += 1
    return Figures(
        days=days, since=since, now=now, turnaround_hours=tuple(hours),
        turnaround_bands=tuple((label, count) for (_, label), count in zip(TURNAROUND_BANDS, bands)),
        waiting_by_age=tuple((label, waiting.get(label, 0)) for _, label in AGE_BANDS),
        oldest_waiting_hours=None if oldest is None else _hours(now - _aware(oldest)),
        outcomes=tuple((state.value, outcomes.get(state.value, 0)) for state in OUTCOMES),
        return_rules=rules, returns_by_author=tuple((author, count) for author, count in by_author))


def _turnaround_hours(session, since: datetime) -> list[float]:
    """One row per request version decided since ``since``: its submission and first decision."""
    submitted = func.min(case((StateEvent.state == State.SUBMITTED.value, StateEvent.created_at)))
    decided = func.min(case((StateEvent.state.in_([s.value for s in DECISIONS]), StateEvent.created_at)))
    rows = session.execute(
        select(submitted.label("submitted"), decided.label("decided"))
        .group_by(StateEvent.request_id, StateEvent.version_number)
        .having(and_(submitted.is_not(None), decided >= since))).all()
    return [_hours(_aware(row.decided) - _aware(row.submitted)) for row in rows]


def _waiting(session, now: datetime) -> tuple[dict[str, int], datetime | None]:
    """Requests whose current state waits for a checker, counted by age band; the oldest's submission."""
    latest = (select(StateEvent.request_id, func.max(StateEvent.id).label("last"))
              .group_by(StateEvent.request_id).subquery())
    current = (select(StateEvent.request_id, StateEvent.version_number)
               .join(latest, latest.c.last == StateEvent.id)
               .where(StateEvent.state.in_([s.value for s in WAITING])).subquery())
    # When each waiting request's current version was submitted (its age starts there).
    since = (select(StateEvent.request_id, func.min(StateEvent.created_at).label("submitted"))
             .join(current, and_(current.c.request_id == StateEvent.request_id,
                                 current.c.version_number == StateEvent.version_number))
             .where(StateEvent.state == State.SUBMITTED.value)
             .group_by(StateEvent.request_id).subquery())
    band = case(*[(since.c.submitted <= now - timedelta(days=low), literal(label))
                  for low, label in AGE_BANDS[:-1]], else_=literal(AGE_BANDS[-1][1]))
    counted = dict(session.execute(select(band, func.count()).group_by(band)).all())
    oldest = session.scalar(select(func.min(since.c.submitted)))
    return counted, oldest


def _return_rules(session, since: datetime) -> tuple[tuple[str, int], ...]:
    """Returns since ``since`` counted by the rules the checks failed on the returned version."""
    returns = (select(StateEvent.id, StateEvent.request_id, StateEvent.version_number)
               .where(StateEvent.state == State.RETURNED.value, StateEvent.created_at >= since).subquery())
    latest_check = (select(CheckResult.file_id, func.max(CheckResult.id).label("last"))
                    .group_by(CheckResult.file_id).subquery())
    rows = session.execute(
        select(returns.c.id, CheckResult.result)
        .join(RequestVersion, and_(RequestVersion.request_id == returns.c.request_id,
                                   RequestVersion.number == returns.c.version_number))
        .outerjoin(File, and_(File.version_id == RequestVersion.id, ~File.supporting))
        .outerjoin(latest_check, latest_check.c.file_id == File.id)
        .outerjoin(CheckResult, and_(CheckResult.id == latest_check.c.last, CheckResult.verdict == "fail")))
    failed: dict[int, set[str]] = {}
    for return_id, result in rows:
        rules = failed.setdefault(return_id, set())
        for finding in (result or {}).get("findings") or ():
            if isinstance(finding, dict) and finding.get("verdict") == "fail" and finding.get("rule"):
                rules.add(str(finding["rule"]))
    counts: dict[str, int] = {}
    for rules in failed.values():
        for rule in rules or {NO_FAILING_RULE}:
            counts[rule] = counts.get(rule, 0) + 1
    return tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _hours(span: timedelta) -> float:
    return span.total_seconds() / 3600


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; every time Haven stores is UTC.
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
