"""The file browser's upload route is closed (the image's default), through the real server:
base64 and chunked uploads are refused with a pointer to the ingress page; saving notebooks
and text files, and making new ones, keep working."""

from __future__ import annotations

import base64
import json

import pytest
from tornado.httpclient import HTTPClientError

CODES = b"code,term\nE11,Type 2 diabetes\n"
NOTEBOOK = {"cells": [{"cell_type": "markdown", "id": "a1", "metadata": {}, "source": "# analysis"}],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


async def put(jp_fetch, name: str, model: dict):
    return await jp_fetch("api", "contents", "workspace", name, method="PUT", body=json.dumps(model))


def upload(content: bytes, **extra) -> dict:
    return {"type": "file", "format": "base64", "content": base64.b64encode(content).decode(), **extra}


@pytest.mark.parametrize(("name", "model"), [
    ("codes.csv", upload(CODES)),
    ("tool.bin", upload(b"\x7fELF\x00\x00")),
    ("big.csv", upload(CODES, chunk=1)),
    ("big.csv", upload(CODES, chunk=-1)),
    ("codes.csv", {"type": "file", "format": "base64", "content": "not base64!"}),
], ids=["text", "binary", "first-chunk", "last-chunk", "bad-base64"])
async def test_uploads_are_refused_and_point_to_the_ingress_page(jp_fetch, workspace, name, model):
    with pytest.raises(HTTPClientError) as refused:
        await put(jp_fetch, name, model)
    assert refused.value.code == 403
    message = json.loads(refused.value.response.body)["message"]
    assert "uploads into the project are closed" in message and "/services/egress/ingress" in message
    assert not (workspace / name).exists()


async def test_saving_a_notebook_and_a_text_file_still_works(jp_fetch, workspace):
    saved = await put(jp_fetch, "analysis.ipynb", {"type": "notebook", "format": "json", "content": NOTEBOOK})
    assert saved.code in (200, 201)
    assert json.loads((workspace / "analysis.ipynb").read_text())["cells"][0]["source"] in ("# analysis", ["# analysis"])
    edited = await put(jp_fetch, "notes.md", {"type": "file", "format": "text", "content": "# notes\n"})
    assert edited.code in (200, 201) and (workspace / "notes.md").read_text() == "# notes\n"
    created = await jp_fetch("api", "contents", "workspace", method="POST", body=json.dumps({"type": "file", "ext": ".py"}))
    assert created.code == 201 and (workspace / json.loads(created.body)["name"]).exists()
