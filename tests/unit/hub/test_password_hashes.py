"""Passwords are stored as Argon2id; an older hash (Haven's scrypt, or Argon2 with weaker
parameters) is verified once with its own scheme and replaced at the next successful login.
The answers to a refused login, and their cost, do not tell who exists or is locked."""

from __future__ import annotations

import base64
import hashlib
import secrets
import statistics
import time
from datetime import datetime, timedelta, timezone

import pytest
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from haven_hub.auth import totp
from haven_hub.auth.passwords import ARGON2_PARAMETERS, hash_password, needs_rehash, password_matches
from haven_hub.auth.store import BAD_CREDENTIALS, AccountRow, AccountStore

START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
PASSWORD = "correct horse battery staple"


def legacy_scrypt_hash(password: str) -> str:
    """Haven's hash_password before Argon2id, verbatim (scrypt, n=2**14, r=8, p=1)."""
    scrypt = {"n": 2**14, "r": 8, "p": 1}
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, maxmem=64 * 1024 * 1024, dklen=32, **scrypt)
    b64 = base64.b64encode
    return f"scrypt${scrypt['n']}${scrypt['r']}${scrypt['p']}${b64(salt).decode()}${b64(digest).decode()}"


def weak_argon2_hash(password: str) -> str:
    return PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1, type=Type.ID).hash(password)


@pytest.fixture
def store(tmp_path) -> AccountStore:
    return AccountStore(f"sqlite:///{tmp_path / 'accounts.sqlite'}", clock=lambda: START, max_failed_logins=3,
                        lockout=timedelta(minutes=10))


def stored_hash(store: AccountStore, name: str) -> str:
    with store._session() as session:
        return session.get(AccountRow, name).password_hash


def set_stored_hash(store: AccountStore, name: str, value: str) -> None:
    with store._session() as session:
        session.get(AccountRow, name).password_hash = value
        session.commit()


def code(secret: str, later_steps: int = 0) -> str:
    """The code at START, or of a later time step (the store accepts each step once, up to one ahead)."""
    return totp.code_at(secret, START + timedelta(seconds=30 * later_steps))


def test_a_new_hash_is_argon2id_with_the_documented_parameters():
    stored = hash_password(PASSWORD)
    parameters = ",".join(f"{key}={ARGON2_PARAMETERS[name]}" for key, name in
                          (("m", "memory_cost"), ("t", "time_cost"), ("p", "parallelism")))
    assert stored.startswith(f"$argon2id$v=19${parameters}$")
    assert ARGON2_PARAMETERS["memory_cost"] >= 19 * 1024  # OWASP's floor: 19 MiB
    assert password_matches(PASSWORD, stored) and not password_matches(PASSWORD + "!", stored)
    assert not needs_rehash(stored)
    assert hash_password(PASSWORD) != stored  # salted


@pytest.mark.parametrize("old", [legacy_scrypt_hash, weak_argon2_hash], ids=["scrypt", "weak-argon2"])
def test_an_old_hash_is_replaced_by_argon2id_at_the_next_successful_login(store, old):
    new = store.create("ada", password=PASSWORD, one_time_password=False)
    set_stored_hash(store, "ada", old(PASSWORD))
    before = stored_hash(store, "ada")
    assert needs_rehash(before) and password_matches(PASSWORD, before)

    # A wrong password neither logs in nor touches the hash; nor does a right password with a wrong code.
    assert store.check_login("ada", PASSWORD + "!", code(new.totp_secret)).reason == "bad-password"
    assert store.check_login("ada", PASSWORD, "000000").reason == "bad-code"
    assert stored_hash(store, "ada") == before

    assert store.check_login("ada", PASSWORD, code(new.totp_secret)).ok
    after = stored_hash(store, "ada")
    assert after != before and after.startswith("$argon2id$") and not needs_rehash(after)
    assert password_matches(PASSWORD, after) and not password_matches(PASSWORD + "!", after)
    # It still logs in (with the next code), and is not rehashed again.
    assert store.check_login("ada", PASSWORD, code(new.totp_secret, later_steps=1)).ok
    assert stored_hash(store, "ada") == after


def test_a_locked_account_with_an_old_hash_is_not_rehashed(store):
    new = store.create("ada", password=PASSWORD, one_time_password=False)
    set_stored_hash(store, "ada", legacy_scrypt_hash(PASSWORD))
    before = stored_hash(store, "ada")
    for _ in range(3):
        store.check_login("ada", "wrong password!", "000000")
    assert store.check_login("ada", PASSWORD, code(new.totp_secret)).reason == "locked"
    assert stored_hash(store, "ada") == before


@pytest.mark.parametrize("stored", [
    "", "scrypt$", "scrypt$16384$8$1$not base64$AAAA", "scrypt$3$8$1$AAAA$AAAA", "md5$abc",
    "$argon2id$v=19$m=47104,t=1,p=1$broken", "$argon2id$garbage",
])
def test_a_malformed_stored_hash_matches_nothing(stored):
    assert not password_matches(PASSWORD, stored)
    assert needs_rehash(stored)


def test_the_argon2_verifier_refuses_a_malformed_hash_loudly_so_the_store_must_catch_it():
    # Control: without the store's handling, a malformed hash would raise into the login path.
    with pytest.raises((InvalidHashError, VerificationError)):
        PasswordHasher().verify("$argon2id$garbage", PASSWORD)


def _median_seconds(attempt, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        attempt()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def test_unknown_locked_and_wrong_answers_are_alike_in_words_and_cost(tmp_path):
    # Many allowed failures, so that the wrong-password runs do not lock "ada" themselves.
    store = AccountStore(f"sqlite:///{tmp_path / 'accounts.sqlite'}", clock=lambda: START, max_failed_logins=1000)
    ada = store.create("ada", password=PASSWORD, one_time_password=False)
    store.create("bea", password=PASSWORD, one_time_password=False)
    with store._session() as session:
        session.get(AccountRow, "bea").locked_until = START + timedelta(hours=1)
        session.commit()
    assert store.check_login("ada", PASSWORD, code(ada.totp_secret)).ok  # its step is used from now on
    attempts = {
        "unknown-user": lambda: store.check_login("nobody", PASSWORD, code(ada.totp_secret)),
        "locked": lambda: store.check_login("bea", PASSWORD, code(ada.totp_secret)),
        "bad-password": lambda: store.check_login("ada", "not the password", code(ada.totp_secret)),
        "bad-code": lambda: store.check_login("ada", PASSWORD, "000000"),
        "reused-code": lambda: store.check_login("ada", PASSWORD, code(ada.totp_secret)),
    }
    for reason, attempt in attempts.items():
        outcome = attempt()
        assert (outcome.ok, outcome.reason, outcome.message) == (False, reason, BAD_CREDENTIALS)
    # One password hash each: no refusal is answered much faster than a wrong password
    # (before this, a locked account was answered without hashing, in well under a millisecond).
    costs = {reason: _median_seconds(attempt) for reason, attempt in attempts.items()}
    reference = costs["bad-password"]
    assert reference > 0.005, costs
    for reason, cost in costs.items():
        assert cost > 0.4 * reference, (reason, costs)
