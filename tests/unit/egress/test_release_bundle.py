"""Release bundles: signed manifests that a data owner verifies OFFLINE with openssl."""

import hashlib
import io
import json
import os
import stat
import subprocess
import zipfile

import pytest

from haven_egress import audit
from haven_egress.errors import Conflict, Forbidden
from haven_egress.models import audit_events
from haven_egress.signing import PRIVATE, Signer
from haven_egress.workflow import State

from .factories import AUTHOR, CHECKER, CO_MEMBER, create_request_at_status


def unpack(data: bytes, into) -> dict:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(into)
        return {name: archive.read(name) for name in archive.namelist()}


def openssl_verifies(folder, public_pem: bytes) -> bool:
    (folder / "pub.pem").write_bytes(public_pem)
    result = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-rawin",
                             "-in", "manifest.json", "-sigfile", "manifest.sig"],
                            cwd=folder, capture_output=True, text=True)
    return result.returncode == 0 and "Signature Verified Successfully" in result.stdout


def checksums_match(folder) -> bool:
    """The files against the manifest's checksums, with coreutils' sha256sum."""
    manifest = json.loads((folder / "manifest.json").read_text())
    listing = "".join(f"{f['sha256']}  {f['path']}\n" for f in manifest["files"])
    return subprocess.run(["sha256sum", "--check", "--strict", "--quiet"], cwd=folder / "files",
                          input=listing, capture_output=True, text=True).returncode == 0


def test_a_bundle_verifies_offline_and_one_changed_byte_fails(service, signer, tmp_path):
    request_id = create_request_at_status(service, State.RELEASED)
    entries = unpack(service.bundle(AUTHOR, request_id), tmp_path)
    assert set(entries) == {"manifest.json", "manifest.sig", "files/out/table.csv", "files/out/figure.png",
                            "results.json", "checksums/files/out/table.csv.txt",
                            "checksums/files/out/figure.png.txt", "checksums/results.json.txt"}
    manifest = json.loads(entries["manifest.json"])
    assert manifest["acro_results"]["sha256"] == hashlib.sha256(entries["results.json"]).hexdigest()
    assert [f["path"] for f in manifest["files"]] == ["out/table.csv", "out/figure.png"]  # no supporting file
    table = manifest["files"][0]
    assert {(r["reviewer"], r["decision"]) for r in table["reviews"]} == {("cara", "approve"), ("dan", "approve")}
    assert [e["state"] for e in manifest["history"]][-1] == "released"
    assert manifest["signing_key_sha256"] == signer.fingerprint()
    assert openssl_verifies(tmp_path, signer.public_pem()) and checksums_match(tmp_path)

    # One byte of a file: the signature still holds, the checksum check fails.
    figure = tmp_path / "files/out/figure.png"
    original = figure.read_bytes()
    figure.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
    assert openssl_verifies(tmp_path, signer.public_pem()) and not checksums_match(tmp_path)
    figure.write_bytes(original)
    # One byte of the manifest: the signature fails.
    raw = (tmp_path / "manifest.json").read_bytes()
    (tmp_path / "manifest.json").write_bytes(raw.replace(b'"out/table.csv"', b'"out/tablf.csv"', 1))
    assert not openssl_verifies(tmp_path, signer.public_pem())
    # And another key does not verify the original.
    (tmp_path / "manifest.json").write_bytes(raw)
    assert openssl_verifies(tmp_path, signer.public_pem())
    assert not openssl_verifies(tmp_path, Signer.load_or_create(tmp_path / "other").public_pem())


def test_bundles_are_audited_and_only_for_released_requests(service):
    approved = create_request_at_status(service, State.APPROVED)
    with pytest.raises(Conflict, match="is approved"):
        service.bundle(AUTHOR, approved)
    released = create_request_at_status(service, State.RELEASED)
    with pytest.raises(Forbidden):
        service.bundle(CO_MEMBER, released)
    with pytest.raises(Forbidden):
        service.bundle(CHECKER, released)
    service.bundle(AUTHOR, released)
    with service.sessions() as session:
        events = [e for e in audit.read(session, audit_events, f"request/{released}") if e.action == "egress.bundle"]
    assert [e.actor for e in events] == ["alice"] and len(events[0].details["manifest_sha256"]) == 64


def test_a_bundle_with_an_altered_blob_is_refused(service, blobs):
    request_id = create_request_at_status(service, State.RELEASED)
    digest = service.get_request(AUTHOR, request_id).versions[0].files[0].sha256
    os.chmod(blobs.path(digest), 0o644)
    blobs.path(digest).write_bytes(b"group,count\na,1\n")
    with pytest.raises(Conflict, match="no longer matches"):
        service.bundle(AUTHOR, request_id)


def test_the_key_is_made_once_private_and_kept_across_restarts(tmp_path):
    first = Signer.load_or_create(tmp_path / "signing")
    assert stat.S_IMODE((tmp_path / "signing" / PRIVATE).stat().st_mode) == 0o600
    again = Signer.load_or_create(tmp_path / "signing")
    assert again.public_pem() == first.public_pem() and again.fingerprint() == first.fingerprint()


def test_download_names_are_the_files_own_reduced_to_safe_characters():
    from haven_egress.web.handlers import attachment_name

    assert attachment_name("out/table 1.csv", 7) == "table_1.csv"
    assert attachment_name('a/"; evil=.csv', 7) == "evil_.csv"
    assert attachment_name("../..", 7) == "haven-file-7"
    assert len(attachment_name("x" * 500 + ".csv", 7)) == 120
