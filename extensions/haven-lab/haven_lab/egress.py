"""The egress service as this server calls it: with the server's own hub token.

The analyst's browser talks only to this server; this server talks to the egress
service through the project network's gateway. The token is the single-user server's
(JupyterHub's "server" role, least scopes: see hub/haven_hub/roles.py), so the analyst
never handles one, and the egress service still sees who is asking, and from which project:
the token names this server, and a server's name is its project, so requests are filed
under this project whatever a body says.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

from .workspace import Refused

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
        filename = part.entry["path"].rsplit("/", 1)[-1].replace('"', "_") or "file"
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
                   body: bytes | None = None, content_type: str | None = None) -> Any:
        """The service's JSON answer; its refusals come back as Refused with its own message."""
        if not self.base_url:
            raise Refused(503, "this server was started without the egress service's address "
                          "(HAVEN_EGRESS_URL); ask an administrator")
        headers = {"Authorization": f"token {self.token}", "Accept": "application/json"}
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
                raise Refused(502, f"the egress service did not answer ({error})") from None
            raise Refused(*_refusal(error.code, error.response.body)) from None
        except OSError as error:
            raise Refused(502, f"the egress service cannot be reached: {error}") from None
        return json.loads(response.body) if response.body else {}


def _refusal(code: int, body: bytes) -> tuple[int, str]:
    try:
        message = json.loads(body).get("message") or ""
    except (ValueError, AttributeError):
        message = ""
    message = message or f"the egress service refused the request (HTTP {code})"
    # The service's 4xx is about what was sent: pass it on. A 401 is about this server's
    # token, not the analyst's login (and would read as "logged out" in the browser), so it
    # is, like the service's own failures, a 502.
    return (code if 400 <= code < 500 and code != 401 else 502), message
