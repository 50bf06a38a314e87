"""A project's daily number of new release requests (egress.daily_request_limit), so one busy
project cannot fill the checkers' day. Only new requests count; a resubmission answers the
checkers' own question and is never refused by it. Days are UTC, counted from midnight.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from haven_hub.settings import Egress

from .errors import TooMany
from .models import Request


def limit_for(rules: Egress, project: str) -> int:
    """The project's own limit when the settings give one, else everyone's; 0 is no limit."""
    return rules.daily_request_limit_by_project.get(project, rules.daily_request_limit)


def require_room(session: Session, rules: Egress, project: str, now: datetime) -> None:
    """Refuse (TooMany, with when it resets) a new request past the project's daily limit."""
    limit = limit_for(rules, project)
    if not limit:
        return
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    filed = session.scalar(select(func.count(Request.id))
                           .where(Request.project == project, Request.created_at >= midnight))
    if filed < limit:
        return
    resets = midnight + timedelta(days=1)
    wait = max(1, int((resets - now).total_seconds()))
    raise TooMany(f"project {project} has filed its {limit} new release requests for today: the count "
                  f"resets at {resets:%H:%M} UTC on {resets:%Y-%m-%d} (in {_hours(wait)}); a returned "
                  "request can still be resubmitted", retry_after=wait)


def _hours(seconds: int) -> str:
    hours, minutes = divmod(-(-seconds // 60), 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"
