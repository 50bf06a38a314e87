"""The egress service as this server calls it: with the server's own hub token.

The analyst's browser talks only to this server; this server talks to the egress
service through the project network's gateway. The token is the single-user server's
(JupyterHub's "server" role, least scopes: see hub/haven_hub/roles.py), so the analyst
never handles one, and the egress service still sees who is asking, and from which project:
the token names this server, and a server's name is its project, so requests are filed
under this project whatever a body says.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from typing import Any

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

from .workspace import Refused

# The egress API as this server uses it, spelled as egress's openapi.yaml spells it. This
# package runs in the notebook image and cannot import the service; a test holds every
# name here to that description (tests/unit/lab/test_egress_contract.py).
# SubmissionMetadata and SubmissionFile: what is sent, and why the rest is not.
SUBMISSION_FIELDS = frozenset({"title", "purpose", "files", "keep", "declared"})
FILE_FIELDS = frozenset({"path", "sha256", "media_type", "description", "controls", "kind"})
NOT_SENT = {"project": "the service files a request under this server's project, from its token"}
FILE_NOT_SENT = {"supporting": "the extension offers no way to attach evidence files yet"}
# The header that makes a retried submission return the first one's result, not a second.
IDEMPOTENCY_HEADER = "Idempotency-Key"
# Answers after which the same keyed call is sent again: the service or the proxy before it
# did not finish, so whether the first attempt was filed is unknown; the key makes it safe.
RETRIED_STATUSES = frozenset({502, 503, 504})
# Said when the service is down or restarting. Named as the review service, so the analyst
# does not read it as their own server being down (the notebook server is what answers).
REVIEW_SERVICE_DOWN = ("the review service (Haven's egress service) is not answering, perhaps because it "
                       "is restarting; your notebook server and your files are fine: try again in a minute")
# About 5 s in all: the hub brings a crashed egress service back within seconds.
RETRY_DELAYS = (0.5, 1.5, 3.0)

MEDIA_TYPES = {
    ".csv": "text/csv", ".tsv": "text/tab-separated-values", ".tab": "text/tab-separated-values",
    ".txt": "text/plain", ".md": "text/markdown", ".json": "application/json",
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".pdf": "application/pdf",
    ".html": "text/html", ".htm": "text/html", ".py": "text/x-python", ".r": "text/x-r",
    ".sql": "application/sql", ".ipynb": "application/x-ipynb+json",
}


def media_type(path: str) -> str:
    suffix = "." + path.rsplit(".", 1)[-1].lower() if "." in path else ""
    return MEDIA_TYPES.get(suffix, "application/octet-stream")


@dataclass(frozen=True)
class Part:
    """One file of a submission: its metadata entry and its bytes."""

    entry: dict[str, Any]
    content: bytes


def multipart(metadata: dict[str, Any], parts: list[Part]) -> tuple[str, bytes]:
    """The body egress's submit and preflight read: a ``metadata`` field, then ``file-<i>``."""
    boundary = f"haven-{uuid.uuid4().hex}"
    chunks = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="metadata"\r\n'
        "Content-Type: application/json\r\n\r\n".encode(),
        json.dumps(metadata).encode(),
        b"\r\n",
    ]
    for index, part in enumerate(parts):
        # The part's header carries a plain ASCII name: a file's own name may hold a newline,
        # a quote or bytes that are not UTF-8, which would break the header (the service then
        # saw no file at all). The real path travels in the JSON metadata, which the service reads.
        filename = f"file-{index}"
        chunks += [
            f'--{boundary}\r\nContent-Disposition: form-data; name="file-{index}"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n".encode(),
            part.content,
            b"\r\n",
        ]
    chunks.append(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", b"".join(chunks)


class EgressClient:
    def __init__(self, base_url: str, token: str, timeout: float) -> None:
        self.base_url = base_url
        self.token = token
        self.timeout = timeout

    async def call(self, method: str, path: str, *, json_body: Any = None,
                   body: bytes | None = None, content_type: str | None = None,
                   idempotency_key: str | None = None) -> Any:
        """The service's JSON answer; its refusals come back as Refused with its own message.

        A call with an idempotency key is sent again, with the same key, when the service's
        answer was lost or it did not finish (RETRIED_STATUSES); without one it is sent once.
        """
        delays = RETRY_DELAYS if idempotency_key else ()
        for delay in delays:
            try:
                return await self._call_once(method, path, json_body, body, content_type, idempotency_key)
            except Refused as refusal:
                if refusal.status not in RETRIED_STATUSES or not self.base_url:
                    raise
            await asyncio.sleep(delay)
        return await self._call_once(method, path, json_body, body, content_type, idempotency_key)

    async def _call_once(self, method: str, path: str, json_body: Any, body: bytes | None,
                         content_type: str | None, idempotency_key: str | None) -> Any:
        if not self.base_url:
            raise Refused(503, "this server was started without the egress service's address "
                          "(HAVEN_EGRESS_URL); ask an administrator")
        headers = {"Authorization": f"token {self.token}", "Accept": "application/json"}
        if idempotency_key:
            headers[IDEMPOTENCY_HEADER] = idempotency_key
        if json_body is not None:
            body = json.dumps(json_body).encode()
            content_type = "application/json"
        if content_type:
            headers["Content-Type"] = content_type
        if method == "POST" and body is None:
            body = b""
        request = HTTPRequest(self.base_url + path, method=method, headers=headers, body=body,
                              request_timeout=self.timeout, connect_timeout=min(self.timeout, 10))
        try:
            response = await AsyncHTTPClient().fetch(request)
        except HTTPClientError as error:
            if error.response is None:
                raise Refused(502, f"{REVIEW_SERVICE_DOWN} ({error})") from None
            raise Refused(*_refusal(error.code, error.response.body)) from None
        except OSError as error:
            raise Refused(502, f"{REVIEW_SERVICE_DOWN} ({error})") from None
        return json.loads(response.body) if response.body else {}


def action_key(sent: str | None) -> str:
    """The idempotency key of one analyst action: the browser's (one per dialog, kept when
    the analyst tries again), or a new one when it sent none."""
    if sent is None:
        return str(uuid.uuid4())
    try:
        key = uuid.UUID(sent)
    except ValueError:
        key = None
    if key is None or key.version != 4:
        raise Refused(400, f"the {IDEMPOTENCY_HEADER} header must be a random UUID (version 4)")
    return str(key)


def _refusal(code: int, body: bytes) -> tuple[int, str]:
    try:
        message = json.loads(body).get("message") or ""
    except (ValueError, AttributeError):
        message = ""
    if not message:
        # A 5xx without the service's own words is a proxy or a restart, not a refusal.
        message = REVIEW_SERVICE_DOWN if code >= 500 else f"the egress service refused the request (HTTP {code})"
    # The service's 4xx is about what was sent: pass it on. A 401 is about this server's
    # token, not the analyst's login (and would read as "logged out" in the browser), so it
    # is, like the service's own failures, a 502.
    return (code if 400 <= code < 500 and code != 401 else 502), message
