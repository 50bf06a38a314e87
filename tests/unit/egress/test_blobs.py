"""Content-addressed, immutable blobs, and fsck that finds orphans, losses and corruption."""

import os
import stat

import pytest

from haven_egress.blobs import BlobStore, CorruptBlob, sha256_hex


@pytest.fixture
def store(tmp_path):
    return BlobStore(tmp_path / "blobs")


def test_put_stores_by_sha256_read_only(store):
    digest = store.put(b"hello")
    assert digest == sha256_hex(b"hello")
    path = store.path(digest)
    assert path == store.root / digest[:2] / digest
    assert path.read_bytes() == b"hello"
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert list(store.tmp.iterdir()) == []


def test_same_bytes_are_one_blob_and_never_rewritten(store):
    digest = store.put(b"same")
    before = store.path(digest).stat().st_ino
    assert store.put(b"same") == digest
    assert store.path(digest).stat().st_ino == before
    assert store.digests() == {digest}


def test_read_refuses_altered_bytes(store):
    digest = store.put(b"original")
    path = store.path(digest)
    os.chmod(path, 0o644)
    path.write_bytes(b"tampered")
    with pytest.raises(CorruptBlob):
        store.read(digest)
    assert store.read(digest, verify=False) == b"tampered"


@pytest.mark.parametrize("bad", ["../../etc/passwd", "ab", "A" * 64, "g" * 64])
def test_digest_must_be_hex_so_it_cannot_name_another_path(store, bad):
    with pytest.raises(ValueError):
        store.path(bad)


def test_fsck_reports_orphans_missing_corrupt_and_temp(store):
    kept = store.put(b"kept")
    orphan = store.put(b"orphan")
    corrupt = store.put(b"corrupt")
    os.chmod(store.path(corrupt), 0o644)
    store.path(corrupt).write_bytes(b"changed")
    missing = sha256_hex(b"never written")
    (store.tmp / "half-written").write_bytes(b"x")

    report = store.fsck({kept, corrupt, missing})
    assert report.orphans == [orphan]
    assert report.missing == [missing]
    assert report.corrupt == [corrupt]
    assert report.stale_temp == ["half-written"]
    assert not report.clean
    assert store.exists(orphan)  # reporting alone deletes nothing


def test_fsck_delete_removes_only_orphans_and_temp(store):
    kept = store.put(b"kept")
    orphan = store.put(b"orphan")
    (store.tmp / "half-written").write_bytes(b"x")
    report = store.fsck({kept}, delete_orphans=True)
    assert sorted(report.deleted) == sorted([orphan, "tmp/half-written"])
    assert store.digests() == {kept}
    assert store.fsck({kept}).clean
