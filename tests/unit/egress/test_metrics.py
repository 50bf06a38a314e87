"""The checker metrics from a seeded database with known answers (``metrics_seed``): the
turnaround percentiles and bands, what waits and for how long, outcomes, returns by failing
rule and by author, and the period filter. The first test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil

import pytest

from haven_egress import metrics
from haven_egress.errors import Forbidden, Invalid
from haven_egress.service import EgressService
from haven_egress.storage import open_engine, session_factory

from .factories import ADMIN, AUTHOR, CHECKER
from .metrics_seed import NOW, seed


@pytest.fixture
def sqlite_url(tmp_path, migrated_templates) -> str:
    target = tmp_path / "egress.db"
    shutil.copyfile(migrated_templates["sqlite"], target)
    return f"sqlite:///{target}"


@pytest.fixture
def sqlite_engine(sqlite_url):
    """SQLite only for the tests past the first: the same statements, already run on both engines."""
    engine = open_engine(sqlite_url)
    yield engine
    engine.dispose()


def read(engine, blobs, caller=CHECKER, days=30) -> metrics.Figures:
    return metrics.figures(EgressService(session_factory(engine), blobs), caller, days, now=NOW)


def test_the_figures_of_the_last_30_days_on_both_engines(engine, blobs, signer):
    seed(engine, blobs, signer)
    figures = read(engine, blobs)

    # Submission to decision: 2 h (returned), 10 h (approved), 30 h (rejected).
    assert figures.turnaround_hours == pytest.approx((2.0, 10.0, 30.0))
    assert (figures.percentile(0.5), figures.percentile(0.9), figures.percentile(1.0)) == pytest.approx(
        (10.0, 30.0, 30.0))
    assert dict(figures.turnaround_bands) == {"under 4 hours": 1, "4 to 24 hours": 1, "1 to 3 days": 1,
                                              "3 to 7 days": 0, "1 to 2 weeks": 0, "2 weeks or more": 0}
    # Waiting now: the revised request (26 h) and the untouched one (8 days).
    assert dict(figures.waiting_by_age) == {"a week or more": 1, "3 to 7 days": 0, "1 to 3 days": 1,
                                            "under a day": 0}
    assert figures.waiting == 2 and figures.oldest_waiting_hours == pytest.approx(8 * 24)
    assert dict(figures.outcomes) == {"released": 1, "returned": 1, "rejected": 1, "withdrawn": 0, "revoked": 0}
    assert figures.return_rules == (("min_frequency", 1),)
    assert figures.returns_by_author == (("alice", 1),)
    assert not figures.empty


def test_a_longer_period_takes_in_the_older_return(sqlite_engine, blobs, signer):
    engine = sqlite_engine
    seed(engine, blobs, signer)
    figures = read(engine, blobs, days=90)
    assert figures.turnaround_hours == pytest.approx((2.0, 10.0, 30.0, 50.0))
    # Nearest rank of four: the median is the 2nd value, the 90th percentile the 4th.
    assert (figures.percentile(0.5), figures.percentile(0.9)) == pytest.approx((10.0, 50.0))
    assert dict(figures.outcomes)["returned"] == 2
    # The old return's table passed every check: counted as such, never dropped.
    assert figures.return_rules == (("", 1), ("min_frequency", 1))
    assert figures.returns_by_author == (("alice", 1), ("bob", 1))
    # Waiting does not depend on the period.
    assert figures.waiting_by_age == read(engine, blobs, days=30).waiting_by_age


def test_an_empty_database_has_empty_figures(sqlite_engine, blobs):
    engine = sqlite_engine
    figures = read(engine, blobs, caller=ADMIN, days=365)
    assert figures.empty and figures.turnaround_hours == () and figures.percentile(0.5) is None
    assert figures.oldest_waiting_hours is None and figures.return_rules == () and figures.returns_by_author == ()


def test_only_checkers_and_admins_see_the_figures_and_only_for_a_listed_period(sqlite_engine, blobs):
    engine = sqlite_engine
    with pytest.raises(Forbidden, match="checker metrics"):
        read(engine, blobs, caller=AUTHOR)
    with pytest.raises(Invalid):
        read(engine, blobs, days=31)
    assert metrics.period("") == metrics.DEFAULT_PERIOD and metrics.period("365") == 365
    for raw in ("31", "-30", "30 ", "3e1", "thirty"):
        with pytest.raises(Invalid, match="choose 30, 90 or 365"):
            metrics.period(raw)


def test_percentiles_are_nearest_rank():
    assert metrics.percentile((), 0.5) is None
    assert metrics.percentile((5.0,), 0.9) == 5.0
    values = tuple(float(n) for n in range(1, 11))
    assert [metrics.percentile(values, share) for share in (0.1, 0.5, 0.9, 1.0)] == [1.0, 5.0, 9.0, 10.0]
