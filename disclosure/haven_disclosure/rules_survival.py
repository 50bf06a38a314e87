"""Survival outputs: Kaplan-Meier tables and the events a survival (Cox) model rests on.

A survival table (statsmodels' ``SurvfuncRight.summary()``: ``num at risk``, ``num events``;
lifelines' ``event_table``: ``at_risk``, ``observed`` …) shows, row by row, how many people
are still at risk. A step where only a few leave the risk set tells when those few had the
event (or were censored). ACRO's survival mitigation (``_rounded_survival_table``) merges
steps until at least ``survival_safe_threshold`` (10) people have left; Haven fails a
published step that removes fewer than ``survival_threshold``, so a table ACRO's mitigation
made passes and the raw table fails at exactly the steps ACRO merges (pinned against ACRO
by tests/unit/disclosure/test_acro_survival.py).

ACRO 1.0.2's own verdict on a survival table is not followed: its degrees-of-freedom check
counts the table's rows per number at risk, so every survival table fails with "dof=0".

A Cox model has no residual degrees of freedom in its summary; what it rests on is its
number of events, which must reach ``survival_threshold`` (Haven's rule; ACRO 1.0.2 has no
Cox model).
"""

from __future__ import annotations

import re
from collections import defaultdict

from .results import Finding, Verdict
from .settings import Settings
from .tables import Cell, CellState, Table

_AT_RISK = re.compile(r"at[ _.-]?risk", re.IGNORECASE)
_EVENTS = re.compile(r"^(num[ _.]?|n[ _.]?)?(events?|observed|deaths?)$", re.IGNORECASE)
_SURVIVAL = re.compile(r"surv|km[ _]?estimate|kaplan", re.IGNORECASE)
_TIME = re.compile(r"time|timeline|event_at|^t$|days?|weeks?|months?|years?", re.IGNORECASE)
# How model summaries state their events: statsmodels PHReg "Num. events: 35", lifelines
# "number of events observed = 35", R coxph "n= 200, number of events= 35".
_STATED_EVENTS = re.compile(
    r"(?:num(?:ber)?\.?\s*(?:of\s+)?events?(?:\s+observed)?)\s*[:=]?\s*(\d+)", re.IGNORECASE)
_SURVIVAL_MODEL = re.compile(r"\bcox|phreg|proportional hazards|hazard ratio|coxph|exp\(coef\)",
                             re.IGNORECASE)


def is_survival_table(header: tuple[str, ...]) -> bool:
    """A table with a number-at-risk column, or a survival-probability column."""
    return any(_AT_RISK.search(name) or _SURVIVAL.search(name) for name in header)


def steps(table: Table, settings: Settings) -> list[Finding]:
    name = table.raw.name
    params = {"survival_threshold": settings.survival_threshold}
    at_risk = next((c for c in table.raw.header if _AT_RISK.search(c)), None)
    if at_risk is None:
        return [Finding("survival", Verdict.REVIEW,
                        f"{name} is a survival curve without its numbers at risk: the steps "
                        "cannot be checked (release the table with a number-at-risk column, "
                        "e.g. statsmodels' SurvfuncRight.summary())", params)]
    cells = [c for c in table.cells if c.ref.column == at_risk]
    unreadable = [c for c in cells if c.state is not CellState.NUMBER]
    if unreadable:
        return [Finding("survival", Verdict.REVIEW,
                        f"{len(unreadable)} number(s) at risk in {name} are not numbers; the "
                        "steps cannot be checked", params, tuple(c.ref for c in unreadable))]
    small = []
    for group in _groups(table, cells).values():
        for before, after in zip(group, group[1:]):
            # A step that removes nobody (lifelines' row at time 0, say) tells nothing.
            if 0 < before.number - after.number < settings.survival_threshold:
                small.append(after)
    if small:
        return [Finding("survival", Verdict.FAIL,
                        f"{len(small)} step(s) in {name} remove fewer than "
                        f"{settings.survival_threshold} people from the risk set, which tells "
                        "when those few had the event or were censored (merge steps until "
                        f"{settings.survival_threshold} have left, as ACRO's survival "
                        "mitigation does)", params, tuple(c.ref for c in small))]
    return [Finding("survival", Verdict.PASS,
                    f"every step in {name} removes at least {settings.survival_threshold} "
                    "people from the risk set", params)]


def _groups(table: Table, cells: list[Cell]) -> dict[tuple[str, ...], list[Cell]]:
    """Rows in file order, per group (the label columns that are not the time)."""
    groups: dict[tuple[str, ...], list[Cell]] = defaultdict(list)
    for cell in cells:
        key = tuple(v for k, v in cell.ref.row_labels.items() if not _TIME.search(k))
        groups[key].append(cell)
    return groups


def stated_events(text: str) -> list[int]:
    return [int(m.group(1)) for m in _STATED_EVENTS.finditer(text)]


def is_survival_model(text: str) -> bool:
    return bool(_SURVIVAL_MODEL.search(text))


def model_events(text: str, name: str, settings: Settings) -> list[Finding]:
    """A survival model's events: the fewest stated must reach ``survival_threshold``."""
    stated = stated_events(text)
    if not stated and not is_survival_model(text):
        return []  # not a survival model: the residual degrees of freedom judge it
    params = {"survival_threshold": settings.survival_threshold}
    if not stated:
        return [Finding("min_events", Verdict.REVIEW,
                        f"{name} looks like a survival (Cox) model but does not state its "
                        "number of events; a person must judge whether it rests on enough",
                        params)]
    lowest = min(stated)
    if lowest < settings.survival_threshold:
        return [Finding("min_events", Verdict.FAIL,
                        f"a survival model in {name} rests on {lowest} event(s), fewer than "
                        f"{settings.survival_threshold}", params)]
    return [Finding("min_events", Verdict.PASS,
                    f"the survival model(s) in {name} rest on at least {lowest} events "
                    f"(at least {settings.survival_threshold})", params)]
