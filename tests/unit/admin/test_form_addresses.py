"""The admin pages answer only the methods their handlers define: a GET on a form's address
(the suspend, resume and archive buttons) is a 405 with Allow and a way back, not a 500."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from haven_hub.admin import app as admin_app
from haven_hub.admin.context import AdminContext
from haven_hub.bootstrap import ensure_secrets
from haven_hub.settings import parse_settings
from tests.fixtures.in_process import defines, handler_routes, sample_paths, serving

PREFIX = "/services/admin/"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("admin-methods")
    settings = parse_settings({"hub": {"data_dir": str(data_dir)},
                               "auth": {"accounts": [{"name": "boss", "admin": True}]}})
    ensure_secrets(settings)
    with ThreadPoolExecutor(2) as executor:
        # No hub behind it: every answer checked here comes before anyone is asked who is calling.
        context = AdminContext(settings, "http://127.0.0.1:9/hub/api", "unused", executor, prefix=PREFIX)
        with serving(lambda: admin_app.make_app(context, b"k" * 32)) as (base, app):
            yield base, app


def test_every_form_address_of_the_route_table_says_where_its_form_is():
    forms = [r for r in admin_app.ROUTES if not defines(r.handler, "GET")]
    assert forms
    assert all(r.form_on is not None for r in forms)
    assert all(r.form_on is None for r in admin_app.ROUTES if defines(r.handler, "GET"))


def test_a_get_on_every_address_without_get_answers_405(served):
    base, app = served
    checked = []
    for regex, handler in handler_routes(app):
        if defines(handler, "GET"):
            continue
        for path in sample_paths(regex):
            response = requests.get(base + path, timeout=30, allow_redirects=False)
            assert response.status_code == 405, f"GET {path}: {response.status_code}"
            assert response.headers["Allow"] == ", ".join(handler.allowed_methods())
            checked.append((path, response))
    assert {f"{PREFIX}projects/alpha/{action}" for action in ("suspend", "resume", "archive")} <= {
        path for path, _ in checked}
    for path, response in checked:
        if path.startswith(f"{PREFIX}projects/"):
            assert "405: this address takes a form" in response.text
            assert f'href="{PREFIX}" id="haven-form-page"' in response.text  # the projects page
            assert "haven.css" in response.text


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_a_method_no_handler_defines_is_refused_with_405(served, method):
    base, app = served
    for regex, handler in handler_routes(app):
        if handler.__module__ != "haven_hub.admin.handlers":
            continue  # the OAuth callback and the static files are tornado's and jupyterhub's
        path = sample_paths(regex)[0]
        response = requests.request(method, base + path, timeout=30, allow_redirects=False)
        assert response.status_code == 405, f"{method} {path}: {response.status_code}"
        assert "Allow" in response.headers


def test_control_a_page_that_takes_get_still_sends_an_anonymous_browser_to_log_in(served):
    base, _ = served
    response = requests.get(base + PREFIX + "audit", timeout=30, allow_redirects=False)
    assert response.status_code == 302 and "Allow" not in response.headers
