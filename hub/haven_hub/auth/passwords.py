"""Password hashes: Argon2id for every new one; Haven's older scrypt hashes only read, then replaced."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

# Argon2id (RFC 9106) at OWASP's Password Storage Cheat Sheet's first configuration: 46 MiB of
# memory, one pass, one lane (~70 ms here). RFC 9106's memory-constrained option (64 MiB, three
# passes, four lanes) costs ~230 ms on a two-core host, during which the hub's event loop waits:
# OWASP counts the two as equivalent defences. The parameters are stored in each hash, and a hash
# made with other (weaker or older) ones is replaced at the next successful login.
ARGON2_PARAMETERS = {"memory_cost": 47104, "time_cost": 1, "parallelism": 1}
_HASHER = PasswordHasher(**ARGON2_PARAMETERS, hash_len=32, salt_len=16, type=Type.ID)


def hash_password(password: str) -> str:
    """An Argon2id hash in PHC form (``$argon2id$v=19$m=…,t=…,p=…$salt$digest``)."""
    return _HASHER.hash(password)


def password_matches(password: str, stored: str) -> bool:
    """Whether ``password`` is the one ``stored`` was made from, in constant time.

    Reads Argon2 hashes and the ``scrypt$n$r$p$salt$digest`` hashes Haven wrote before it used
    Argon2id (only read: :func:`needs_rehash` says such a hash is replaced at the next login).
    A malformed hash matches nothing.
    """
    if stored.startswith("scrypt$"):
        return _legacy_scrypt_matches(password, stored)
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether ``stored`` was made by an older scheme or weaker parameters than today's."""
    if not stored.startswith("$argon2"):
        return True
    try:
        return _HASHER.check_needs_rehash(stored)
    except (InvalidHashError, ValueError):
        return True


def _legacy_scrypt_matches(password: str, stored: str) -> bool:
    # The format of Haven's hashes before Argon2id: scrypt$n$r$p$base64(salt)$base64(digest).
    try:
        _, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
            maxmem=64 * 1024 * 1024, dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


@functools.cache
def _dummy_hash() -> str:
    """Checked against when the name is unknown, so a wrong name costs as long as a wrong password."""
    return hash_password(secrets.token_urlsafe(16))
