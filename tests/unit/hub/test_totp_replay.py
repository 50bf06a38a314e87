"""A TOTP code logs in once (RFC 6238 §5.2): its time step, once accepted, is refused again,
within the validity window, for an earlier step, across a reopened store, and to two racing logins."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from haven_hub.auth import totp
from haven_hub.auth.store import BAD_CREDENTIALS, AccountStore
from tests.postgres import postgresql_server, postgresql_url  # noqa: F401 (fixtures)

START = datetime(2026, 3, 2, 9, 0, 5, tzinfo=timezone.utc)
PASSWORD = "correct horse battery staple"


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def open_store(tmp_path, clock) -> AccountStore:
    return AccountStore(f"sqlite:///{tmp_path / 'accounts.sqlite'}", clock=clock, max_failed_logins=3,
                        lockout=timedelta(minutes=10))


@pytest.fixture
def store(tmp_path, clock) -> AccountStore:
    return open_store(tmp_path, clock)


@pytest.fixture
def secret(store) -> str:
    return store.create("ada", password=PASSWORD, one_time_password=False).totp_secret


def code(secret: str, steps_from_start: int) -> str:
    return totp.code_of_step(secret, totp.step_at(START) + steps_from_start)


def test_a_used_code_is_refused_with_the_wrong_code_answer(store, secret):
    assert store.check_login("ada", PASSWORD, code(secret, 0)).ok
    replay = store.check_login("ada", PASSWORD, code(secret, 0))
    assert (replay.ok, replay.reason, replay.message) == (False, "reused-code", BAD_CREDENTIALS)
    assert store.get("ada").failed_logins == 1  # a replay counts towards the lock-out like a wrong code


def test_the_next_step_is_accepted_then_nothing_at_or_before_it(store, secret, clock):
    assert store.check_login("ada", PASSWORD, code(secret, 0)).ok
    # The next code is inside the validity window already (a phone a little ahead).
    assert store.check_login("ada", PASSWORD, code(secret, 1)).ok
    for step in (-1, 0, 1):  # the previous, the used and the just-used step: all within the window
        assert store.check_login("ada", PASSWORD, code(secret, step)).reason.startswith("reused-code"), step
    assert store.get("ada").locked_until is not None  # three replays in a row lock the account
    store.update("ada", unlock=True)
    clock.now += timedelta(seconds=60)  # two steps on: step 2 is current, step 1 still in the window
    assert store.check_login("ada", PASSWORD, code(secret, 1)).reason == "reused-code"
    assert store.check_login("ada", PASSWORD, code(secret, 2)).ok


def test_the_used_step_survives_a_reopened_store(tmp_path, store, secret, clock):
    assert store.check_login("ada", PASSWORD, code(secret, 0)).ok
    store.engine.dispose()
    reopened = open_store(tmp_path, clock)  # as a restarted hub opens it
    assert reopened.check_login("ada", PASSWORD, code(secret, 0)).reason == "reused-code"
    assert reopened.check_login("ada", PASSWORD, code(secret, 1)).ok


def test_a_code_accepted_by_the_password_page_or_a_refused_login_is_used_too(store, clock):
    given = store.create("bea", one_time_password=True, approved=False)
    secret = given.totp_secret
    # Right password and code, refused as pending: whoever saw the code still cannot replay it.
    assert store.check_login("bea", given.password, code(secret, -1)).reason == "pending"
    store.update("bea", approved=True)
    assert store.check_login("bea", given.password, code(secret, -1)).reason == "reused-code"
    assert store.change_password("bea", given.password, code(secret, 0), "a long phrase of my own").ok
    assert store.check_login("bea", "a long phrase of my own", code(secret, 0)).reason == "reused-code"
    assert store.check_login("bea", "a long phrase of my own", code(secret, 1)).ok


def test_a_wrong_password_does_not_use_up_the_code(store, secret):
    assert store.check_login("ada", "not the password", code(secret, 0)).reason == "bad-password"
    assert store.check_login("ada", PASSWORD, code(secret, 0)).ok


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def racing_stores(request, tmp_path, clock):
    """Four stores on one database, as four hub connections would be, and the secret of "ada" in it."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'accounts.sqlite'}"
    else:
        url = request.getfixturevalue("postgresql_url")
    stores = [AccountStore(url, clock=clock, max_failed_logins=10) for _ in range(4)]
    secret = stores[0].create("ada", password=PASSWORD, one_time_password=False).totp_secret
    yield stores, secret
    for one in stores:
        one.engine.dispose()


def test_logins_racing_with_one_code_let_exactly_one_in(racing_stores):
    stores, secret = racing_stores
    barrier = threading.Barrier(len(stores))
    outcomes = []

    def attempt(one: AccountStore) -> None:
        barrier.wait()
        outcomes.append(one.check_login("ada", PASSWORD, code(secret, 0)))

    threads = [threading.Thread(target=attempt, args=(one,)) for one in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(o.reason for o in outcomes) == ["ok", "reused-code", "reused-code", "reused-code"]


def test_the_step_is_read_from_the_code_not_the_clock():
    secret = totp.new_secret()
    now = datetime.now(timezone.utc)
    for offset in (-1, 0, 1):
        assert totp.matching_step(secret, totp.code_of_step(secret, totp.step_at(now) + offset), now) == \
            totp.step_at(now) + offset
    assert totp.matching_step(secret, totp.code_of_step(secret, totp.step_at(now) + 2), now) is None
    assert totp.matching_step(secret, "12 34 5x", now) is None


def test_new_credentials_start_with_no_used_step(store, secret):
    assert store.check_login("ada", PASSWORD, code(secret, 0)).ok
    fresh = store.reset_credentials("ada")  # a lost phone: the new secret's codes were never used
    assert store.change_password("ada", fresh.password, code(fresh.totp_secret, 0), "a long phrase of my own").ok
