"""Uploads from the browser into the project: closed, or limited to small text files.

JupyterLab's file browser uploads with ``PUT /api/contents/<path>`` and a model of
``type: file, format: base64`` (in ``chunk``-numbered pieces for large files). That is a way
in that no one reviews, so the contents manager refuses it and points to the ingress page,
where a checker approves what comes in (docs/ingress.md). A setting
(``egress.ingress.lab_upload_max_size``, passed to the server as ``HAVEN_LAB_UPLOAD_MAX_SIZE``)
may let small UTF-8 text files through; each one is recorded in the egress audit chain
(``record``) before it is written, and refused if it cannot be.

Saving a notebook (``type: notebook``) or a text file from the editor (``format: text``)
is not an upload and is untouched: what an analyst types or pastes is theirs to save.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from tornado import web
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

INGRESS_HINT = ("Files come into a Haven project through an ingress request, which a checker "
                "approves: open {url} (from the hub, outside JupyterLab).")


@dataclass(frozen=True)
class Upload:
    path: str
    size: int
    sha256: str


def is_upload(model: dict[str, Any]) -> bool:
    """Whether a save is the browser sending a file's bytes rather than the editor's text."""
    return model.get("chunk") is not None or model.get("format") == "base64"


def refused(path: str, why: str, ingress_url: str) -> web.HTTPError:
    return web.HTTPError(403, f"{path}: {why}. {INGRESS_HINT.format(url=ingress_url)}",
                         reason="Upload refused by Haven")


def check_upload(model: dict[str, Any], path: str, max_size: int, ingress_url: str) -> Upload:
    """The upload, if the settings allow it; otherwise a 403 saying where files come in."""
    if max_size <= 0:
        raise refused(path, "uploads into the project are closed", ingress_url)
    if model.get("chunk") is not None:
        raise refused(path, f"only small text files (at most {max_size:,} bytes) may be uploaded here", ingress_url)
    try:
        data = base64.b64decode(model.get("content") or "", validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise web.HTTPError(400, f"{path}: the upload is not valid base64") from None
    if len(data) > max_size:
        raise refused(path, f"{len(data):,} bytes is over the {max_size:,}-byte limit for uploads here", ingress_url)
    if b"\x00" in data:
        raise refused(path, "only text files may be uploaded here (this one holds NUL bytes)", ingress_url)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise refused(path, "only UTF-8 text files may be uploaded here", ingress_url) from None
    return Upload(path, len(data), hashlib.sha256(data).hexdigest())


LAB_UPLOADS_PATH = "api/ingress/lab-uploads"


async def record(upload: Upload, egress_url: str, token: str, ingress_url: str, timeout: float = 30) -> None:
    """Record the upload in the egress audit chain, with the server's own token (the service
    files it under this server's project), before a byte is written: unrecorded, refused."""
    if not egress_url:
        raise refused(upload.path, "this server has no egress service to record uploads with", ingress_url)
    request = HTTPRequest(egress_url + LAB_UPLOADS_PATH, method="POST", request_timeout=timeout,
                          headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
                          body=json.dumps({"path": upload.path, "size": upload.size, "sha256": upload.sha256}))
    try:
        await AsyncHTTPClient().fetch(request)
    except HTTPClientError as error:
        said = ""
        if error.response is not None:
            try:
                said = json.loads(error.response.body or b"{}").get("message", "")
            except ValueError:
                said = ""
        raise refused(upload.path, f"the upload could not be recorded ({said or error.code})", ingress_url) from None
    except OSError as error:
        raise refused(upload.path, f"the upload could not be recorded ({error})", ingress_url) from None
