"""What the lab declares with a request, and a returned notebook resubmitted from its .ipynb.

The lab's endpoints run in a real Jupyter server (jp_fetch); the egress service is a
recording stand-in on loopback that answers as the service would (the real service is in
tests/integration/provenance).
"""

from __future__ import annotations

import asyncio
import json
import threading
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any

import nbformat
import pytest
from tornado import httpserver, web
from tornado.httpclient import HTTPClientError
from tornado.netutil import bind_sockets

from haven_lab import environment

REQUEST_ID = "1" * 32


def test_user_installed_packages_are_read_from_the_user_site(tmp_path):
    site = environment.user_site({"PYTHONUSERBASE": str(tmp_path / "base")})
    assert site is not None and str(site).startswith(str(tmp_path / "base"))
    dist = site / "tableone-0.9.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: tableone\nVersion: 0.9.1\n")
    odd = site / "odd-1.dist-info"
    odd.mkdir()
    (odd / "METADATA").write_text("Metadata-Version: 2.1\nName: odd name\nVersion: 1 beta\n")
    # Left out rather than sent: the service would refuse the whole request for it.
    assert environment.user_packages(site) == {"tableone": "0.9.1"}
    assert environment.user_site({}) is None
    assert environment.user_packages(None) == {} == environment.user_packages(tmp_path / "absent")


def test_only_files_sent_under_another_name_are_declared_as_made_from_another():
    declared = environment.declared([("w/a.html", "w/a.ipynb"), ("w/t.csv", "w/t.csv")], None)
    assert declared == {"user_packages": {}, "sources": {"w/a.html": "w/a.ipynb"}}


def test_a_sent_path_goes_back_to_its_declared_source_else_to_the_notebook_beside_it():
    there = {"w/a.ipynb", "w/b.ipynb", "w/b.html", "w/c.html"}.__contains__
    sources = {"w/b.html": "w/b.ipynb"}
    assert environment.source_of("w/b.html", sources, there) == "w/b.ipynb"  # declared wins over a stale .html
    assert environment.source_of("w/a.html", {}, there) == "w/a.ipynb"  # filed before sources were declared
    assert environment.source_of("w/c.html", {}, there) == "w/c.html"  # an HTML output of its own
    assert environment.source_of("w/t.csv", {}, there) == "w/t.csv"


class StandIn:
    """The egress service's answers for one returned notebook request; keeps what was sent."""

    def __init__(self, sources: dict[str, str]) -> None:
        self.sources = sources
        self.seen: list[tuple[str, str, dict[str, str], bytes]] = []

    def request(self) -> dict[str, Any]:
        provenance = {"format": "haven-provenance/1", "server": "ada/alpha", "hub": None, "hub_missing": "",
                      "declared_by_server": {"user_packages": {}, "sources": self.sources}} if self.sources else None
        return {"id": REQUEST_ID, "project": "alpha", "author": "ada", "title": "t", "purpose": "p",
                "state": "returned", "version": 1, "history": [], "comments": [],
                "versions": [{"number": 1, "provenance": provenance, "files": [
                    {"id": 1, "path": "workspace/analysis.html", "sha256": "0" * 64, "size": 1,
                     "media_type": "text/html", "description": "", "kind": "notebook", "controls": []}]}]}

    def answer(self, handler: web.RequestHandler) -> None:
        self.seen.append((handler.request.method, handler.request.path, dict(handler.request.headers),
                          handler.request.body))
        handler.finish(json.dumps(self.request()))


@pytest.fixture(params=["declared", "before-sources-were-declared"])
def stand_in(request):
    recorder = StandIn({"workspace/analysis.html": "workspace/analysis.ipynb"} if request.param == "declared" else {})

    class Handler(web.RequestHandler):
        def get(self, _: str) -> None:
            recorder.answer(self)

        post = get

    loop = asyncio.new_event_loop()
    started, port = threading.Event(), []

    def serve() -> None:
        asyncio.set_event_loop(loop)
        server = httpserver.HTTPServer(web.Application([(r"/(.*)", Handler)]))
        [socket] = bind_sockets(0, "127.0.0.1")
        server.add_sockets([socket])
        port.append(socket.getsockname()[1])
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    started.wait(5)
    yield recorder, f"http://127.0.0.1:{port[0]}/"
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


@pytest.fixture
def egress_url(stand_in) -> str:
    return stand_in[1]


def sent_parts(headers: dict[str, str], body: bytes) -> dict[str, bytes]:
    head = f"Content-Type: {headers['Content-Type']}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    return {part.get_param("name", header="content-disposition"): part.get_payload(decode=True)
            for part in message.iter_parts()}


def notebook(text: str) -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("print(total)", outputs=[
        nbformat.v4.new_output("stream", name="stdout", text=text)])]
    return nbformat.writes(nb)


async def test_a_returned_notebook_is_resubmitted_from_its_ipynb_rendered_again(jp_fetch, stand_in, workspace: Path):
    recorder, _ = stand_in
    (workspace / "analysis.ipynb").write_text(notebook("admissions, rounded to 5: 70\n"))
    # What the panel sends back: the path the egress service knows, the rendered .html.
    body = {"title": "", "purpose": "", "note": "rounded",
            "files": [{"path": "workspace/analysis.html", "kind": "notebook", "description": "how", "controls": []}]}
    try:
        response = await jp_fetch("haven", "requests", REQUEST_ID, "resubmit", method="POST", body=json.dumps(body))
    except HTTPClientError as error:
        response = error.response
    assert response.code == 200, response.body
    [(_, _, headers, sent)] = [s for s in recorder.seen if s[1].endswith("/resubmit")]
    parts = sent_parts(headers, sent)
    metadata = json.loads(parts["metadata"])
    assert [f["path"] for f in metadata["files"]] == ["workspace/analysis.html"]
    assert metadata["files"][0]["media_type"] == "text/html"
    assert b"admissions, rounded to 5: 70" in parts["file-0"]  # the notebook as it is now, rendered
    assert metadata["declared"]["sources"] == {"workspace/analysis.html": "workspace/analysis.ipynb"}


@pytest.mark.parametrize("stand_in", ["declared"], indirect=True)
async def test_a_file_that_is_neither_there_nor_a_rendered_notebook_is_still_refused(jp_fetch, stand_in, workspace):
    body = {"files": [{"path": "workspace/gone.csv"}]}
    with pytest.raises(HTTPClientError) as refused:
        await jp_fetch("haven", "requests", REQUEST_ID, "resubmit", method="POST", body=json.dumps(body))
    assert refused.value.code == 404
    assert "no such file" in json.loads(refused.value.response.body)["message"]
    assert not [s for s in stand_in[0].seen if s[1].endswith("/resubmit")]
