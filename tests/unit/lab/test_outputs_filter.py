"""Outputs cannot navigate the page away: <meta>/<link> in rich outputs arrive inert,
through the kernel's websocket and through saved notebooks (real server, real kernel)."""

from __future__ import annotations

import json

import nbformat
import pytest
from tornado.escape import url_escape

from haven_lab.outputs_filter import inert
from tests.fixtures.kernel_messages import execute

REFRESH = '<meta http-equiv="refresh" content="0;url=http://elsewhere.example/?secret=1">'


@pytest.mark.parametrize(("markup", "expected"), [
    (REFRESH, '<haven-removed-meta http-equiv="refresh" content="0;url=http://elsewhere.example/?secret=1">'),
    ('<LINK rel="dns-prefetch" href="//secret.example">', '<haven-removed-link rel="dns-prefetch" href="//secret.example">'),
    ("< meta http-equiv=refresh>", "< haven-removed-meta http-equiv=refresh>"),
    ("<table><tr><td>metadata</td></tr></table><p>link</p>", "<table><tr><td>metadata</td></tr></table><p>link</p>"),
    ("<metadata>", "<metadata>"),
])
def test_only_meta_and_link_tags_are_made_inert(markup, expected):
    assert inert(markup) == expected


async def test_a_saved_notebook_arrives_with_inert_meta_and_its_file_unchanged(jp_fetch, workspace):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x", outputs=[nbformat.v4.new_output(
        "display_data", data={"text/html": [REFRESH, "<b>ok</b>"], "text/markdown": REFRESH})])]
    (workspace / "n.ipynb").write_text(nbformat.writes(nb))
    model = json.loads((await jp_fetch("api", "contents", "workspace", "n.ipynb")).body)
    data = model["content"]["cells"][0]["outputs"][0]["data"]
    text = json.dumps(data)
    assert "<meta" not in text and "haven-removed-meta" in text and "<b>ok</b>" in text
    on_disk = nbformat.read(workspace / "n.ipynb", as_version=4)
    assert on_disk.cells[0].outputs[0].data["text/markdown"] == REFRESH


async def test_kernel_output_arrives_with_inert_meta(jp_fetch, jp_ws_fetch):
    kernel = json.loads((await jp_fetch("api", "kernels", method="POST", body=json.dumps({"name": "python3"}))).body)
    try:
        socket = await jp_ws_fetch("api", "kernels", kernel["id"], "channels")
        code = f"from IPython.display import HTML, display; display(HTML({REFRESH!r}))"
        message_id = await execute(socket, code)
        html = None
        for _ in range(200):
            message = json.loads(await socket.read_message())
            if message.get("parent_header", {}).get("msg_id") != message_id:
                continue
            if message["msg_type"] == "display_data":
                html = message["content"]["data"]["text/html"]
                break
            if message["msg_type"] == "error":
                pytest.fail(message["content"]["evalue"])
        socket.close()
        assert html is not None, "no display_data arrived"
        assert "<meta" not in html and html.startswith("<haven-removed-meta")
    finally:
        await jp_fetch("api", "kernels", url_escape(kernel["id"]), method="DELETE")
