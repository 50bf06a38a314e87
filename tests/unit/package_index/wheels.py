"""Tiny pure-Python wheels made in memory, and a PEP 691 package source serving them on loopback.

The source stands in for PyPI, the one outside party the package index talks to (and only when
an administrator adds a release): the real PyPI is reached once, in the integration test.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from io import BytesIO
from zipfile import ZIP_DEFLATED, ZipFile


def make_wheel(name: str, version: str, body: str = "", requires: tuple[str, ...] = ()) -> tuple[str, bytes]:
    """(file name, bytes) of an installable wheel of one module ``<name>`` (name with _ for -)."""
    module = name.replace("-", "_")
    dist_info = f"{module}-{version}.dist-info"
    files = {
        f"{module}/__init__.py": body or f"VERSION = {version!r}\n",
        f"{dist_info}/METADATA": "Metadata-Version: 2.1\nName: " + name + "\nVersion: " + version + "\n"
                                 + "".join(f"Requires-Dist: {r}\n" for r in requires),
        f"{dist_info}/WHEEL": "Wheel-Version: 1.0\nGenerator: haven-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    files[f"{dist_info}/RECORD"] = "\n".join(record + [f"{dist_info}/RECORD,,"]) + "\n"
    buffer = BytesIO()
    with ZipFile(buffer, "w", ZIP_DEFLATED) as wheel:
        for path, text in files.items():
            wheel.writestr(path, text)
    return f"{module}-{version}-py3-none-any.whl", buffer.getvalue()


@dataclass
class Source:
    """What the fake source publishes: project -> [(file name, bytes served, sha256 published)]."""

    url: str = ""
    projects: dict[str, list[tuple[str, bytes, str]]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    def publish(self, project: str, filename: str, content: bytes, published_sha256: str | None = None) -> None:
        digest = published_sha256 if published_sha256 is not None else hashlib.sha256(content).hexdigest()
        self.projects.setdefault(project, []).append((filename, content, digest))


@contextmanager
def package_source() -> Iterator[Source]:
    source = Source()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # quiet
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            source.requests.append(self.path)
            parts = self.path.strip("/").split("/")
            if parts[0] == "simple" and len(parts) == 2 and parts[1] in source.projects:
                body = json.dumps({"meta": {"api-version": "1.1"}, "name": parts[1], "files": [
                    {"filename": f, "url": f"../../files/{f}", "hashes": {"sha256": h} if h else {}}
                    for f, _c, h in source.projects[parts[1]]]}).encode()
                self._send(body, "application/vnd.pypi.simple.v1+json")
                return
            if parts[0] == "files" and len(parts) == 2:
                for files in source.projects.values():
                    for filename, content, _h in files:
                        if filename == parts[1]:
                            self._send(content, "application/octet-stream")
                            return
            self.send_error(404)

        def _send(self, body: bytes, kind: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    source.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield source
    finally:
        server.shutdown()
        thread.join(10)
