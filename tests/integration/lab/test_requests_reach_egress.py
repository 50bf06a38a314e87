"""The extension's release-request endpoints against the real egress service.

A Jupyter server on the host runs haven-lab with the image's config (jp_fetch, real HTTP),
pointed at the test hub's egress service with a token ada made; what arrives is read back
through the egress API as a checker sees it.
"""

from __future__ import annotations

import hashlib
import json

import nbformat
import pytest
from tornado.httpclient import HTTPClientError

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("analyst_token", "hub_log_on_failure")]

TABLE = b"region,admissions\nnorth,15\nsouth,20\neast,35\n"
SECRET_CODE = "secret_query = 'select * from admissions'"


async def call(fetch, *parts, method="GET", body=None):
    try:
        response = await fetch(*parts, method=method, body=None if body is None else json.dumps(body))
    except HTTPClientError as error:
        response = error.response
    return response.code, json.loads(response.body or b"{}")


@pytest.fixture
def outputs(workspace):
    (workspace / "table.csv").write_bytes(TABLE)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(SECRET_CODE, outputs=[nbformat.v4.new_output(
        "stream", name="stdout", text="admissions by region: 70 in total\n")])]
    (workspace / "analysis.ipynb").write_text(nbformat.writes(nb))
    return workspace


def released_content(egress, file_id: int) -> bytes:
    response = egress.call("GET", f"api/files/{file_id}/content", "carol")
    assert response.status_code == 200, response.text
    return response.content


async def test_a_request_arrives_with_its_checksums_and_the_notebook_as_html(jp_fetch, egress, outputs):
    code, created = await call(jp_fetch, "haven", "requests", method="POST", body={
        "title": "Admissions by region", "purpose": "Table 1 of the paper", "include_code": False,
        "files": [
            {"path": "workspace/table.csv", "description": "counts", "kind": "frequency_table",
             "controls": ["no cell below 10"]},
            {"path": "workspace/analysis.ipynb", "description": "how it was made"},
        ]})
    assert code == 201, created
    assert created["state"] == "submitted" and created["author"] == "ada" and created["project"] == "alpha"

    detail = egress.detail("carol", created["id"])
    files = {f["path"]: f for f in detail["versions"][-1]["files"]}
    assert sorted(files) == ["workspace/analysis.html", "workspace/table.csv"]
    table = files["workspace/table.csv"]
    assert table["sha256"] == hashlib.sha256(TABLE).hexdigest()
    assert table["controls"] == ["no cell below 10"] and table["kind"] == "frequency_table"
    assert released_content(egress, table["id"]) == TABLE

    page = released_content(egress, files["workspace/analysis.html"]["id"]).decode()
    assert files["workspace/analysis.html"]["kind"] == "notebook"
    assert "70 in total" in page and SECRET_CODE not in page

    code, listing = await call(jp_fetch, "haven", "requests")
    assert code == 200
    mine = {r["id"]: r for r in listing["requests"]}
    assert mine[created["id"]]["state"] == "submitted"
    assert all(r["author"] == "ada" and r["project"] == "alpha" for r in listing["requests"])
    assert "download_url" not in mine[created["id"]]["files"][0]

    code, withdrawn = await call(jp_fetch, "haven", "requests", created["id"], "withdraw", method="POST",
                                 body={"reason": "wrong extract"})
    assert code == 200, withdrawn
    assert withdrawn["state"] == "withdrawn"
    assert egress.detail("carol", created["id"])["history"][-1]["reason"] == "wrong extract"


async def test_include_code_puts_the_code_in_the_html(jp_fetch, egress, outputs):
    code, created = await call(jp_fetch, "haven", "requests", method="POST", body={
        "title": "With code", "purpose": "p", "include_code": True,
        "files": [{"path": "workspace/analysis.ipynb", "description": "d"}]})
    assert code == 201, created
    file = egress.detail("carol", created["id"])["versions"][-1]["files"][0]
    assert "secret_query" in released_content(egress, file["id"]).decode()


async def test_released_files_come_with_a_download_link_on_the_hub(jp_fetch, egress, haven_hub):
    request_id = egress.create_request_at("released", author="ada", project="alpha")
    code, listing = await call(jp_fetch, "haven", "requests")
    assert code == 200
    released = next(r for r in listing["requests"] if r["id"] == request_id)
    assert released["state"] == "released"
    for file in released["files"]:
        assert file["download_url"] == f"/services/egress/api/files/{file['id']}/download"
        download = egress.call("GET", file["download_url"].removeprefix("/services/egress/"), "ada")
        assert download.status_code == 200
        assert hashlib.sha256(download.content).hexdigest() == file["sha256"]


async def test_the_services_refusal_reaches_the_analyst_with_its_message(jp_fetch, egress, workspace):
    (workspace / "tool.exe").write_bytes(b"MZ\x90\x00")
    code, answer = await call(jp_fetch, "haven", "requests", method="POST", body={
        "title": "t", "purpose": "p", "files": [{"path": "workspace/tool.exe", "description": "d"}]})
    assert code in (415, 422), answer
    assert "cannot be released" in answer["message"]


async def test_preflight_shows_the_checks_without_storing_anything(jp_fetch, egress, workspace, egress_data_dir):
    from tests.integration.egress.client import snapshot

    (workspace / "small.csv").write_bytes(b"region,admissions\nnorth,3\nsouth,20\n")
    before = snapshot(egress_data_dir)
    code, answer = await call(jp_fetch, "haven", "preflight", method="POST", body={
        "files": [{"path": "workspace/small.csv", "kind": "frequency_table"}]})
    assert code == 200, answer
    [result] = answer["files"]
    assert result["path"] == "workspace/small.csv"
    assert result["sha256"] == hashlib.sha256(b"region,admissions\nnorth,3\nsouth,20\n").hexdigest()
    assert json.dumps(result).count("3") >= 1
    assert snapshot(egress_data_dir) == before


async def test_resubmitting_a_returned_request_keeps_its_history(jp_fetch, egress, outputs):
    code, created = await call(jp_fetch, "haven", "requests", method="POST", body={
        "title": "Resubmit me", "purpose": "p",
        "files": [{"path": "workspace/table.csv", "description": "d", "kind": "frequency_table"}]})
    assert code == 201
    assert egress.act("carol", created["id"], "start-review").status_code == 200
    assert egress.act("carol", created["id"], "return", "round to 5").status_code == 200
    (outputs / "table.csv").write_bytes(b"region,admissions\nnorth,15\nsouth,20\neast,35\nwest,40\n")
    code, answer = await call(jp_fetch, "haven", "requests", created["id"], "resubmit", method="POST", body={
        "files": [{"path": "workspace/table.csv", "description": "rounded", "kind": "frequency_table"}],
        "note": "Rounded as asked", "title": "Resubmitted, rounded", "purpose": "p, rounded"})
    assert code == 200, answer
    assert answer["version"] == 2
    assert (answer["title"], answer["purpose"]) == ("Resubmitted, rounded", "p, rounded")
    assert egress.detail("carol", created["id"])["title"] == "Resubmitted, rounded"
    assert any(c["body"] == "Rounded as asked" for c in answer["comments"])


