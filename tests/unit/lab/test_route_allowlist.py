"""The project server answers only on the routes Haven lists (haven_lab.routes), whoever
registered them and when; the image's own server is enumerated in tests/integration/lab/."""

from __future__ import annotations

import json
import os

import pytest
from jupyter_server.base.handlers import JupyterHandler
from tornado.httpclient import HTTPClientError

from haven_lab import routes
from haven_lab.gate import refusal
from haven_lab.paths import WritablePath, check_read_only, first_existing, writable


class PlantedHandler(JupyterHandler):
    """What a newly installed extension (or a new Jupyter version) might register."""

    def get(self) -> None:
        self.finish("patient_id,region\n1,north\n")


async def refused(fetch, *parts, **kwargs) -> HTTPClientError:
    with pytest.raises(HTTPClientError) as caught:
        await fetch(*parts, **kwargs)
    return caught.value


def test_every_route_the_host_server_registers_is_classified(jp_serverapp):
    assert routes.unclassified(jp_serverapp.web_app) == [], routes.unclassified(jp_serverapp.web_app)


def test_an_unclassified_route_is_reported_by_the_check(jp_serverapp):
    """The meta-test: the check above can fail."""
    web_app = jp_serverapp.web_app
    web_app.add_handlers(".*$", [(web_app.settings["base_url"] + "planted/(.*)", PlantedHandler)])
    assert routes.unclassified(web_app) == [("/planted/(.*)", f"{__name__}.PlantedHandler")]


async def test_a_route_added_after_haven_lab_loaded_answers_403(jp_fetch, jp_serverapp):
    web_app = jp_serverapp.web_app
    web_app.add_handlers(".*$", [(web_app.settings["base_url"] + "planted/(.*)", PlantedHandler)])
    error = await refused(jp_fetch, "planted", "x")
    assert error.code == 403
    assert "not on Haven" in error.response.body.decode()
    assert "patient_id" not in error.response.body.decode()


async def test_terminals_answer_403_where_the_project_does_not_allow_them(jp_fetch, jp_serverapp):
    assert jp_serverapp.terminals_enabled is False
    for method, body in (("GET", None), ("POST", "{}")):
        error = await refused(jp_fetch, "api", "terminals", method=method, body=body)
        assert error.code in (403, 404), method
    entry = routes.allowed_route(type("T", (), {"__module__": "jupyter_server_terminals.api_handlers",
                                                "__qualname__": "TerminalRootHandler"}), "/api/terminals", "/")
    assert entry is not None and entry.terminals


async def test_the_editor_still_works_through_the_allowlist(jp_fetch, workspace):
    (workspace / "notes.txt").write_text("hello")
    model = json.loads((await jp_fetch("api", "contents", "workspace", "notes.txt")).body)
    assert model["content"] == "hello"
    assert json.loads((await jp_fetch("api", "kernelspecs")).body)["kernelspecs"]
    assert (await jp_fetch("lab")).code == 200


def test_static_routes_are_not_metered_and_everything_else_is():
    static = [r for r in routes.ALLOWED_ROUTES if r.static]
    assert static and all(not r.metered for r in static)
    assert all(r.metered for r in routes.ALLOWED_ROUTES if not r.static)
    contents = type("ContentsHandler", (), {"__module__": "jupyter_server.services.contents.handlers",
                                            "__qualname__": "ContentsHandler"})
    assert routes.is_metered(contents, "/user/ada/alpha/api/contents/x.csv", "/user/ada/alpha/")
    assert routes.is_metered(PlantedHandler, "/user/ada/alpha/planted/x", "/user/ada/alpha/")


def test_each_allowed_route_states_its_purpose_and_limits():
    for entry in routes.ALLOWED_ROUTES:
        assert entry.purpose and entry.limits, entry
    keys = [(e.handler, e.pattern) for e in (*routes.ALLOWED_ROUTES, *routes.CLOSED_ROUTES)]
    assert len(keys) == len(set(keys)), "a route is listed twice"


class _Delegate:
    def __init__(self, handler_class, handler_kwargs):
        self.handler_class, self.handler_kwargs, self.path_kwargs = handler_class, handler_kwargs, {}


class _Request:
    def __init__(self, path, method="GET", headers=None):
        self.path, self.method, self.headers = path, method, headers or {}


def test_a_static_route_serving_a_writable_folder_is_refused(tmp_path):
    from jupyter_server.base.handlers import FileFindHandler

    read_only = tmp_path / "ro"
    read_only.mkdir()
    os.chmod(read_only, 0o555)
    try:
        request = _Request("/static/x.js")
        if os.getuid() != 0:
            assert refusal(None, _Delegate(FileFindHandler, {"path": [str(read_only)]}), request, "/", False) is None
        reason = refusal(None, _Delegate(FileFindHandler, {"path": [str(read_only), str(tmp_path / "new")]}),
                         request, "/", False)
        assert reason and str(tmp_path / "new") in reason
        assert "read-only" in refusal(None, _Delegate(FileFindHandler, {"path": []}),
                                      _Request("/static/x.js", "PUT"), "/", False)
    finally:
        os.chmod(read_only, 0o755)


def test_lab_state_is_held_to_its_size_limit(tmp_path):
    from jupyterlab_server.settings_handler import SettingsHandler

    delegate = _Delegate(SettingsHandler, {"settings_dir": str(tmp_path)})
    path = "/lab/api/settings/@jupyterlab/notebook-extension:tracker"
    assert refusal(None, delegate, _Request(path, "PUT", {"Content-Length": "300"}), "/", False) is None
    too_big = str(routes.LAB_STATE_MAX_BYTES + 1)
    assert "limited" in refusal(None, delegate, _Request(path, "PUT", {"Content-Length": too_big}), "/", False)
    # A kernel can write the folder directly; reads stop once it holds more than the limit.
    (tmp_path / "planted.jupyterlab-settings").write_bytes(b"x" * (routes.LAB_STATE_MAX_BYTES + 1))
    assert "over" in refusal(None, delegate, _Request(path), "/", False)


def test_a_folder_that_does_not_exist_is_as_writable_as_its_nearest_ancestor(tmp_path):
    missing = tmp_path / "a" / "b" / "kernels"
    assert first_existing(missing) == tmp_path
    assert writable(missing) == os.access(tmp_path, os.W_OK)


def test_haven_lab_refuses_a_writable_jupyter_path_naming_it(tmp_path):
    with pytest.raises(WritablePath, match=str(tmp_path / "kernels")):
        check_read_only([("kernelspecs", str(tmp_path / "kernels"))])
    check_read_only([("kernelspecs", "/proc/1")]) if os.getuid() != 0 else None


def test_the_docs_table_lists_every_allowed_and_closed_route():
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[3] / "docs" / "lab-boundary.md").read_text()
    for entry in (*routes.ALLOWED_ROUTES, *routes.CLOSED_ROUTES):
        assert f"`{entry.pattern.replace('|', chr(92) + '|')}`" in docs, entry.pattern
