"""The built-in accounts store: passwords, TOTP, lock-out, approval and approved-until, with a movable clock."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from haven_hub.auth import totp
from haven_hub.auth.store import BAD_CREDENTIALS, AccountError, AccountRow, AccountStore, password_matches

START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


class Store(AccountStore):
    """Accounts whose password is their own (the one-time password flow has its own tests)."""

    def create(self, name, **kwargs):
        kwargs.setdefault("one_time_password", False)
        return super().create(name, **kwargs)


@pytest.fixture
def store(tmp_path, clock) -> AccountStore:
    return Store(f"sqlite:///{tmp_path / 'accounts.sqlite'}", clock=clock, max_failed_logins=3,
                 lockout=timedelta(minutes=10), default_approval=timedelta(days=30))


def _code(new, clock) -> str:
    """The code the person's app shows after waiting for a fresh one: each time step logs in once."""
    clock.advance(seconds=totp.STEP_SECONDS)
    return totp.code_at(new.totp_secret, clock())


def test_password_and_current_code_log_in_and_enrol(store, clock):
    new = store.create("ada")
    assert not store.get("ada").totp_enrolled
    assert store.check_login("ada", new.password, _code(new, clock)).ok
    assert store.get("ada").totp_enrolled
    assert store.get("ada").approved_until == date(2026, 4, 1)  # default_approval from creation


def test_the_password_is_stored_hashed_with_its_own_salt(store):
    first, second = store.create("ada", password="correct horse battery"), store.create("bob", password="correct horse battery")
    with store._session() as session:
        hashes = [session.get(AccountRow, name).password_hash for name in ("ada", "bob")]
    assert all("correct horse" not in h for h in hashes)
    assert hashes[0] != hashes[1]
    assert password_matches("correct horse battery", hashes[0]) and not password_matches("correct horse batterz", hashes[0])
    assert first.totp_secret != second.totp_secret


@pytest.mark.parametrize("password_ok, code", [(False, "current"), (True, "000000"), (True, "stale"), (True, ""),
                                               (True, "12345a")])
def test_a_wrong_password_or_code_is_refused_alike(store, clock, password_ok, code):
    new = store.create("ada")
    if code == "current":
        code = _code(new, clock)
    elif code == "stale":
        code = totp.code_at(new.totp_secret, clock() - timedelta(minutes=2))
    outcome = store.check_login("ada", new.password if password_ok else "not the password", code)
    assert not outcome.ok and outcome.message == BAD_CREDENTIALS
    assert outcome.reason == ("bad-code" if password_ok else "bad-password")


def test_an_unknown_name_is_refused_like_a_wrong_password(store):
    outcome = store.check_login("nobody", "whatever", "123456")
    assert (outcome.ok, outcome.reason, outcome.message) == (False, "unknown-user", BAD_CREDENTIALS)


def test_repeated_failures_lock_the_account_until_the_lockout_passes(store, clock):
    new = store.create("ada")
    for attempt in range(2):
        assert store.check_login("ada", new.password, "000000").message == BAD_CREDENTIALS
    third = store.check_login("ada", new.password, "000000")
    # The person is told nothing new (that would say the name exists); the reason says it.
    assert third.reason == "bad-code,locked" and third.message == BAD_CREDENTIALS
    # Even the right password and code are refused while locked, in the same words.
    locked = store.check_login("ada", new.password, _code(new, clock))
    assert (locked.ok, locked.reason, locked.message) == (False, "locked", BAD_CREDENTIALS)
    assert store.get("ada").locked_until == datetime(2026, 3, 2, 9, 10, tzinfo=timezone.utc)
    clock.advance(minutes=10, seconds=1)
    assert store.get("ada").locked_until is None
    assert store.check_login("ada", new.password, _code(new, clock)).ok


def test_a_success_resets_the_failure_count(store, clock):
    new = store.create("ada")
    store.check_login("ada", new.password, "000000")
    store.check_login("ada", new.password, "000000")
    assert store.check_login("ada", new.password, _code(new, clock)).ok
    assert store.check_login("ada", new.password, "000000").message == BAD_CREDENTIALS  # count restarted


def test_an_admin_unlocks_early(store, clock):
    new = store.create("ada")
    for _ in range(3):
        store.check_login("ada", "wrong", "000000")
    store.update("ada", unlock=True)
    assert store.check_login("ada", new.password, _code(new, clock)).ok


def test_approval_ends_after_the_approved_until_day(store, clock):
    new = store.create("ada", approved_until=date(2026, 3, 3))
    clock.advance(days=1)  # 3 March: still the last approved day
    assert store.check_login("ada", new.password, _code(new, clock)).ok
    assert store.refusal("ada") is None
    clock.advance(days=1)  # 4 March
    outcome = store.check_login("ada", new.password, _code(new, clock))
    assert outcome.reason == "expired" and "ended on 2026-03-03" in outcome.message
    assert "ended on 2026-03-03" in store.refusal("ada")
    store.update("ada", approved_until=date(2026, 12, 31))
    assert store.check_login("ada", new.password, _code(new, clock)).ok


def test_a_pending_account_cannot_log_in_until_approved(store, clock):
    new = store.create("ada", approved=False)
    outcome = store.check_login("ada", new.password, _code(new, clock))
    assert outcome.reason == "pending" and "approval" in outcome.message
    store.update("ada", approved=True)
    assert store.check_login("ada", new.password, _code(new, clock)).ok


def test_a_disabled_account_is_refused_and_enabled_again(store, clock):
    new = store.create("ada")
    store.update("ada", disabled=True)
    assert store.check_login("ada", new.password, _code(new, clock)).reason == "disabled"
    assert "disabled" in store.refusal("ada")
    store.update("ada", disabled=False)
    assert store.check_login("ada", new.password, _code(new, clock)).ok


def test_a_handed_over_password_logs_in_only_after_its_holder_chose_their_own(store, clock):
    given = store.create("ada", one_time_password=True)
    outcome = store.check_login("ada", given.password, _code(given, clock))
    assert (outcome.ok, outcome.reason) == (False, "password-change")
    assert store.get("ada").must_change_password
    mine = "a long phrase of my own"
    assert store.change_password("ada", given.password, _code(given, clock), mine).ok
    assert not store.get("ada").must_change_password and store.get("ada").totp_enrolled
    assert store.check_login("ada", mine, _code(given, clock)).ok
    assert store.check_login("ada", given.password, _code(given, clock)).reason == "bad-password"


@pytest.mark.parametrize("new, problem", [
    ("short", "at least 12 characters"),
    ("ada-is-my-password", "does not contain your username"),
    (None, "different from the one you were given"),
])
def test_a_weak_new_password_is_refused_and_changes_nothing(store, clock, new, problem):
    given = store.create("ada", one_time_password=True)
    outcome = store.change_password("ada", given.password, _code(given, clock), new or given.password)
    assert not outcome.ok and problem in outcome.message
    assert store.get("ada").must_change_password
    assert store.check_login("ada", given.password, _code(given, clock)).reason == "password-change"


def test_changing_the_password_needs_the_current_one_and_a_code(store, clock):
    given = store.create("ada", one_time_password=True)
    assert store.change_password("ada", "wrong", _code(given, clock), "a long phrase of my own").reason == "bad-password"
    assert store.change_password("ada", given.password, "000000", "a long phrase of my own").reason == "bad-code"
    assert store.get("ada").failed_logins == 2  # they count towards the lock-out
    assert store.get("ada").must_change_password


def test_reset_credentials_replaces_password_and_secret(store, clock):
    old = store.create("ada")
    fresh = store.reset_credentials("ada")
    assert not store.check_login("ada", old.password, totp.code_at(old.totp_secret, clock())).ok
    assert store.check_login("ada", fresh.password, _code(fresh, clock)).reason == "password-change"
    assert store.change_password("ada", fresh.password, _code(fresh, clock), "a long phrase of my own").ok


@pytest.mark.parametrize("kwargs, message", [
    ({"name": "Ada"}, "invalid account name"),
    ({"name": "a" * 40}, "invalid account name"),
    ({"name": "ada", "roles": ["superuser"]}, "unknown role 'superuser'"),
    ({"name": "ada", "password": "short"}, "at least 12 characters"),
])
def test_bad_input_is_refused_and_changes_nothing(store, kwargs, message):
    with pytest.raises(AccountError, match=message) as refused:
        store.create(**kwargs)
    assert refused.value.status == 400
    assert store.list() == []


def test_duplicates_and_unknown_names_have_their_own_status(store):
    store.create("ada")
    with pytest.raises(AccountError, match="already exists") as duplicate:
        store.create("ada")
    assert duplicate.value.status == 409
    for call in (lambda: store.get("bob"), lambda: store.update("bob", approved=True)):
        with pytest.raises(AccountError, match="no account named 'bob'") as unknown:
            call()
        assert unknown.value.status == 404
    with pytest.raises(AccountError, match="cannot change password_hash"):
        store.update("ada", password_hash="x")


def test_the_enrolment_uri_names_the_issuer_and_account(store):
    new = store.create("ada")
    assert new.otpauth_uri == f"otpauth://totp/Haven:ada?secret={new.totp_secret}&issuer=Haven"


def test_the_totp_command_prints_the_current_code(capsys):
    secret = totp.new_secret()
    assert totp.main([secret]) == 0
    assert totp.code_is_valid(secret, capsys.readouterr().out.strip())
    assert totp.main(["not base32!"]) == 65
    assert totp.main([]) == 64
