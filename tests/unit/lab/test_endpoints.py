"""The extension's endpoints through real HTTP: authentication, the workspace boundary,
datasets, and outputs saved as files. Calls that reach the egress service are in
tests/integration/lab (a real hub and service)."""

from __future__ import annotations

import base64
import json
import os
import re

import nbformat
import pandas as pd
import pytest
from tornado.httpclient import HTTPClientError

from haven_lab.handlers import REQUEST_ID, route_table
from haven_lab.settings import HavenLab
from haven_lab.workspace import Workspace

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def extension_urls() -> list[tuple[str, str]]:
    """(method, path) of every endpoint the extension adds, read from its route table."""
    workspace = Workspace.make("/", "/", "/data", 1)
    urls = []
    for pattern, handler, _ in route_table("/", HavenLab(), workspace):
        if not pattern.startswith("/haven/"):
            continue
        path = pattern.lstrip("/").replace(REQUEST_ID, "r-1")
        for method in ("get", "post"):
            if method in handler.__dict__:
                urls.append((method.upper(), path))
    return urls


async def status_of(fetch, *parts, **kwargs) -> tuple[int, dict]:
    try:
        response = await fetch(*parts, **kwargs)
    except HTTPClientError as error:
        response = error.response
    return response.code, json.loads(response.body or b"{}")


def test_the_route_table_lists_every_endpoint():
    assert sorted(extension_urls()) == [
        ("GET", "haven/datasets"), ("GET", "haven/preview"), ("GET", "haven/requests"), ("POST", "haven/outputs"),
        ("POST", "haven/preflight"), ("POST", "haven/requests"),
        ("POST", "haven/requests/r-1/resubmit"), ("POST", "haven/requests/r-1/withdraw"),
    ]


@pytest.mark.parametrize(("method", "path"), extension_urls())
async def test_every_endpoint_refuses_an_unauthenticated_call(jp_fetch, method, path):
    body = json.dumps({}) if method == "POST" else None
    code, _ = await status_of(jp_fetch, path, method=method, body=body, headers={"Authorization": ""})
    assert code == 403


async def test_datasets_lists_the_mounted_catalogue_with_columns_and_a_snippet(jp_fetch):
    code, answer = await status_of(jp_fetch, "haven", "datasets")
    assert code == 200
    by_name = {d["name"]: d for d in answer["datasets"]}
    assert sorted(by_name) == ["admissions", "patients"]
    admissions = by_name["admissions"]
    assert admissions["snippet"] == 'import haven\nhaven.sql("select * from admissions limit 10").df()'
    columns = {c["name"]: c for c in admissions["columns"]}
    assert "patient_id" in columns and columns["patient_id"]["type"]
    assert any(c["description"] for c in admissions["columns"])


def request_body(*paths: str, **extra) -> str:
    return json.dumps({"title": "Table 1", "purpose": "paper", "include_code": False, **extra,
                       "files": [{"path": p, "description": "counts", "kind": "frequency_table",
                                  "controls": ["rounded to 5"]} for p in paths]})


@pytest.fixture
def outside_file(jp_root_dir, tmp_path):
    (jp_root_dir / "notes.csv").write_text("a,1\n")  # in the home folder, not the workspace
    (tmp_path / "elsewhere.csv").write_text("b,2\n")
    return tmp_path / "elsewhere.csv"


@pytest.mark.parametrize(("path", "status", "words"), [
    ("notes.csv", 403, "only files inside the project workspace"),
    ("workspace/../notes.csv", 403, "'..' is not allowed"),
    ("workspace/escape.csv", 403, "only files inside the project workspace"),
    ("workspace/datasets/admissions/metadata.json", 403, "datasets cannot be released"),
    ("workspace/missing.csv", 404, "no such file"),
    ("workspace", 422, "is a folder"),
])
@pytest.mark.parametrize("endpoint", ["requests", "preflight"])
async def test_files_outside_the_workspace_are_refused_before_anything_is_sent(
    jp_fetch, workspace, data_dir, outside_file, endpoint, path, status, words
):
    os.symlink(outside_file, workspace / "escape.csv")
    os.symlink(data_dir, workspace / "datasets")
    body = json.loads(request_body(path))
    if endpoint == "preflight":
        body = {"files": body["files"], "include_code": False}
    code, answer = await status_of(jp_fetch, "haven", endpoint, method="POST", body=json.dumps(body))
    assert code == status, answer
    assert words in answer["message"]


@pytest.mark.parametrize(("body", "words"), [
    ("not json", "not valid JSON"),
    ("[1]", "must be a JSON object"),
    (json.dumps({"title": "t", "purpose": "p", "files": []}), "at least one file"),
    (json.dumps({"title": "", "purpose": "p", "files": [{"path": "workspace/t.csv"}]}), "'title' is required"),
    (json.dumps({"title": "t", "purpose": "p", "files": [{"path": "workspace/t.csv", "sha256": "x"}]}),
     "unknown field(s) sha256"),
    (json.dumps({"title": "t", "purpose": "p", "files": [{"path": "workspace/t.csv", "controls": "none"}]}),
     "controls must be a list"),
    (json.dumps({"title": "t", "purpose": "p", "include_code": "yes", "files": [{"path": "workspace/t.csv"}]}),
     "'include_code' must be true or false"),
    (json.dumps({"title": "t", "purpose": "p", "files": [{"path": "workspace/t.csv"}] * 2}), "listed twice"),
])
async def test_malformed_requests_get_a_clear_400(jp_fetch, workspace, body, words):
    (workspace / "t.csv").write_text("a,1\n")
    code, answer = await status_of(jp_fetch, "haven", "requests", method="POST", body=body)
    assert code == 400
    assert words in answer["message"]


async def test_a_good_request_without_an_egress_service_says_so(jp_fetch, workspace):
    (workspace / "t.csv").write_text("a,1\n")
    code, answer = await status_of(jp_fetch, "haven", "requests", method="POST", body=request_body("workspace/t.csv"))
    assert code == 503
    assert "HAVEN_EGRESS_URL" in answer["message"]


@pytest.fixture
def notebook(workspace):
    frame = pd.DataFrame({"region": ["north", "south"], "admissions": [15, 20]})
    named = frame.set_index("region")
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Admissions"),
        nbformat.v4.new_code_cell("frame", outputs=[nbformat.v4.new_output(
            "execute_result", data={"text/html": frame.to_html(), "text/plain": str(frame)}, execution_count=1)]),
        nbformat.v4.new_code_cell("plot()", outputs=[
            nbformat.v4.new_output("stream", name="stdout", text="drawing\n"),
            nbformat.v4.new_output("display_data", data={"image/png": base64.b64encode(PNG).decode()}),
        ]),
        nbformat.v4.new_code_cell("named", outputs=[nbformat.v4.new_output(
            "execute_result", data={"text/html": named.to_html()}, execution_count=3)]),
        nbformat.v4.new_code_cell("resource", outputs=[nbformat.v4.new_output(
            "execute_result", data={"application/vnd.dataresource+json": json.loads(frame.to_json(orient="table"))},
            execution_count=4)]),
    ]
    (workspace / "analysis").mkdir()
    path = workspace / "analysis" / "admissions by region.ipynb"
    path.write_text(nbformat.writes(nb))
    return "workspace/analysis/admissions by region.ipynb"


@pytest.mark.parametrize(("cell", "output", "name", "content"), [
    (1, 0, "admissions_by_region-cell1-output0.csv", b"region,admissions\nnorth,15\nsouth,20\n"),
    (2, 1, "admissions_by_region-cell2-output1.png", PNG),
    (3, 0, "admissions_by_region-cell3-output0.csv", b"region,admissions\nnorth,15\nsouth,20\n"),
    (4, 0, "admissions_by_region-cell4-output0.csv", b"region,admissions\nnorth,15\nsouth,20\n"),
])
async def test_an_output_is_saved_into_the_workspace_as_a_file(jp_fetch, workspace, notebook, cell, output,
                                                              name, content):
    code, answer = await status_of(jp_fetch, "haven", "outputs", method="POST",
                                   body=json.dumps({"notebook": notebook, "cell": cell, "output": output}))
    assert code == 201, answer
    assert answer == {"path": f"workspace/outputs/{name}", "created": True}
    assert (workspace / "outputs" / name).read_bytes() == content
    # Saved again: the file was there before, so a cancelled request must not delete it.
    code, answer = await status_of(jp_fetch, "haven", "outputs", method="POST",
                                   body=json.dumps({"notebook": notebook, "cell": cell, "output": output}))
    assert (code, answer["created"]) == (201, False)


@pytest.mark.parametrize(("cell", "output", "status", "words"), [
    (0, 0, 422, "has no output 0"),
    (2, 0, 422, "not a table or a PNG image"),
    (9, 0, 422, "has no cell 9"),
    ("1", 0, 422, "has no cell '1'"),
    (1, 5, 422, "has no output 5"),
])
async def test_outputs_that_cannot_be_saved_get_a_clear_error_and_write_nothing(
    jp_fetch, workspace, notebook, cell, output, status, words
):
    code, answer = await status_of(jp_fetch, "haven", "outputs", method="POST",
                                   body=json.dumps({"notebook": notebook, "cell": cell, "output": output}))
    assert code == status
    assert words in answer["message"]
    assert not (workspace / "outputs").exists()


async def test_an_output_is_not_written_through_a_planted_symlink(jp_fetch, workspace, notebook, tmp_path):
    (workspace / "outputs").mkdir()
    victim = tmp_path / "victim.csv"
    victim.write_text("untouched\n")
    target = workspace / "outputs" / "admissions_by_region-cell1-output0.csv"
    os.symlink(victim, target)
    code, _ = await status_of(jp_fetch, "haven", "outputs", method="POST",
                              body=json.dumps({"notebook": notebook, "cell": 1, "output": 0}))
    assert code == 201
    assert victim.read_text() == "untouched\n"
    assert not target.is_symlink() and target.read_text().startswith("region,")


async def test_outputs_refuses_a_notebook_outside_the_workspace(jp_fetch, jp_root_dir, notebook):
    (jp_root_dir / "home.ipynb").write_text(nbformat.writes(nbformat.v4.new_notebook()))
    code, answer = await status_of(jp_fetch, "haven", "outputs", method="POST",
                                   body=json.dumps({"notebook": "home.ipynb", "cell": 0, "output": 0}))
    assert code == 403
    assert re.search("inside the project workspace", answer["message"])
