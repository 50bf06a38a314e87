"""A returned notebook request resubmitted as the Releases panel sends it, against the real
egress service: the panel names the file by the path the service knows (``analysis.html``),
and the server extension renders the workspace's ``analysis.ipynb`` again (issue 16, item 7)."""

from __future__ import annotations

import json

import nbformat
import pytest
from tornado.httpclient import HTTPClientError

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("analyst_token", "hub_log_on_failure")]


def write_notebook(workspace, printed: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("print(total)", outputs=[
        nbformat.v4.new_output("stream", name="stdout", text=printed)])]
    (workspace / "analysis.ipynb").write_text(nbformat.writes(nb))


async def call(fetch, *parts, body):
    try:
        response = await fetch(*parts, method="POST", body=json.dumps(body))
    except HTTPClientError as error:
        response = error.response
    return response.code, json.loads(response.body or b"{}")


def content(egress, file_id: int) -> bytes:
    response = egress.call("GET", f"api/files/{file_id}/content", "carol")
    assert response.status_code == 200, response.text
    return response.content


async def test_a_returned_notebook_is_resubmitted_from_the_panel_rendered_from_its_ipynb(jp_fetch, egress, workspace):
    write_notebook(workspace, "admissions in total: 71\n")
    code, created = await call(jp_fetch, "haven", "requests", body={
        "title": "Admissions notebook", "purpose": "methods appendix", "include_code": False,
        "files": [{"path": "workspace/analysis.ipynb", "description": "how the table was made"}]})
    assert code == 201, created
    request_id = created["id"]
    assert egress.act("carol", request_id, "start-review").status_code == 200
    assert egress.act("carol", request_id, "return", "Round the total to 5").status_code == 200

    write_notebook(workspace, "admissions in total: 70\n")
    # Exactly what the panel sends: each file of the request as the panel lists it.
    panel = json.loads((await jp_fetch("haven", "requests")).body)["requests"]
    [listed] = [r for r in panel if r["id"] == request_id]
    files = [{"path": f["path"], "kind": f["kind"], "description": f["description"], "controls": f["controls"]}
             for f in listed["files"]]
    assert [f["path"] for f in files] == ["workspace/analysis.html"]
    code, answer = await call(jp_fetch, "haven", "requests", request_id, "resubmit",
                              body={"title": "", "purpose": "", "files": files, "note": "rounded"})
    assert code == 200, answer
    assert answer["state"] == "submitted" and answer["version"] == 2

    detail = egress.detail("carol", request_id)
    [first], [second] = (v["files"] for v in detail["versions"])
    assert second["path"] == "workspace/analysis.html" and second["sha256"] != first["sha256"]
    rendered = content(egress, second["id"])
    assert b"admissions in total: 70" in rendered and b"admissions in total: 71" not in rendered
    assert detail["versions"][-1]["provenance"]["declared_by_server"]["sources"] == {
        "workspace/analysis.html": "workspace/analysis.ipynb"}
