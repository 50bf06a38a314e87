"""The hub's store of bytes sent to browsers: increments only, per UTC day, durable and private."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from haven_hub.meter import MAX_INCREMENT, MeterError, MeterStore
from haven_hub.meter import budget as browser_budget
from haven_hub.meter import store as store_module


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 12, 1, 23, 58, tzinfo=UTC))


@pytest.fixture
def store(tmp_path, clock) -> MeterStore:
    store = MeterStore.for_data_dir(tmp_path, clock)
    yield store
    store.close()


def test_increments_add_up_per_user_and_project(store):
    assert store.add("ada", "alpha", 1000, None).bytes == 1000
    assert store.add("ada", "alpha", 500, None).bytes == 1500
    assert store.add("ada", "beta", 7, None).bytes == 7
    assert store.add("grace", "alpha", 3, None).bytes == 3
    assert store.total("ada", "alpha").bytes == 1500
    assert store.total("bob", "alpha").bytes == 0
    assert {(t.user, t.project, t.bytes) for t in store.day_totals()} == {
        ("ada", "alpha", 1500), ("ada", "beta", 7), ("grace", "alpha", 3)}


def test_a_new_utc_day_starts_from_zero_and_keeps_yesterday(store, clock):
    store.add("ada", "alpha", 1000, None)
    yesterday = store.today()
    clock.now += timedelta(minutes=5)  # past midnight UTC
    assert store.total("ada", "alpha").bytes == 0
    assert store.add("ada", "alpha", 10, None).bytes == 10
    assert store.day_totals(yesterday)[0].bytes == 1000


def test_a_day_is_a_utc_day_whatever_the_clock_zone(store, clock):
    clock.now = datetime(2026, 12, 2, 1, 0, tzinfo=UTC).astimezone(ZoneInfo("America/New_York"))
    assert str(store.add("ada", "alpha", 1, None).day) == "2026-12-02"


@pytest.mark.parametrize("bad", [-1, -10**9, 1.5, "100", None, True, [], MAX_INCREMENT + 1])
def test_anything_but_a_sensible_count_is_refused_and_changes_nothing(store, bad):
    store.add("ada", "alpha", 100, None)
    with pytest.raises(MeterError):
        store.add("ada", "alpha", bad, None)
    assert store.total("ada", "alpha").bytes == 100


def test_crossing_the_budget_is_said_once(store):
    assert not store.add("ada", "alpha", 900, 1000).crossed_now
    crossed = store.add("ada", "alpha", 200, 1000)
    assert crossed.crossed_now and crossed.exceeded and crossed.bytes == 1100
    again = store.add("ada", "alpha", 5, 1000)
    assert not again.crossed_now and again.exceeded
    assert store.total("ada", "alpha").exceeded


def test_the_metered_event_is_due_at_most_once_a_minute(store, clock):
    assert store.add("ada", "alpha", 1, None).audit_due
    assert not store.add("ada", "alpha", 1, None).audit_due
    clock.now += timedelta(seconds=59)
    assert not store.add("ada", "alpha", 1, None).audit_due
    clock.now += timedelta(seconds=1)
    assert store.add("ada", "alpha", 1, None).audit_due
    assert store.add("grace", "alpha", 1, None).audit_due  # per (user, project)


def test_totals_survive_a_new_store_on_the_same_file(tmp_path, clock):
    first = MeterStore.for_data_dir(tmp_path, clock)
    first.add("ada", "alpha", 4242, None)
    first.close()
    second = MeterStore.for_data_dir(tmp_path, clock)
    assert second.total("ada", "alpha").bytes == 4242
    second.close()


def test_the_file_is_private(tmp_path, clock):
    (tmp_path / "meter").mkdir(mode=0o755)
    store = MeterStore.for_data_dir(tmp_path, clock)
    store.add("ada", "alpha", 1, None)
    assert stat.S_IMODE((tmp_path / "meter").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "meter" / "browser.sqlite").stat().st_mode) == 0o600
    store.close()


def project(budget: str) -> SimpleNamespace:
    return SimpleNamespace(id="alpha", limits=SimpleNamespace(browser_bytes_per_day=budget))


def test_a_server_past_its_budget_is_refused_until_the_budget_is_raised(tmp_path, monkeypatch, clock):
    store = MeterStore.for_data_dir(tmp_path, clock)
    monkeypatch.setitem(store_module._stores, tmp_path, store)
    assert browser_budget.spawn_refusal(tmp_path, "ada", project("1K")) is None
    store.add("ada", "alpha", 1025, 1024)
    refusal = browser_budget.spawn_refusal(tmp_path, "ada", project("1K"))
    assert "past the project's daily budget of 1K" in refusal and "until tomorrow (UTC)" in refusal
    assert browser_budget.spawn_refusal(tmp_path, "grace", project("1K")) is None  # per user
    assert browser_budget.spawn_refusal(tmp_path, "ada", project("2K")) is None  # an admin raised it
    clock.now += timedelta(minutes=5)  # tomorrow
    assert browser_budget.spawn_refusal(tmp_path, "ada", project("1K")) is None
    store.close()
