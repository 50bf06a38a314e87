"""The release bundle: the approved files plus a signed manifest of how they were approved.

``manifest.json`` names every released file with its SHA-256 and size, the reviews each
received (reviewer, decision, time; comments stay inside Haven), the request's history and
the disclosure-check results (the latest run of each file's checks) and the provenance
of the version (image, kernel packages, datasets: ``provenance``). Beside it, an
ACRO-style ``results.json`` (``acro_results.export``) lets the SACRO viewer open the release;
its SHA-256 is in the manifest, and ACRO's ``checksums/`` folder beside it (one
``<name>.txt`` per file results.json names) tells the viewer no file was modified. Evidence
and other supporting files never enter the zip.
The manifest is signed with the service's Ed25519
key (``manifest.sig``, raw 64 bytes). The public key is NOT in the bundle (whoever could
alter the bundle could swap it): it comes from the service (``api/signing-key``). A data owner verifies offline in two steps: the
signature over the manifest, then each file's checksum against the manifest.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime
from typing import Any

from . import acro_results, check_view, views
from .blobs import BlobStore, CorruptBlob, sha256_hex
from .errors import Conflict
from .models import File, Request
from .signing import Signer

FORMAT = "haven-release/1"
# ACRO's layout (results.json beside the outputs), so the SACRO viewer opens a release.
ACRO_RESULTS = "results.json"
# Step 2 checks files against the manifest just verified, never against a loose list a
# tamperer could rewrite along with the files.
VERIFY = ("1) openssl pkeyutl -verify -pubin -inkey <the key Haven publishes> -rawin -in manifest.json "
          "-sigfile manifest.sig; 2) the SHA-256 of each files/<path> equals files[].sha256")


def _time(value: datetime) -> str:
    return value.isoformat()


def manifest(request: Request, signer: Signer, released_at: datetime, generated_for: str,
             generated_at: datetime, acro_results_sha256: str | None = None) -> dict[str, Any]:
    version = request.versions[-1]
    released = [f for f in version.files if not f.supporting]
    body = {
        "format": FORMAT,
        "request": {"id": request.id, "project": request.project, "author": request.author,
                    "title": request.title, "purpose": request.purpose, "version": version.number,
                    "submitted_at": _time(version.created_at), "released_at": _time(released_at)},
        "files": [_file(f) for f in released],
        # The environment the version's files were made in (haven_egress.provenance); None
        # when it was filed before Haven recorded it.
        "provenance": version.provenance,
        "history": [{"version": e.version_number, "state": e.state, "action": e.action,
                     "actor": e.actor, "reason": e.reason, "time": _time(e.created_at)}
                    for e in request.events],
        "generated_for": generated_for,
        "generated_at": _time(generated_at),
        "signing_key_sha256": signer.fingerprint(),
        "verify": VERIFY,
    }
    if acro_results_sha256 is not None:
        # The ACRO-style summary for the SACRO viewer, bound to this signed manifest.
        body["acro_results"] = {"path": ACRO_RESULTS, "sha256": acro_results_sha256}
    return body


def _file(file: File) -> dict[str, Any]:
    return {
        "path": file.path, "sha256": file.sha256, "size": file.size, "media_type": file.media_type,
        "kind": file.kind, "description": file.description, "controls": list(file.controls),
        "check_results": check_results(file),
        "reviews": [{"reviewer": r.reviewer, "decision": r.decision, "time": _time(r.created_at)}
                    for r in file.reviews],
    }


def check_results(file: File) -> dict[str, Any]:
    """The automated checks the checkers saw: the latest run's verdict and full record."""
    if not file.check_results:
        return {"status": check_view.PENDING}
    row = file.check_results[-1]
    shown = views.checks_of(file)
    return {"status": row.status, "verdict": row.verdict, "summary": shown["summary"],
            "preset": row.preset, "parameters": row.parameters,
            "checked_at": _time(row.created_at), "error": row.error or None, "result": row.result}


def canonical(value: dict[str, Any]) -> bytes:
    """The exact bytes that are signed (sorted keys, UTF-8, a final newline)."""
    return (json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


def bundle(request: Request, blobs: BlobStore, signer: Signer, released_at: datetime,
           generated_for: str, generated_at: datetime) -> tuple[bytes, str]:
    """The zip's bytes and the manifest's SHA-256; every blob re-checked before it goes in."""
    released = [f for f in request.versions[-1].files if not f.supporting]
    acro = canonical(acro_results.export(
        # Names relative to results.json at the top of the zip, as ACRO's folder has them.
        [{"path": f"files/{f.path}", "kind": f.kind, "check_results": check_results(f)}
         for f in released],
        generated_at))
    body = manifest(request, signer, released_at, generated_for, generated_at, sha256_hex(acro))
    manifest_bytes = canonical(body)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        named = {}
        for entry in body["files"]:
            try:
                data = blobs.read(entry["sha256"])
            except (CorruptBlob, FileNotFoundError):
                raise Conflict(f"{entry['path']} no longer matches what the checkers approved") from None
            archive.writestr(f"files/{entry['path']}", data)
            named[f"files/{entry['path']}"] = data
        archive.writestr(ACRO_RESULTS, acro)
        named[ACRO_RESULTS] = acro
        # The viewer's "unmodified" proof; the signed manifest's SHA-256s stay the real one.
        for path, text in acro_results.checksums(named).items():
            archive.writestr(path, text)
        archive.writestr("manifest.json", manifest_bytes)
        archive.writestr("manifest.sig", signer.sign(manifest_bytes))
    return out.getvalue(), sha256_hex(manifest_bytes)
