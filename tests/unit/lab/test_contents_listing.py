"""A folder listing survives an entry that vanishes while it is being listed (a rename by
a notebook's first save racing the file browser's refresh), and an entry the server refuses
(a symlink to the datasets or out of the root), through the real server."""

import json
import os

import pytest
from tornado.httpclient import HTTPClientError

from tests.fixtures.lab_server import *  # noqa: F403  (a Jupyter server with haven-lab, jp_fetch)


async def test_an_entry_renamed_during_a_listing_does_not_hide_the_folder(jp_fetch, jp_serverapp, workspace):
    (workspace / "Untitled.ipynb").write_text(json.dumps({"cells": [], "metadata": {}, "nbformat": 4,
                                                           "nbformat_minor": 5}))
    manager = jp_serverapp.contents_manager
    read_entry = type(manager).get
    renamed = []

    async def rename_first(self, path, content=True, **kwargs):
        # Exactly the race: the listing has seen the name, then the file is renamed.
        if path.strip("/") == "workspace/Untitled.ipynb" and not content and not renamed:
            (workspace / "Untitled.ipynb").rename(workspace / "analysis.ipynb")
            renamed.append(path)
        return await read_entry(self, path, content=content, **kwargs)

    manager.get = rename_first.__get__(manager)
    try:
        response = await jp_fetch("api", "contents", "workspace", method="GET")
    finally:
        del manager.get
    assert renamed, "the race was not exercised"
    names = [entry["name"] for entry in json.loads(response.body)["content"]]
    assert names == ["analysis.ipynb"]


async def test_a_folder_that_is_gone_is_still_not_found(jp_fetch, workspace):
    with pytest.raises(HTTPClientError) as answer:
        await jp_fetch("api", "contents", "workspace", "nowhere", method="GET")
    assert answer.value.code == 404


async def test_a_refused_entry_is_left_out_and_its_folder_still_lists(jp_fetch, workspace, data_dir, tmp_path):
    # An analyst's own link to the datasets once made Lab's file browser unable to open the
    # whole workspace: the listing asked for each entry and the refusal of one failed them all.
    (workspace / "table.csv").write_text("region,count\nnorth,15\n")
    outside = tmp_path / "outside.csv"
    outside.write_text("secret,1\n")
    os.symlink(data_dir, workspace / "datasets")
    os.symlink(outside, workspace / "link.csv")
    for listing in ((), {"content": "1"}):
        response = await jp_fetch("api", "contents", "workspace", method="GET", params=dict(listing))
        assert [entry["name"] for entry in json.loads(response.body)["content"]] == ["table.csv"]
    # Asked for by name, each is still refused, with or without its content.
    for name in ("datasets", "link.csv"):
        for params in ({"content": "0"}, {"format": "text"}):
            with pytest.raises(HTTPClientError) as answer:
                await jp_fetch("api", "contents", "workspace", name, params=params)
            assert answer.value.code == 403, (name, params)
