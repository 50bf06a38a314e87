"""Every address answers only the methods its route names: a GET on a form's address (a
reload, a bookmark) is a 405 with Allow and a way back, never a 500 or another page."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from haven_egress.blobs import BlobStore
from haven_egress.service import EgressService
from haven_egress.storage import open_engine, session_factory, upgrade
from haven_egress.web import app as egress_app
from tests.fixtures.in_process import defines, handler_routes, sample_paths, serving

PREFIX = "/services/egress/"
OTHER_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("egress-methods")
    url = f"sqlite:///{folder / 'egress.db'}"
    upgrade(url)
    engine = open_engine(url)
    service = EgressService(session_factory(engine), BlobStore(folder / "blobs"))
    with ThreadPoolExecutor(2) as executor, serving(
            lambda: egress_app.make_app(service, executor, PREFIX, b"k" * 32)) as (base, app):
        yield base, app
    engine.dispose()


def routes_by_pattern() -> dict[str, egress_app.Route]:
    return {route.pattern(PREFIX): route for route in egress_app.ROUTES + egress_app.PAGE_ROUTES}


def test_each_handler_defines_exactly_the_methods_its_route_names():
    for route in egress_app.ROUTES + egress_app.PAGE_ROUTES:
        defined = {m for m in OTHER_METHODS if defines(route.handler, m)}
        assert defined == set(route.methods), route.path


def test_each_form_of_the_pages_names_the_page_that_holds_it():
    pages = {r.path for r in egress_app.PAGE_ROUTES if "GET" in r.methods}
    forms = [r for r in egress_app.PAGE_ROUTES if "GET" not in r.methods]
    assert forms
    for form in forms:
        assert form.form_on in pages, form.path
        assert set(re.findall(r"\{\w+\}", form.form_on)) <= set(re.findall(r"\{\w+\}", form.path))


def test_a_get_on_every_address_without_get_answers_405(served):
    base, app = served
    known = routes_by_pattern()
    checked = []
    for regex, handler in handler_routes(app):
        if defines(handler, "GET"):
            continue
        route = known[regex]  # the tornado table is the route table, nothing added on the side
        for path in sample_paths(regex):
            for headers in ({}, {"Accept": "text/html"}, {"Authorization": "token " + "f" * 32}):
                response = requests.get(base + path, headers=headers, timeout=30, allow_redirects=False)
                assert response.status_code == 405, f"GET {path}: {response.status_code}"
                assert response.headers["Allow"] == ", ".join(route.methods)
            checked.append((path, response, route))
    paths = {path for path, _, _ in checked}
    # The forms people reach by reload or bookmark, and the API's POST-only addresses.
    assert {f"{PREFIX}requests/alpha/release", f"{PREFIX}requests/alpha/files/alpha/vote",
            f"{PREFIX}requests/alpha/comment", f"{PREFIX}api/requests/alpha/start-review",
            f"{PREFIX}api/files/alpha/reviews", f"{PREFIX}api/preflight",
            f"{PREFIX}ingress/files", f"{PREFIX}ingress/packages", f"{PREFIX}ingress/alpha/alpha"} <= paths
    for path, response, route in checked:
        if "/api/" in path:
            assert response.json() == {"status": 405, "message": "this address takes POST, not GET"}
        else:
            # A Haven page that says what the address is and leads back to its request.
            assert response.headers["Content-Type"].startswith("text/html")
            assert "This address takes a form" in response.text
            # The page holding the form: its request's page, or the ingress queue or request.
            page = re.sub(r"\{\w+\}", "alpha", route.form_on)
            assert page in ("requests/alpha", "ingress", "ingress/alpha"), route.path
            assert f'href="{PREFIX}{page}" id="haven-form-page"' in response.text
            assert "haven.css" in response.text
            assert "script-src 'none'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "POST"])
def test_a_method_the_route_does_not_name_is_refused_with_405_before_anything_runs(served, method):
    base, app = served
    for route in egress_app.ROUTES + egress_app.PAGE_ROUTES:
        if method in route.methods or not route.authenticated:
            continue
        for path in sample_paths(route.pattern(PREFIX))[:1]:
            response = requests.request(method, base + path, timeout=30, allow_redirects=False)
            assert response.status_code == 405, f"{method} {path}: {response.status_code}"
            assert response.headers["Allow"] == ", ".join(route.methods)


def test_control_a_route_that_takes_get_still_asks_who_is_calling(served):
    # The rule changes only what a route does not take: a GET where GET is named goes on to
    # authentication (401 here: there is no hub to vouch for anyone).
    base, _ = served
    response = requests.get(base + PREFIX + "api/requests", timeout=30)
    assert response.status_code == 401 and "Allow" not in response.headers
    page = requests.get(base + PREFIX + "requests/" + "0" * 32, timeout=30, allow_redirects=False)
    assert page.status_code == 302  # a page's GET sends the browser to log in
