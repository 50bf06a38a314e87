"""The audit page's filters: dates mean whole days, a reversed range and an unknown chain are
refused beside their fields."""

from __future__ import annotations

from datetime import UTC, datetime

from haven_hub.admin.audit_pages import FILTERS, describe, parse_filters


def values(**given: str) -> dict[str, str]:
    return {name: given.get(name, "") for name in FILTERS}


def test_a_date_range_covers_whole_days_in_utc():
    filter_, errors = parse_filters(values(since="2026-03-01", until="2026-03-02", user="ada", type="project"))
    assert errors == {}
    assert filter_.since == datetime(2026, 3, 1, tzinfo=UTC)
    assert filter_.until == datetime(2026, 3, 2, 23, 59, 59, 999999, tzinfo=UTC)
    assert (filter_.user, filter_.type, filter_.project) == ("ada", "project", None)


def test_bad_input_is_refused_field_by_field_all_at_once():
    _, errors = parse_filters(values(since="yesterday", chain="mail"))
    assert set(errors) == {"since", "chain"} and "YYYY-MM-DD" in errors["since"]
    _, reversed_range = parse_filters(values(since="2026-03-02", until="2026-03-01"))
    assert reversed_range == {"until": "the end of the range is before its start"}


def test_details_read_as_plain_pairs():
    assert describe({"reason": "ethics", "members": ["ada", "bob"]}) == [("members", '["ada", "bob"]'),
                                                                          ("reason", "ethics")]
