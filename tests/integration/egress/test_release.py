"""Release over HTTP: the signed bundle verifies offline; checker views are audited."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile

import pytest

from .client import FIGURE, TABLE, audit_trail, sha256

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure")]


def test_the_release_bundle_verifies_offline_with_the_published_key(egress, tmp_path):
    request_id = egress.create_request_at("released")
    response = egress.call("GET", f"api/requests/{request_id}/bundle", "ada")
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/zip"
    key = egress.call("GET", "api/signing-key", "ada")
    assert key.status_code == 200 and key.content.startswith(b"-----BEGIN PUBLIC KEY-----")
    (tmp_path / "pub.pem").write_bytes(key.content)
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        archive.extractall(tmp_path)
    assert (tmp_path / "files/out/table.csv").read_bytes() == TABLE
    assert (tmp_path / "files/out/figure.png").read_bytes() == FIGURE
    verify = ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-rawin",
              "-in", "manifest.json", "-sigfile", "manifest.sig"]
    assert subprocess.run(verify, cwd=tmp_path, capture_output=True).returncode == 0
    manifest = (tmp_path / "manifest.json").read_bytes()
    assert sha256(TABLE).encode() in manifest and sha256(FIGURE).encode() in manifest
    (tmp_path / "manifest.json").write_bytes(manifest.replace(b"ada", b"adb", 1))
    assert subprocess.run(verify, cwd=tmp_path, capture_output=True).returncode != 0


def test_bundles_are_for_the_author_of_a_released_request(egress):
    approved = egress.create_request_at("approved")
    assert egress.call("GET", f"api/requests/{approved}/bundle", "ada").status_code == 409
    released = egress.create_request_at("released")
    assert egress.call("GET", f"api/requests/{released}/bundle", "carol").status_code == 403
    assert egress.call("GET", f"api/requests/{released}/bundle", "bob").status_code == 404


def test_a_checker_opening_a_file_is_audited_and_an_analyst_cannot(egress, egress_data_dir):
    request_id = egress.create_request_at("under_review")
    file_id = egress.detail("carol", request_id)["versions"][0]["files"][0]["id"]
    response = egress.call("GET", f"api/files/{file_id}/content", "carol")
    assert response.status_code == 200 and response.content == TABLE
    assert ("carol", "egress.view") in audit_trail(egress_data_dir, request_id)
    assert egress.call("GET", f"api/files/{file_id}/content", "ada").status_code == 403
    assert egress.call("GET", f"api/files/{file_id}/content", "grace").status_code == 403  # a member


def test_the_live_audit_chain_verifies_with_the_operators_command(egress, haven_hub):
    egress.create_request_at("released")
    result = subprocess.run([sys.executable, "-m", "haven_cli", "audit", "verify",
                             "--settings", str(haven_hub.settings_path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "egress:" in result.stdout and "chain intact" in result.stdout
