"""fsck --clean never deletes a blob a submission reuses, however the two interleave.

An orphan (left by an earlier crash) has the same bytes as a new submission's file. The
submission finds the blob present, so it writes nothing; if fsck then deletes it as an
orphan, the request commits pointing at nothing. Each test fails on the code before the
fix (mtime refreshed on reuse, deletions re-checked under the store's write lock, blobs
put again under that lock before the commit).
"""

from __future__ import annotations

import os
import threading
import time

from .factories import AUTHOR, CHECKER, PROJECT, upload

CONTENT = b"group,count\na,40\nb,45\n"
HOUR = 3600


def _old_orphan(service) -> str:
    digest = service.blobs.put(CONTENT)
    long_ago = time.time() - 2 * HOUR
    os.utime(service.blobs.path(digest), (long_ago, long_ago))
    assert digest in service.fsck().orphans
    return digest


def _submit(service) -> str:
    return service.submit(AUTHOR, PROJECT, "Reuses an orphan", "race", [upload("out/table.csv", CONTENT)])


def _assert_whole(service, request_id: str, digest: str) -> None:
    report = service.fsck()
    assert report.missing == [] and digest not in report.orphans
    file = service.get_request(CHECKER, request_id).versions[0].files[0]
    assert file.sha256 == digest
    assert service.blobs.read(digest) == CONTENT


def test_fsck_with_a_grace_period_keeps_a_blob_just_reused(make_service):
    """fsck runs between the reuse and the commit, with the CLI's default grace of an hour."""
    outcome = {}

    def fsck_in_the_gap(point):
        if point == "submit.blob" and not outcome:
            outcome["report"] = service.fsck(delete_orphans=True, grace_seconds=HOUR)

    service = make_service(before_commit=fsck_in_the_gap)
    digest = _old_orphan(service)
    request_id = _submit(service)
    assert digest not in outcome["report"].deleted
    _assert_whole(service, request_id, digest)


def test_fsck_without_grace_in_the_gap_cannot_lose_the_submission(make_service):
    """Even with --grace 0 (the orphan deleted before the commit), the commit puts it back."""
    outcome = {}

    def fsck_in_the_gap(point):
        if point == "submit.blob" and not outcome:
            outcome["report"] = service.fsck(delete_orphans=True, grace_seconds=0)

    service = make_service(before_commit=fsck_in_the_gap)
    digest = _old_orphan(service)
    request_id = _submit(service)
    assert digest in outcome["report"].deleted  # it really was deleted in the gap
    _assert_whole(service, request_id, digest)


def test_fsck_waits_for_a_commit_in_progress_and_then_keeps_the_blob(make_service):
    """fsck starts while the submission's transaction is open: it must not decide on what it
    read before the commit, but under the write lock, after it."""
    outcome = {}

    def fsck():
        outcome["report"] = service.fsck(delete_orphans=True, grace_seconds=0)

    def fsck_during_commit(point):
        if point == "submit" and "thread" not in outcome:
            # Let the submission's put refresh nothing: the orphan looks old again.
            long_ago = time.time() - 2 * HOUR
            os.utime(service.blobs.path(digest), (long_ago, long_ago))
            outcome["thread"] = threading.Thread(target=fsck)
            outcome["thread"].start()
            time.sleep(0.5)  # fsck has read the references by now, and waits for the lock

    service = make_service(before_commit=fsck_during_commit)
    digest = _old_orphan(service)
    request_id = _submit(service)
    outcome["thread"].join(15)
    assert digest not in outcome["report"].deleted
    _assert_whole(service, request_id, digest)


def test_put_refreshes_the_mtime_of_a_reused_blob(service):
    digest = _old_orphan(service)
    service.blobs.put(CONTENT)
    assert time.time() - service.blobs.path(digest).stat().st_mtime < 60
