"""The direct ways out of the single-user server are closed, on the server (STYLE trap 4)."""

from __future__ import annotations

import base64
import json
import os

import pytest
from tornado.httpclient import HTTPClientError

from haven_lab.policy import CONTENT_SECURITY_POLICY

CSV_ROW = b"patient_id,region,admitted,length_of_stay\n"


async def refused(fetch, *parts, **kwargs) -> HTTPClientError:
    with pytest.raises(HTTPClientError) as caught:
        await fetch(*parts, **kwargs)
    return caught.value


@pytest.fixture
def table(workspace):
    path = workspace / "table.csv"
    path.write_bytes(CSV_ROW + b"1,north,2024-01-01,3\n")
    return path


@pytest.mark.parametrize("route", [
    ("files", "workspace", "table.csv"),
    ("view", "workspace", "table.csv"),
    ("nbconvert", "html", "workspace", "nb.ipynb"),
    ("api", "nbconvert"),
    ("lab", "api", "extensions"),
])
async def test_each_closed_route_answers_403_pointing_to_request_release(jp_fetch, table, route):
    error = await refused(jp_fetch, *route)
    assert error.code == 403
    body = error.response.body.decode()
    assert "Request release" in body
    assert "patient_id" not in body


async def test_closed_routes_refuse_post_too(jp_fetch, table):
    error = await refused(jp_fetch, "nbconvert", "html", method="POST", body=json.dumps({"cells": []}))
    assert error.code == 403


async def test_closed_routes_refuse_an_anonymous_caller_with_403_not_a_login_page(jp_fetch, table):
    error = await refused(jp_fetch, "files", "workspace", "table.csv", headers={"Authorization": ""})
    assert error.code == 403


async def test_the_file_is_still_readable_as_text_through_the_contents_api(jp_fetch, table):
    """The control: the closures leave the editor working."""
    response = await jp_fetch("api", "contents", "workspace", "table.csv", params={"type": "file", "format": "text"})
    model = json.loads(response.body)
    assert model["format"] == "text"
    assert model["content"].startswith("patient_id")


async def test_a_50_mb_csv_in_the_workspace_cannot_be_fetched_through_the_contents_api(jp_fetch, workspace):
    big = workspace / "copied_dataset.csv"
    row = b"123456,north,2024-01-01,3\n"
    with open(big, "wb") as handle:
        handle.write(CSV_ROW)
        handle.write(row * (50 * 1024 * 1024 // len(row) + 1))
    assert big.stat().st_size > 50 * 1024 * 1024
    for params in ({}, {"type": "file"}, {"type": "file", "format": "text"}, {"format": "base64"}):
        error = await refused(jp_fetch, "api", "contents", "workspace", "copied_dataset.csv", params=params)
        assert error.code == 403, params
        assert len(error.response.body) < 10_000
        assert "Request release" in json.loads(error.response.body)["message"]
    # Listing it is fine: the name and size, not the content.
    listing = json.loads((await jp_fetch("api", "contents", "workspace")).body)
    assert [c["name"] for c in listing["content"]] == ["copied_dataset.csv"]
    assert listing["content"][0]["content"] is None


async def test_base64_reads_are_refused_even_for_small_text(jp_fetch, table):
    error = await refused(jp_fetch, "api", "contents", "workspace", "table.csv",
                          params={"type": "file", "format": "base64"})
    assert error.code == 403
    assert base64.b64encode(table.read_bytes()).decode() not in error.response.body.decode()


async def test_binary_files_are_not_sent_as_base64(jp_fetch, workspace):
    (workspace / "extract.parquet").write_bytes(b"PAR1\x00\x01\x02\xff\xfe" * 100)
    error = await refused(jp_fetch, "api", "contents", "workspace", "extract.parquet")
    assert error.code == 403
    assert "binary" in json.loads(error.response.body)["message"]


async def test_the_dataset_mounts_are_refused_even_through_a_symlink(jp_fetch, workspace, data_dir):
    os.symlink(data_dir, workspace / "datasets")
    os.symlink(next((data_dir / "admissions").glob("*.parquet")), workspace / "part.parquet")
    for parts in (("datasets",), ("datasets", "admissions"), ("datasets", "admissions", "metadata.json"),
                  ("part.parquet",)):
        error = await refused(jp_fetch, "api", "contents", "workspace", *parts, params={"format": "text"})
        assert error.code == 403, parts
        assert "datasets" in json.loads(error.response.body)["message"]


async def test_a_path_outside_the_root_is_refused(jp_fetch, workspace, tmp_path):
    outside = tmp_path / "outside.csv"
    outside.write_text("secret,1\n")
    os.symlink(outside, workspace / "link.csv")
    error = await refused(jp_fetch, "api", "contents", "workspace", "link.csv", params={"format": "text"})
    assert error.code == 403
    assert "outside" in json.loads(error.response.body)["message"]
    # Jupyter's own check for '..' still answers too.
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("api", "contents", "..", "outside.csv")
    assert caught.value.code in (400, 403, 404)


async def test_cannot_write_into_the_dataset_mounts_through_a_symlink(jp_fetch, workspace, data_dir):
    os.symlink(data_dir, workspace / "datasets")
    error = await refused(jp_fetch, "api", "contents", "workspace", "datasets", "new.txt", method="PUT",
                          body=json.dumps({"type": "file", "format": "text", "content": "x"}))
    assert error.code == 403
    assert not (data_dir / "new.txt").exists()


@pytest.mark.parametrize("parts", [
    ("lab",), ("api", "contents"), ("haven", "datasets"), ("files", "x"), ("no", "such", "page"),
])
async def test_every_response_carries_the_content_security_policy(jp_fetch, table, parts):
    try:
        response = await jp_fetch(*parts)
    except HTTPClientError as error:
        response = error.response
    # JSON APIs append "default-src 'none'", which only makes it stricter.
    assert response.headers["Content-Security-Policy"].startswith(CONTENT_SECURITY_POLICY)


def test_the_policy_names_no_outside_origin():
    for directive in CONTENT_SECURITY_POLICY.split("; "):
        name, *sources = directive.split()
        assert set(sources) <= {"'self'", "'none'", "'unsafe-inline'", "'unsafe-eval'", "data:", "blob:"}, directive
        if name == "script-src":
            assert sources == ["'self'", "'unsafe-eval'"], "no inline scripts: HTML outputs' <script> must not run"
        if name in ("connect-src", "form-action", "frame-ancestors", "font-src", "frame-src"):
            assert sources == ["'self'"], directive
