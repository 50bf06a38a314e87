"""A project's browser budget, and the refusal to start a server that used up today's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..settings import byte_count
from .store import meter_store


def budget_bytes(project: Any) -> int | None:
    size = getattr(project.limits, "browser_bytes_per_day", None)
    return byte_count(size) if size else None


def spawn_refusal(data_dir: Path, user: str, project: Any) -> str | None:
    """Why ``user`` may not start ``project``'s server today for its browser budget (None: they may).

    Held against today's total and the budget as it is now, so an administrator who raises a
    project's budget lets its members start again the same day.
    """
    budget = budget_bytes(project)
    if budget is None:
        return None
    total = meter_store(data_dir).total(user, project.id)
    if total.bytes <= budget:
        return None
    return (f"Your server for project {project.id!r} sent {total.bytes:,} bytes to your browser today (UTC), "
            f"past the project's daily budget of {project.limits.browser_bytes_per_day} "
            f"({budget:,} bytes). It was stopped, and it cannot be started again until tomorrow (UTC); "
            "administrators have been told. Ask one if you need more today.")
