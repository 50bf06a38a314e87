"""The checkers' metrics page: the figures of ``haven_egress.metrics`` as charts and tables,
and the same figures as CSV (``?format=csv``).

Who may see it is decided in ``metrics.figures`` (checkers and admins; anyone else gets
403, from the API's own refusal). A period not on the list is refused with the page at the
default period and the reason (400), never silently widened.
"""

from __future__ import annotations

import csv
import io
from functools import partial

from .. import errors, metrics
from ..workflow import State
from . import finding_words
from .charts import Bar, bar_chart
from .pages import PageHandler

FORMATS = ("", "csv")
# What each outcome is called on the page.
OUTCOME_WORDS = {State.RELEASED.value: "Released", State.RETURNED.value: "Returned to the author",
                 State.REJECTED.value: "Rejected", State.WITHDRAWN.value: "Withdrawn by the author",
                 State.REVOKED.value: "Release revoked"}
NO_FAILING_RULE_WORDS = "No automated check failed"
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def rule_words(rule: str) -> str:
    return NO_FAILING_RULE_WORDS if rule == metrics.NO_FAILING_RULE else finding_words.title(rule)


def hours_words(hours: float | None) -> str:
    """A span in the unit a person reads at a glance: hours under two days, else days."""
    if hours is None:
        return "none"
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} d"


def rows(figures: metrics.Figures) -> list[tuple[str, str, str]]:
    """Every figure on the page as (figure, label, value): the CSV, and what the tables show."""
    out = [("period", "days", str(figures.days)),
           ("period", "from", figures.since.isoformat(timespec="seconds")),
           ("period", "to", figures.now.isoformat(timespec="seconds")),
           ("turnaround", "decisions", str(len(figures.turnaround_hours)))]
    for name, share in (("median hours", 0.5), ("90th percentile hours", 0.9), ("longest hours", 1.0)):
        value = figures.percentile(share)
        out.append(("turnaround", name, "" if value is None else f"{value:.2f}"))
    out += [("turnaround band", label, str(count)) for label, count in figures.turnaround_bands]
    out += [("waiting now", label, str(count)) for label, count in figures.waiting_by_age]
    out.append(("waiting now", "oldest hours", "" if figures.oldest_waiting_hours is None
                else f"{figures.oldest_waiting_hours:.2f}"))
    out += [("outcome", OUTCOME_WORDS[state], str(count)) for state, count in figures.outcomes]
    out += [("return category", rule_words(rule), str(count)) for rule, count in figures.return_rules]
    out += [("returns by author", author, str(count)) for author, count in figures.returns_by_author]
    return out


def as_csv(figures: metrics.Figures) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(("figure", "label", "value"))
    for row in rows(figures):
        writer.writerow(["'" + cell if cell.startswith(FORMULA_STARTS) else cell for cell in row])
    return buffer.getvalue()


def charts(figures: metrics.Figures) -> dict[str, object]:
    """The page's charts, each with the bars its table lists."""
    turnaround = [Bar(label, count) for label, count in figures.turnaround_bands]
    waiting = [Bar(label, count) for label, count in figures.waiting_by_age]
    outcomes = [Bar(OUTCOME_WORDS[state], count) for state, count in figures.outcomes]
    reasons = [Bar(rule_words(rule), count) for rule, count in figures.return_rules]
    authors = [Bar(author, count) for author, count in figures.returns_by_author]
    period = f"in the last {figures.days} days"
    return {
        "turnaround": (turnaround, bar_chart(
            "chart-turnaround", "Time from submission to decision",
            f"Request versions decided {period}, by how long the decision took", turnaround)),
        "waiting": (waiting, bar_chart(
            "chart-waiting", "Requests waiting for a checker now",
            "Requests waiting now, by how long since they were submitted", waiting)),
        "outcomes": (outcomes, bar_chart(
            "chart-outcomes", "How requests ended", f"Requests by outcome {period}", outcomes)),
        "reasons": (reasons, bar_chart(
            "chart-reasons", "Returns by what the automated checks failed",
            f"Returns {period}, counted once per failing rule of the returned files", reasons)),
        "authors": (authors, bar_chart(
            "chart-authors", "Returns per author", f"Returns {period}, by the request's author", authors)),
    }


class MetricsPage(PageHandler):
    """Turnaround, waiting requests, outcomes and returns, for a chosen period."""

    async def get(self) -> None:
        error = ""
        try:
            days = metrics.period(self.get_query_argument("days", ""))
        except errors.Invalid as refused:
            error, days = str(refused), metrics.DEFAULT_PERIOD
        wanted = self.get_query_argument("format", "")
        if wanted not in FORMATS:
            error, wanted = error or f"there is no format {wanted!r}; the figures come as a page or as csv", ""
        # Asked before anything is shown: an analyst is refused here, whatever else was wrong.
        figures: metrics.Figures = await self.call(partial(metrics.figures, self.service), days)
        if wanted == "csv" and not error:
            self.set_header("Content-Type", "text/csv; charset=utf-8")
            self.set_header("Content-Disposition",
                            f'attachment; filename="haven-checker-metrics-{days}-days.csv"')
            self.set_header("Cache-Control", "no-store")
            self.finish(as_csv(figures))
            return
        await self.render_page(
            "metrics.html", "Checker metrics", "Review queue", status=400 if error else 200,
            error=error, figures=figures, periods=metrics.PERIODS, charts=charts(figures),
            hours=hours_words, generated=figures.now.strftime("%Y-%m-%d %H:%M UTC"))
