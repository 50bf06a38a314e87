"""The chain's head, kept outside the event store so that trimming or planting is caught.

A hash chain finds any changed, inserted or reordered event, but deleting the newest
events leaves a shorter chain that still holds, and anyone who can write the database
can append a correctly chained event (the hash needs no key). So every chain has a head
file beside it: the number of events and the last hash, with an HMAC-SHA256 keyed by a
secret in Haven's secrets directory.

The head moves only along *segments*: after its commit, a Haven writer reports the head
it appended onto and the head it left (:class:`Segment`), both read under the chain's
write lock. The file's head moves to a segment's end only when the segment starts exactly
where the head is. An event planted with direct SQL is in no writer's segment, so the
next genuine writer's segment starts at the planted event and never connects: the head
stays before the planted event and ``verify`` fails on it, instead of the genuine event
laundering it. Segments that arrive out of order (two writers committing close together)
wait in the file, under the same HMAC, until the one before them arrives.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import logging
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("haven.audit")

GENESIS = "0" * 64
# Segments waiting for the one before them; past this many the chain is stuck anyway
# (verify fails on it) and the oldest are dropped so the file stays small.
MAX_PENDING = 256


class AnchorError(Exception):
    """The head file or its key is missing, unreadable or does not authenticate."""


@dataclass(frozen=True)
class Head:
    events: int
    last_hash: str


EMPTY = Head(0, GENESIS)


@dataclass(frozen=True)
class Segment:
    """What one writer's transaction appended: from the chain's head before it to its own last event."""

    start: Head
    end: Head


@dataclass(frozen=True)
class HeadState:
    head: Head
    pending: tuple[Segment, ...] = ()


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


def _pending_json(pending: tuple[Segment, ...]) -> list[list[object]]:
    return [[s.start.events, s.start.last_hash, s.end.events, s.end.last_hash] for s in pending]


def _mac(key: bytes, head: Head, pending: tuple[Segment, ...] = ()) -> str:
    # Without pending segments the MAC is the one head files had before segments existed.
    message = f"{head.events}:{head.last_hash}"
    if pending:
        message += ":" + json.dumps(_pending_json(pending), separators=(",", ":"))
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def write_head(path: Path, key: bytes, head: Head, pending: tuple[Segment, ...] = ()) -> None:
    """Replaces the head file atomically (write, fsync, rename)."""
    body: dict[str, object] = {"events": head.events, "last_hash": head.last_hash}
    if pending:
        body["pending"] = _pending_json(pending)
    body["hmac"] = _mac(key, head, pending)
    temporary = path.with_name(path.name + ".tmp")
    # 0600 whatever the writer's umask: the services refuse to start beside a looser head file
    # (haven_hub.host_state), and a writer in a process of its own umask replaced it with 0644.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(body, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def read_state(path: Path, key: bytes) -> HeadState | None:
    """The authenticated head and waiting segments, or None when no event was ever anchored."""
    if not path.exists():
        return None
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
        head = Head(int(body["events"]), str(body["last_hash"]))
        pending = tuple(Segment(Head(int(a), str(b)), Head(int(c), str(d)))
                        for a, b, c, d in body.get("pending", []))
        mac = str(body["hmac"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise AnchorError(f"the audit head file {path} is unreadable: {error}") from None
    if not hmac.compare_digest(mac, _mac(key, head, pending)):
        raise AnchorError(f"the audit head file {path} does not authenticate (it was changed)")
    return HeadState(head, pending)


def read_head(path: Path, key: bytes) -> Head | None:
    """The authenticated head, or None when no event was ever anchored (no file yet)."""
    state = read_state(path, key)
    return state.head if state else None


def _connect(head: Head, pending: list[Segment]) -> Head:
    """The head moved along every waiting segment that continues it, in turn."""
    moved = True
    while moved:
        moved = False
        for segment in pending:
            if segment.start == head:
                head = segment.end
                pending.remove(segment)
                moved = True
                break
    return head


def advance_head(path: Path, key: bytes, segment: Segment) -> bool:
    """Moves the head along ``segment`` if it starts where the head is (under a lock, so
    concurrent writers never lose each other's segments); True if the head now covers it.

    A segment that does not start at the head waits in the file for the segment before it.
    One that can never connect (it starts at an event no writer reported: a planted one)
    leaves the head where it is and is logged: the chain is then reported by ``verify``.
    """
    with head_lock(path):
        try:
            state = read_state(path, key)
        except AnchorError as error:
            # Rewriting a head that does not authenticate would hide whatever changed it.
            log.error("audit head not moved: %s", error)
            return False
        if state is None:
            if segment.start != EMPTY:
                log.error("audit head not written: %s is missing but the chain already held %d "
                          "events before this writer's; run haven audit verify", path, segment.start.events)
                return False
            state = HeadState(EMPTY)
        head = state.head
        # Segments the head already passed can never connect again.
        pending = [s for s in (*state.pending, segment) if s.start.events >= head.events and s.end != head]
        head = _connect(head, pending)
        write_head(path, key, head, tuple(pending[-MAX_PENDING:]))
        covered = head.events >= segment.end.events and segment not in pending
        if not covered:
            # Also what a slower writer's late segment looks like, for a moment; if it stays,
            # verify fails on the events after the head once they are older than its grace.
            log.warning("audit head of %s not moved past %d events: this writer appended onto event "
                        "%d (%s...), which no Haven writer has reported", path, head.events,
                        segment.start.events, segment.start.last_hash[:12])
        return covered


@contextmanager
def head_lock(path: Path) -> Iterator[None]:
    """Exclusive use of the head file (between processes; not re-entrant within one)."""
    with os.fdopen(os.open(path.with_name(path.name + ".lock"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600),
                   "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
