"""The chain's head, kept outside the event store so that trimming the log is caught.

A hash chain finds any changed, inserted or reordered event, but deleting the newest
events leaves a shorter chain that still holds. After every append the log writes a head
file beside it: the number of events and the last hash, with an HMAC-SHA256 keyed by a
secret in Haven's secrets directory. Whoever can rewrite the database alone cannot make
the head agree with a trimmed or replaced log without that key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import fcntl
import secrets
from dataclasses import dataclass
from pathlib import Path


class AnchorError(Exception):
    """The head file or its key is missing, unreadable or does not authenticate."""


@dataclass(frozen=True)
class Head:
    events: int
    last_hash: str


def load_or_create_key(path: Path) -> bytes:
    """The HMAC key; made (0600) on first use so a fresh install needs no extra step."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first; read theirs
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
    try:
        return bytes.fromhex(path.read_text().strip())
    except (OSError, ValueError) as error:
        raise AnchorError(f"cannot read the audit head key {path}: {error}") from None


def _mac(key: bytes, head: Head) -> str:
    return hmac.new(key, f"{head.events}:{head.last_hash}".encode(), hashlib.sha256).hexdigest()


def write_head(path: Path, key: bytes, head: Head) -> None:
    """Replaces the head file atomically (write, fsync, rename)."""
    body = {"events": head.events, "last_hash": head.last_hash, "hmac": _mac(key, head)}
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(body, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def read_head(path: Path, key: bytes) -> Head | None:
    """The authenticated head, or None when no event was ever anchored (no file yet)."""
    if not path.exists():
        return None
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
        head = Head(int(body["events"]), str(body["last_hash"]))
        mac = str(body["hmac"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise AnchorError(f"the audit head file {path} is unreadable: {error}") from None
    if not hmac.compare_digest(mac, _mac(key, head)):
        raise AnchorError(f"the audit head file {path} does not authenticate (it was changed)")
    return head


def advance_head(path: Path, key: bytes, head: Head) -> None:
    """Writes ``head`` unless the file already records as many events or more (under a lock,
    so concurrent writers never move the head backwards)."""
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            try:
                current = read_head(path, key)
            except AnchorError:
                current = None  # verify reports a bad head; a writer does not stop on it
            if current is None or head.events > current.events:
                write_head(path, key, head)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
