"""``fsck``: the blob store against the database, deleting orphans only under the store's lock.

The first look (which digests rows reference) is taken without a lock, so a submission
may commit after it. Orphans are therefore deleted only inside a transaction that holds
the store's write lock (SQLite's one write lock; on PostgreSQL the exclusive side of
``storage.lock_blobs``), after asking the database again; submissions put their blobs
again under the same lock before committing (``service.submit``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, sessionmaker

from .blobs import BlobStore, FsckReport
from .ingress.models import IngressRequest
from .models import File, PurgedFile
from .storage import lock_blobs, writing


def fsck(sessions: sessionmaker[Session], blobs: BlobStore, delete_orphans: bool = False,
         grace_seconds: float = 0) -> FsckReport:
    with sessions() as session:
        # A file close-out purged (haven_egress.closeout) needs its blob no more.
        referenced = set(session.scalars(_kept(select(File.sha256)).distinct()))
        # Files filed for ingress live in the same store.
        referenced |= set(session.scalars(select(IngressRequest.sha256).where(IngressRequest.sha256.is_not(None))))

    @contextmanager
    def locked_references() -> Iterator[Callable[[Iterable[str]], set[str]]]:
        with sessions() as session, session.begin():
            writing(session)
            lock_blobs(session, exclusive=True)
            yield lambda digests: referenced_among(session, digests)

    return blobs.fsck(referenced, delete_orphans=delete_orphans, grace_seconds=grace_seconds,
                      locked_references=locked_references)


def referenced_among(session: Session, digests: Iterable[str]) -> set[str]:
    """Which of ``digests`` a file row references; in slices, as SQLite caps bound parameters."""
    digests, found = sorted(digests), set()
    for start in range(0, len(digests), 500):
        found.update(session.scalars(_kept(select(File.sha256)).where(
            File.sha256.in_(digests[start:start + 500])).distinct()))
        found.update(session.scalars(select(IngressRequest.sha256).where(
            IngressRequest.sha256.in_(digests[start:start + 500])).distinct()))
    return found


def _kept(query: Select) -> Select:
    """``query`` over files, without those close-out purged."""
    return query.where(File.id.not_in(select(PurgedFile.file_id)))
