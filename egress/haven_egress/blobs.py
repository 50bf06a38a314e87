"""Submitted files, stored content-addressed by SHA-256 and never changed.

A blob lives at ``<root>/<first two hex digits>/<full hex digest>``, mode 0444. It is
written to a temporary file in ``<root>/tmp``, fsynced, and renamed into place, so a
reader never sees half a blob, and then the directory is fsynced so the rename survives
a crash. Blobs are written *before* the database transaction that references them: a
crash in between leaves only orphan blobs, which ``fsck`` reports and can delete.

Deleting an orphan races with a submission that reuses its bytes: the blob is put (found
present) before the submission commits. So ``put`` refreshes a reused blob's mtime (the
grace period counts from the reuse), ``fsck`` deletes only under the store's write lock
after asking the database again, and a submission puts its blobs once more under that
lock before it commits (``fsck``, ``service.submit``), so one of them sees the other.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

DIGEST = re.compile(r"^[0-9a-f]{64}$")
READ_ONLY = 0o444
# Entered around fsck's deletions: holds the store's write lock and gives a function that
# says which of the given digests committed rows reference *now*.
LockedReferences = Callable[[], AbstractContextManager[Callable[[Iterable[str]], set[str]]]]


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class FsckReport:
    orphans: list[str] = field(default_factory=list)  # blobs no row references
    missing: list[str] = field(default_factory=list)  # referenced, not on disk
    corrupt: list[str] = field(default_factory=list)  # on disk, bytes no longer match
    stale_temp: list[str] = field(default_factory=list)  # unfinished writes
    deleted: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # orphans too recent to delete (grace period)

    @property
    def clean(self) -> bool:
        return not (self.orphans or self.missing or self.corrupt or self.stale_temp)


class BlobStore:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.tmp = self.root / "tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)

    def path(self, digest: str) -> Path:
        if not DIGEST.match(digest):
            # The digest names a path: anything but 64 hex digits could escape the root.
            raise ValueError(f"not a SHA-256 hex digest: {digest!r}")
        return self.root / digest[:2] / digest

    def exists(self, digest: str) -> bool:
        return self.path(digest).is_file()

    def put(self, data: bytes) -> str:
        """Store ``data`` (idempotent: the same bytes are one blob) and return its digest."""
        digest = sha256_hex(data)
        target = self.path(digest)
        try:
            # Reused: from now on it is as young as the submission that needs it.
            os.utime(target)
            return digest
        except PermissionError:
            # Not ours to touch (restored by another user): present, and the put under the
            # store's lock before the commit still guards it.
            return digest
        except FileNotFoundError:
            pass
        target.parent.mkdir(exist_ok=True)
        fd, temp_name = tempfile.mkstemp(dir=self.tmp)
        try:
            with os.fdopen(fd, "wb") as temp:
                temp.write(data)
                temp.flush()
                os.fsync(temp.fileno())
            os.chmod(temp_name, READ_ONLY)
            os.replace(temp_name, target)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        _fsync_dir(target.parent)
        return digest

    def read(self, digest: str, verify: bool = True) -> bytes:
        """The blob's bytes; with ``verify``, refuse bytes that no longer match the digest."""
        data = self.path(digest).read_bytes()
        if verify and sha256_hex(data) != digest:
            raise CorruptBlob(digest)
        return data

    def digests(self) -> set[str]:
        return {
            p.name
            for p in self.root.glob("??/*")
            if p.is_file() and DIGEST.match(p.name) and p.parent.name == p.name[:2]
        }

    def fsck(self, referenced: Iterable[str], delete_orphans: bool = False,
             grace_seconds: float = 0, locked_references: LockedReferences | None = None) -> FsckReport:
        """Compare the store with the digests the database references.

        With ``delete_orphans``, orphans and unfinished writes older than ``grace_seconds``
        are deleted: a blob written for a submission whose transaction has not committed
        yet looks exactly like an orphan, so on a live service keep a grace period. Orphans
        are deleted inside ``locked_references`` and only if it says no row references
        them now (without it, ``referenced`` is taken as still true).
        """
        referenced = set(referenced)
        present = self.digests()
        report = FsckReport(
            orphans=sorted(present - referenced),
            missing=sorted(referenced - present),
            corrupt=sorted(d for d in referenced & present if not self._matches(d)),
            stale_temp=sorted(p.name for p in self.tmp.iterdir()),
        )
        if delete_orphans:
            cutoff = time.time() - grace_seconds
            locked = locked_references or (lambda: nullcontext(lambda digests: referenced & set(digests)))
            with locked() as referenced_now:
                in_use = referenced_now(report.orphans)
                for digest in report.orphans:
                    # Committed since the first look, or reused (mtime refreshed): keep it.
                    if digest in in_use or _mtime(self.path(digest)) > cutoff:
                        report.kept.append(digest)
                        continue
                    self.path(digest).unlink(missing_ok=True)
                    report.deleted.append(digest)
                    try:
                        self.path(digest).parent.rmdir()  # only succeeds when it was the last one
                    except OSError:
                        pass
            for name in report.stale_temp:
                if _mtime(self.tmp / name) > cutoff:
                    report.kept.append(f"tmp/{name}")
                    continue
                (self.tmp / name).unlink(missing_ok=True)
                report.deleted.append(f"tmp/{name}")
        return report

    def _matches(self, digest: str) -> bool:
        hasher = hashlib.sha256()
        with open(self.path(digest), "rb") as blob:
            for chunk in iter(lambda: blob.read(1 << 20), b""):
                hasher.update(chunk)
        return hasher.hexdigest() == digest


class CorruptBlob(Exception):
    """A stored blob's bytes no longer match its SHA-256: never serve it."""


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
