"""``Idempotency-Key``: a retried submission returns the first result and files nothing new.

A client that sent a submission and got no answer (a timeout, a 503 because the service
was killed just after committing) cannot know whether it was filed. It retries with the
same key; the service finds the key, stored in the transaction that filed the request,
and answers with that request. Keys are scoped per caller. The same key with a different
body is refused: answering it with the first result would hide that the second was lost.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from .errors import Conflict, Invalid
from .models import IdempotencyKey
from .permissions import Caller
from .uploads import FileUpload

# Printable ASCII without spaces, as a UUID or a random token is; long enough for either.
_KEY = re.compile(r"^[!-~]{1,200}$")


@dataclass(frozen=True)
class Filed:
    """What the first submission under a key produced."""

    request_id: str
    version_number: int


def checked_key(key: str | None) -> str | None:
    """The key as sent, or None when none was sent; Invalid when it is not usable."""
    if key is None:
        return None
    if not _KEY.match(key):
        raise Invalid("the Idempotency-Key header must be 1 to 200 printable ASCII characters without spaces")
    return key


def fingerprint(operation: str, files: Sequence[FileUpload], **fields: object) -> str:
    """SHA-256 of everything the submission asks for, with each file by its declared checksum."""
    body = {
        "operation": operation,
        **fields,
        "files": [{"path": f.path, "sha256": f.sha256.lower(), "media_type": f.media_type,
                   "description": f.description, "controls": list(f.controls), "kind": f.kind,
                   "supporting": f.supporting} for f in files],
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def find(session: Session, caller: Caller, key: str, fingerprint: str) -> Filed | None:
    """The first result under this caller's key, if there is one; Conflict if it was for another body."""
    row = session.get(IdempotencyKey, (caller.name, key))
    if row is None:
        return None
    if row.fingerprint != fingerprint:
        raise Conflict("this Idempotency-Key was already used for a different submission; "
                       "send a new key for a new submission")
    return Filed(row.request_id, row.version_number)


def claim(session: Session, caller: Caller, key: str, fingerprint: str) -> Filed | None:
    """As ``find``, inside the transaction that will file the submission, after taking a
    lock on the key: two retries arriving together then file once, the second finding the
    first's row. (On SQLite the transaction's write lock already lets only one in.)"""
    if session.get_bind().dialect.name == "postgresql":
        number = int.from_bytes(hashlib.sha256(f"{caller.name}\0{key}".encode()).digest()[:8], "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:number)"), {"number": number})
    return find(session, caller, key, fingerprint)


def record(session: Session, caller: Caller, key: str, fingerprint: str, filed: Filed) -> None:
    session.add(IdempotencyKey(caller=caller.name, key=key, fingerprint=fingerprint,
                               request_id=filed.request_id, version_number=filed.version_number))
