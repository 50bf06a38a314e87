"""A messy workspace, as an analyst leaves one or an attacker plants one: odd names, links
that go nowhere or out of the root, pipes and sockets, broken notebooks. Through the real
server, each bad item gets a clear error naming it (never a server error), the rest is
untouched, nothing outside the workspace is read or followed, and a request with one bad
file is refused as a whole before anything is sent to the egress service."""

from __future__ import annotations

import base64
import json
import os
import socket
import threading

import nbformat
import pytest
from tornado.httpclient import HTTPClientError
from tornado.httputil import HTTPHeaders, parse_body_arguments

from haven_lab import environment
from haven_lab.workspace import Refused, Workspace
from tests.fixtures.lab_server import *  # noqa: F403  (a Jupyter server with haven-lab, jp_fetch)
from tests.unit.lab.test_egress_contract import egress_url, send, stand_in  # noqa: F401  (a recording egress)

ODD_NAMES = ["résumé ✓.csv", "two\nlines.csv", 'say "hi"\r.csv', "\u202ecod.exe.csv", "-rf.csv",
             "a#b?c%20d.csv", "x" * 250 + ".csv",
             "not-utf8-\udcff.csv"]  # a byte that is not UTF-8, as Python names it
TABLE = b"region,count\nnorth,15\n"


def entry(path: str) -> dict:
    return {"path": path, "description": "counts", "kind": "frequency_table", "controls": ["rounded to 5"]}


def notebook_json(**fields) -> str:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, **fields})


@pytest.fixture
def messy(workspace, data_dir, tmp_path):
    """A workspace holding one good table beside every kind of entry that is not one."""
    (workspace / "table.csv").write_bytes(TABLE)
    (tmp_path / "outside.csv").write_text("secret,1\n")
    os.symlink(workspace / "gone.csv", workspace / "broken.csv")
    os.symlink(workspace / "loop-b", workspace / "loop-a")
    os.symlink(workspace / "loop-a", workspace / "loop-b")
    os.symlink(data_dir, workspace / "datasets")
    os.symlink(tmp_path / "outside.csv", workspace / "escape.csv")
    os.mkfifo(workspace / "pipe.csv")
    os.symlink(workspace / "pipe.csv", workspace / "to-pipe.csv")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(workspace / "socket.csv"))
    (workspace / "empty.ipynb").write_bytes(b"")
    (workspace / "not-json.ipynb").write_text("{ this is not json")
    (workspace / "no-cells.ipynb").write_text(notebook_json())
    (workspace / "cells-not-a-list.ipynb").write_text(notebook_json(cells="x"))
    (workspace / "array.ipynb").write_text("[1, 2]")
    yield workspace
    listener.close()


LINKS = ["broken.csv", "loop-a", "datasets", "escape.csv"]
SPECIAL = ["pipe.csv", "to-pipe.csv", "socket.csv"]
NOTEBOOKS = ["empty.ipynb", "not-json.ipynb", "no-cells.ipynb", "cells-not-a-list.ipynb", "array.ipynb"]


async def answer_of(fetch, *parts, **kwargs) -> tuple[int, dict]:
    try:
        response = await fetch(*parts, request_timeout=10, **kwargs)
    except HTTPClientError as error:
        response = error.response
    return response.code, json.loads(response.body or b"{}")


@pytest.mark.parametrize("bad", LINKS + SPECIAL + NOTEBOOKS)
async def test_one_bad_file_refuses_the_request_as_a_whole_before_anything_is_sent(jp_fetch, stand_in, messy,
                                                                                      bad):
    recorder, _ = stand_in
    files = [entry("workspace/table.csv"), entry(f"workspace/{bad}")]
    calls = [(("haven", "requests"), {"title": "Table 1", "purpose": "paper", "files": files}),
             (("haven", "preflight"), {"files": files}),
             (("haven", "requests", "r-1", "resubmit"), {"files": files})]
    for parts, body in calls:
        code, answer = await send(jp_fetch, *parts, body=body)
        assert 400 <= code < 500, (parts, answer)
        assert f"workspace/{bad}" in answer["message"], (parts, answer)
    # The resubmission looked the request up; nothing was submitted or checked.
    assert [(seen["method"], seen["path"]) for seen in recorder.seen] == [("GET", "api/requests/r-1")]


@pytest.mark.parametrize("name", ODD_NAMES)
async def test_a_file_with_an_odd_name_reaches_the_service_as_itself(jp_fetch, stand_in, workspace, name):
    recorder, _ = stand_in
    (workspace / name).write_bytes(TABLE)
    code, answer = await send(jp_fetch, "haven", "requests",
                              body={"title": "t", "purpose": "p", "files": [entry(f"workspace/{name}")]})
    assert code == 201, answer
    [seen] = recorder.seen
    # Parsed as the egress service parses it (tornado): a name that broke the part's header
    # left the service with no file at all.
    arguments, files = {}, {}
    parse_body_arguments(seen["headers"]["Content-Type"], seen["body"], arguments, files, HTTPHeaders())
    assert json.loads(arguments["metadata"][0])["files"][0]["path"] == f"workspace/{name}"
    assert [upload.body for upload in files["file-0"]] == [TABLE]


async def test_the_file_browser_lists_a_messy_folder_and_names_each_refused_entry(jp_fetch, messy):
    response = await jp_fetch("api", "contents", "workspace", method="GET")
    listed = sorted(e["name"] for e in json.loads(response.body)["content"])
    # Pipes and sockets are left out by the stock listing; links Haven refuses by Haven's.
    assert listed == sorted(["table.csv", "to-pipe.csv", *NOTEBOOKS])
    for bad in LINKS + SPECIAL:
        code, answer = await answer_of(jp_fetch, "api", "contents", "workspace", bad, params={"format": "text"})
        assert code in (403, 422), (bad, answer)
        assert f"workspace/{bad}:" in answer["message"], (bad, answer)


@pytest.mark.parametrize("bad", NOTEBOOKS)
async def test_a_broken_notebook_is_named_in_lab_without_the_servers_own_paths(jp_fetch, messy, bad):
    code, answer = await answer_of(jp_fetch, "api", "contents", "workspace", bad, params={"type": "notebook"})
    assert code == 400, answer
    assert answer["message"].startswith(f"workspace/{bad}: not a notebook that can be opened")
    assert str(messy) not in answer["message"]
    # The text editor still opens it, so the analyst can see what went wrong.
    code, answer = await answer_of(jp_fetch, "api", "contents", "workspace", bad,
                                   params={"type": "file", "format": "text"})
    assert code == 200, answer


@pytest.mark.parametrize("bad", LINKS + SPECIAL)
async def test_a_preview_names_each_bad_file(jp_fetch, messy, bad):
    code, answer = await answer_of(jp_fetch, "haven", "preview", params={"path": f"workspace/{bad}"})
    assert code in (403, 404, 422), answer
    assert f"workspace/{bad}:" in answer["message"]
    if bad in ("broken.csv", "loop-a"):
        assert "a link to a file that does not exist" in answer["message"]
    if bad in SPECIAL:
        assert "not a regular file" in answer["message"]


@pytest.mark.parametrize("bad", NOTEBOOKS)
async def test_an_output_of_a_broken_notebook_gets_a_clear_error(jp_fetch, messy, bad):
    code, answer = await answer_of(jp_fetch, "haven", "outputs", method="POST",
                                   body=json.dumps({"notebook": f"workspace/{bad}", "cell": 0, "output": 0}))
    assert code == 422, answer
    assert answer["message"].startswith(f"workspace/{bad} ")
    assert not (messy / "outputs").exists()


async def test_an_output_table_that_is_not_a_table_resource_gets_a_clear_error(jp_fetch, workspace):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("t", outputs=[nbformat.v4.new_output(
        "execute_result", data={"application/vnd.dataresource+json": {"schema": {"fields": [{"name": "a"}]}, "data": [[1]]}}, execution_count=1)])])
    (workspace / "odd.ipynb").write_text(nbformat.writes(notebook))
    code, answer = await answer_of(jp_fetch, "haven", "outputs", method="POST",
                                   body=json.dumps({"notebook": "workspace/odd.ipynb", "cell": 0, "output": 0}))
    assert code == 422, answer
    assert "holds a table that cannot be read" in answer["message"]


async def test_an_output_that_cannot_be_written_names_the_file_and_leaves_nothing(jp_fetch, workspace):
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n").decode()
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("p", outputs=[nbformat.v4.new_output(
        "display_data", data={"image/png": png})])])
    (workspace / "fig.ipynb").write_text(nbformat.writes(notebook))
    (workspace / "outputs").mkdir()
    (workspace / "outputs" / "fig-cell0-output0.png").mkdir()  # a folder where the file would go
    code, answer = await answer_of(jp_fetch, "haven", "outputs", method="POST",
                                   body=json.dumps({"notebook": "workspace/fig.ipynb", "cell": 0, "output": 0}))
    assert code == 409, answer
    assert "workspace/outputs/fig-cell0-output0.png: the output could not be saved" in answer["message"]
    assert os.listdir(workspace / "outputs") == ["fig-cell0-output0.png"]  # no temporary file left


async def test_an_output_of_a_notebook_with_a_long_name_is_saved_under_a_shorter_one(jp_fetch, workspace):
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n").decode()
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("p", outputs=[nbformat.v4.new_output(
        "display_data", data={"image/png": png})])])
    name = "n" * 240 + ".ipynb"  # 246 bytes: a name Linux allows, but not with "-cell0-output0.png" after it
    (workspace / name).write_text(nbformat.writes(notebook))
    code, answer = await answer_of(jp_fetch, "haven", "outputs", method="POST",
                                   body=json.dumps({"notebook": f"workspace/{name}", "cell": 0, "output": 0}))
    assert code == 201, answer
    assert answer["path"] == f"workspace/outputs/{'n' * 200}-cell0-output0.png"


async def test_a_save_through_a_link_out_of_the_root_is_refused(jp_fetch, messy, tmp_path):
    for name in ("escape.csv", "datasets/admissions/metadata.json"):
        code, answer = await answer_of(jp_fetch, "api", "contents", "workspace", *name.split("/"), method="PUT",
                                       body=json.dumps({"type": "file", "format": "text", "content": "x,1\n"}))
        assert code == 403, (name, answer)
        assert answer["message"].startswith(f"workspace/{name.split('/')[0]}")
    assert (tmp_path / "outside.csv").read_text() == "secret,1\n"


def test_a_file_swapped_for_a_pipe_after_its_check_is_refused_not_waited_on(tmp_path):
    (tmp_path / "table.csv").write_bytes(TABLE)

    class Swapping(Workspace):
        def resolve(self, api_path):
            real = super().resolve(api_path)
            real.unlink()  # the analyst's kernel replaces the file between check and read
            os.mkfifo(real)
            return real

    workspace = Swapping.make(tmp_path, tmp_path, tmp_path / "data", 1024)
    result: list[BaseException] = []
    reader = threading.Thread(target=lambda: result.append(pytest.raises(Refused, workspace.read, "table.csv").value),
                              daemon=True)
    reader.start()
    reader.join(5)
    assert result, "the read waited on the pipe"
    assert result[0].status == 422 and result[0].message.startswith("table.csv: is not a regular file")


def test_a_file_removed_after_its_check_is_refused_by_name(tmp_path):
    (tmp_path / "table.csv").write_bytes(TABLE)

    class Vanishing(Workspace):
        def resolve(self, api_path):
            real = super().resolve(api_path)
            real.unlink()
            return real

    with pytest.raises(Refused) as refused:
        Vanishing.make(tmp_path, tmp_path, tmp_path / "data", 1024).read("table.csv")
    assert (refused.value.status, refused.value.message.split(":")[0]) == (409, "table.csv")


def messy_user_site(base, pipes: bool = True) -> None:
    """A user site as pip leaves one half-way, or as an analyst's kernel can make one."""
    site = environment.user_site({"PYTHONUSERBASE": str(base)})
    site.mkdir(parents=True)
    for name, metadata in (("ok-1.0", b"Name: ok\nVersion: 1.0\n"),
                           ("latin-2.0", b"Name: latin\nVersion: 2.0\nAuthor: Ren\xe9\n")):
        (site / f"{name}.dist-info").mkdir()
        (site / f"{name}.dist-info" / "METADATA").write_bytes(b"Metadata-Version: 2.1\n" + metadata)
    (site / "empty-1.0.dist-info").mkdir()
    (site / "loop-1.0.dist-info").mkdir()
    os.symlink("METADATA", site / "loop-1.0.dist-info" / "METADATA")
    if pipes:
        (site / "pipe-1.0.dist-info").mkdir()
        os.mkfifo(site / "pipe-1.0.dist-info" / "METADATA")
        os.mkfifo(site / "fifo-1.0.dist-info")


def test_a_messy_user_site_is_read_without_waiting_on_its_pipes(tmp_path):
    messy_user_site(tmp_path / "base")
    site = environment.user_site({"PYTHONUSERBASE": str(tmp_path / "base")})
    found: list[dict] = []
    reader = threading.Thread(target=lambda: found.append(environment.user_packages(site)), daemon=True)
    reader.start()
    reader.join(5)
    assert found == [{"latin": "2.0", "ok": "1.0"}], "the user site's pipes were waited on"


async def test_a_release_request_goes_with_a_messy_user_site(jp_fetch, stand_in, workspace, tmp_path, monkeypatch):
    # No pipes here: waited on, they would hold the server's event loop, and this test with it.
    recorder, _ = stand_in
    (workspace / "table.csv").write_bytes(TABLE)
    messy_user_site(tmp_path / "base", pipes=False)
    monkeypatch.setenv("PYTHONUSERBASE", str(tmp_path / "base"))
    code, answer = await send(jp_fetch, "haven", "requests",
                              body={"title": "t", "purpose": "p", "files": [entry("workspace/table.csv")]})
    assert code == 201, answer
    arguments, files = {}, {}
    [seen] = recorder.seen
    parse_body_arguments(seen["headers"]["Content-Type"], seen["body"], arguments, files, HTTPHeaders())
    assert json.loads(arguments["metadata"][0])["declared"]["user_packages"] == {"latin": "2.0", "ok": "1.0"}
