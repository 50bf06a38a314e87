"""With ``egress.ingress.lab_upload_max_size`` set, small UTF-8 text files may be uploaded, and
each is recorded with the egress service before it is written; anything larger, binary or
chunked is still refused, and so is an upload the service does not record.

The egress service here is a stand-in on a real socket (it is another process, behind the
hub's OAuth); what the server sends it is held to the service's OpenAPI description, and
the service's own side of the record is tested in ../test_lab_upload_record.py.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import threading

import pytest
import yaml
from tornado import httpserver, web
from tornado.httpclient import HTTPClientError
from tornado.netutil import bind_sockets

from haven_egress.web.openapi import SOURCE

LIMIT = 64
CODES = b"code,term\nE11,Type 2 diabetes\n"


class Recorder:
    def __init__(self) -> None:
        self.seen: list[dict] = []
        self.status = 201


@pytest.fixture
def recorder():
    recorder = Recorder()

    class Handler(web.RequestHandler):
        def post(self, path: str) -> None:
            recorder.seen.append({"path": path, "body": json.loads(self.request.body),
                                  "authorization": self.request.headers.get("Authorization", "")})
            self.set_status(recorder.status)
            self.finish({"recorded": True} if recorder.status == 201 else
                        {"status": recorder.status, "message": "uploads through JupyterLab are closed"})

    loop, started, port = asyncio.new_event_loop(), threading.Event(), []

    def serve() -> None:
        asyncio.set_event_loop(loop)
        server = httpserver.HTTPServer(web.Application([(r"/services/egress/(.*)", Handler)]))
        [sock] = bind_sockets(0, "127.0.0.1")
        server.add_sockets([sock])
        port.append(sock.getsockname()[1])
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    started.wait(5)
    recorder.url = f"http://127.0.0.1:{port[0]}/services/egress/"
    yield recorder
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


@pytest.fixture
def jp_server_config(jp_server_config, recorder, monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "server-token")
    jp_server_config.HavenContentsManager.max_upload_size = LIMIT
    jp_server_config.HavenContentsManager.egress_url = recorder.url
    return jp_server_config


async def put(jp_fetch, name: str, content: bytes, **extra):
    model = {"type": "file", "format": "base64", "content": base64.b64encode(content).decode(), **extra}
    return await jp_fetch("api", "contents", "workspace", name, method="PUT", body=json.dumps(model))


async def test_a_small_text_file_is_recorded_then_uploaded(jp_fetch, workspace, recorder):
    response = await put(jp_fetch, "codes.csv", CODES)
    assert response.code in (200, 201)
    assert (workspace / "codes.csv").read_bytes() == CODES
    assert recorder.seen == [{"path": "api/ingress/lab-uploads", "authorization": "token server-token",
                              "body": {"path": "workspace/codes.csv", "size": len(CODES),
                                       "sha256": hashlib.sha256(CODES).hexdigest()}}]
    # What was sent is what the service describes (every field, no other).
    schema = yaml.safe_load(SOURCE.read_text())["paths"]["/api/ingress/lab-uploads"]["post"]
    fields = schema["requestBody"]["content"]["application/json"]["schema"]
    assert set(recorder.seen[0]["body"]) == set(fields["properties"]) == set(fields["required"])


async def test_an_upload_the_service_does_not_record_is_not_written(jp_fetch, workspace, recorder):
    recorder.status = 403
    with pytest.raises(HTTPClientError) as refused:
        await put(jp_fetch, "codes.csv", CODES)
    assert refused.value.code == 403
    assert "could not be recorded (uploads through JupyterLab are closed)" in refused.value.response.body.decode()
    assert not (workspace / "codes.csv").exists()


@pytest.mark.parametrize(("content", "extra", "words"), [
    (b"x" * (LIMIT + 1), {}, "over the 64-byte limit"),
    (b"\x89PNG\r\n\x1a\n\x00", {}, "only text files"),
    (b"caf\xe9", {}, "only UTF-8 text"),
    (CODES, {"chunk": 1}, "only small text files"),
])
async def test_large_binary_or_chunked_uploads_are_still_refused(jp_fetch, workspace, recorder, content, extra,
                                                                 words):
    with pytest.raises(HTTPClientError) as refused:
        await put(jp_fetch, "upload.csv", content, **extra)
    assert refused.value.code == 403
    assert words in json.loads(refused.value.response.body)["message"]
    assert not (workspace / "upload.csv").exists() and recorder.seen == []
