"""Read-only questions the checkers' pages ask across requests: the queue with its counts,
what needs *my* review, decisions an author has not seen, a project's other releases.

These are queries beside ``EgressService`` (they take it for its sessions and rules) and
never change anything; what a caller may see is decided by the same ``permissions``
functions the service uses, so a page can never show more than the API would.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import func, select

from . import permissions, review_rules
from .models import CheckResult, File, Request, RequestVersion, Review, StateEvent
from .permissions import Caller, RequestFacts
from .service import EgressService
from .workflow import State

# States in which a checker has something to do: start review, vote, decide, release.
_CHECKER_WORK = frozenset({State.SUBMITTED, State.UNDER_REVIEW, State.REVIEWED, State.APPROVED})
# States an author hears about: someone else moved their request here.
DECISIONS = frozenset({State.RETURNED, State.REJECTED, State.APPROVED, State.RELEASED, State.REVOKED})


@dataclass(frozen=True)
class QueueItem:
    id: str
    project: str
    author: str
    title: str
    state: State
    version: int
    submitted_at: datetime
    changed_at: datetime
    # The caller may act now: start review, vote on a file they have not voted on, decide.
    needs_my_review: bool
    # The current version's automated checks, worst file first: fail, review, pass; "pending"
    # while any file waits for its checks, "error" when they could not run on one.
    verdict: str = "pending"
    votes: int = 0  # votes cast on the current version's files (who voted how stays secret)
    votes_needed: int = 0  # files to vote on times the approvals each needs
    # Files whose votes disagree (review_rules.conflicted): shown to checkers only.
    conflicted: int = 0


@dataclass(frozen=True)
class Queue:
    items: list[QueueItem]
    by_state: dict[str, int]
    by_project: dict[str, int]

    @property
    def needs_my_review(self) -> int:
        return sum(item.needs_my_review for item in self.items)


@dataclass(frozen=True)
class Released:
    id: str
    title: str
    author: str
    released_at: datetime
    files: list[str]


def queue(service: EgressService, caller: Caller) -> Queue:
    """Every request the caller may see, newest first, with counts by state and project."""
    with service.sessions() as session:
        latest = (select(StateEvent.request_id, func.max(StateEvent.id).label("last"))
                  .group_by(StateEvent.request_id).subquery())
        query = (select(Request.id, Request.project, Request.author, Request.title, Request.created_at,
                        StateEvent.state, StateEvent.version_number, StateEvent.created_at.label("changed"))
                 .join(latest, latest.c.request_id == Request.id)
                 .join(StateEvent, StateEvent.id == latest.c.last)
                 .order_by(Request.created_at.desc()))
        if not caller.roles & {permissions.Role.CHECKER, permissions.Role.ADMIN}:
            query = query.where(Request.project.in_(sorted(caller.projects)) | (Request.author == caller.name))
        rows = list(session.execute(query))
        unvoted = _unvoted_current_files(session, caller, [r.id for r in rows if r.state == State.UNDER_REVIEW])
        current = _current_version_facts(session, [r.id for r in rows])
        conflicts = _conflicted_files(session, [r.id for r in rows if r.state == State.UNDER_REVIEW])
    items = []
    for row in rows:
        state = State(row.state)
        may_check = permissions.may_check(caller, RequestFacts(row.author, row.project), service.rules)
        needs = may_check and state in _CHECKER_WORK and (state is not State.UNDER_REVIEW or unvoted.get(row.id, 0) > 0)
        verdict, votes, files = current.get(row.id, ("pending", 0, 0))
        items.append(QueueItem(row.id, row.project, row.author, row.title, state, row.version_number,
                               _aware(row.created_at), _aware(row.changed), needs, verdict, votes,
                               files * service.rules.required_approvals,
                               conflicts.get(row.id, 0) if may_check else 0))
    return Queue(items, dict(Counter(i.state.value for i in items)), dict(Counter(i.project for i in items)))


def _unvoted_current_files(session, caller: Caller, request_ids: list[str]) -> dict[str, int]:
    """For each request under review: files of its current version the caller has not voted on."""
    if not request_ids:
        return {}
    current = (select(RequestVersion.request_id, func.max(RequestVersion.number).label("number"))
               .where(RequestVersion.request_id.in_(request_ids))
               .group_by(RequestVersion.request_id).subquery())
    mine = select(Review.file_id).where(Review.reviewer == caller.name)
    query = (select(RequestVersion.request_id, func.count(File.id))
             .join(current, (current.c.request_id == RequestVersion.request_id)
                   & (current.c.number == RequestVersion.number))
             .join(File, File.version_id == RequestVersion.id)
             .where(~File.supporting, File.id.not_in(mine))
             .group_by(RequestVersion.request_id))
    return {request_id: count for request_id, count in session.execute(query)}


def _conflicted_files(session, request_ids: list[str]) -> dict[str, int]:
    """For each request under review: files of its current version whose votes disagree."""
    if not request_ids:
        return {}
    current = (select(RequestVersion.request_id, func.max(RequestVersion.number).label("number"))
               .where(RequestVersion.request_id.in_(request_ids))
               .group_by(RequestVersion.request_id).subquery())
    query = (select(RequestVersion.request_id, Review.file_id, Review.decision)
             .join(current, (current.c.request_id == RequestVersion.request_id)
                   & (current.c.number == RequestVersion.number))
             .join(File, File.version_id == RequestVersion.id)
             .join(Review, Review.file_id == File.id))
    decisions: dict[tuple[str, int], list[str]] = {}
    for request_id, file_id, decision in session.execute(query):
        decisions.setdefault((request_id, file_id), []).append(decision)
    return dict(Counter(request_id for (request_id, _), votes in decisions.items()
                        if review_rules.conflicted(votes)))


# Worst first: the verdict a request shows is its worst file's.
_VERDICT_RANK = ("error", "fail", "pending", "review", "pass")


def _current_version_facts(session, request_ids: list[str]) -> dict[str, tuple[str, int, int]]:
    """For each request: (worst checks verdict, votes cast, files to vote on) of its current version."""
    if not request_ids:
        return {}
    current = (select(RequestVersion.request_id, func.max(RequestVersion.number).label("number"))
               .where(RequestVersion.request_id.in_(request_ids))
               .group_by(RequestVersion.request_id).subquery())
    latest_check = (select(CheckResult.file_id, func.max(CheckResult.id).label("last"))
                    .group_by(CheckResult.file_id).subquery())
    votes = select(Review.file_id, func.count(Review.id).label("votes")).group_by(Review.file_id).subquery()
    query = (select(RequestVersion.request_id, File.supporting, CheckResult.status, CheckResult.verdict,
                    func.coalesce(votes.c.votes, 0))
             .join(current, (current.c.request_id == RequestVersion.request_id)
                   & (current.c.number == RequestVersion.number))
             .join(File, File.version_id == RequestVersion.id)
             .outerjoin(latest_check, latest_check.c.file_id == File.id)
             .outerjoin(CheckResult, CheckResult.id == latest_check.c.last)
             .outerjoin(votes, votes.c.file_id == File.id))
    facts: dict[str, tuple[str, int, int]] = {}
    for request_id, supporting, status, verdict, cast in session.execute(query):
        shown = "pending" if status is None else "error" if status == "error" else (verdict or "pending")
        worst, total, files = facts.get(request_id, ("pass", 0, 0))
        if _VERDICT_RANK.index(shown) < _VERDICT_RANK.index(worst):
            worst = shown
        facts[request_id] = (worst, total + cast, files + (not supporting))
    return facts


def decisions_since(service: EgressService, caller: Caller, since: datetime | None) -> list[str]:
    """The caller's own requests that someone else moved to a decision after ``since``."""
    with service.sessions() as session:
        query = (select(StateEvent.request_id).distinct()
                 .join(Request, Request.id == StateEvent.request_id)
                 .where(Request.author == caller.name,
                        StateEvent.state.in_(sorted(s.value for s in DECISIONS)),
                        StateEvent.actor != caller.name))
        if since is not None:
            query = query.where(StateEvent.created_at > since)
        return sorted(session.scalars(query))


def released_in_project(service: EgressService, caller: Caller, project: str, excluding: str) -> list[Released]:
    """The project's released requests other than ``excluding``: what a new output could be
    differenced against. Only for those who may see the project's requests at all."""
    if not permissions.may_view(caller, RequestFacts(author="", project=project)):
        return []
    with service.sessions() as session:
        latest = (select(StateEvent.request_id, func.max(StateEvent.id).label("last"))
                  .group_by(StateEvent.request_id).subquery())
        rows = list(session.execute(
            select(Request.id, Request.title, Request.author, StateEvent.created_at, StateEvent.version_number)
            .join(latest, latest.c.request_id == Request.id)
            .join(StateEvent, StateEvent.id == latest.c.last)
            .where(Request.project == project, Request.id != excluding, StateEvent.state == State.RELEASED.value)
            .order_by(StateEvent.created_at.desc())))
        released = []
        for row in rows:
            paths = session.scalars(
                select(File.path).join(RequestVersion, File.version_id == RequestVersion.id)
                .where(RequestVersion.request_id == row.id, RequestVersion.number == row.version_number,
                       ~File.supporting).order_by(File.id))
            released.append(Released(row.id, row.title, row.author, _aware(row.created_at), list(paths)))
        return released


def age(since: datetime, now: datetime | None = None) -> str:
    """How long ago, in the one unit a person reads at a glance ("3 h", "2 d")."""
    seconds = max(0, int(((now or datetime.now(timezone.utc)) - _aware(since)).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; every time Haven stores is UTC.
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)

