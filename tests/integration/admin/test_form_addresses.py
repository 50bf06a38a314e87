"""A form's address of the admin pages opened by GET, through the hub's proxy: 405, not 500."""

from __future__ import annotations

import re

import pytest

from haven_hub.admin.app import ROUTES
from tests.fixtures.in_process import defines, sample_paths

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("admin_log_on_failure")]


def test_every_address_without_get_answers_a_logged_in_admin_405_with_a_way_back(admin_pages):
    forms = {path: route.form_on for route in ROUTES if not defines(route.handler, "GET")
             for path in sample_paths(route.pattern)}
    assert "projects/alpha/suspend" in forms
    before = admin_pages.hub.api("GET", "/groups/project-alpha").json()["properties"]
    for path, form_on in forms.items():
        response = admin_pages.get(path, allow_redirects=False)
        assert response.status_code == 405, f"GET {path}: {response.status_code}"
        assert response.headers["Allow"] == "POST"
        assert "this address takes a form" in response.text
        back = re.search(r'href="([^"]+)" id="haven-form-page"', response.text).group(1)
        assert back == f"/services/admin/{form_on}"  # the page holding the form
    # Control: the page it leads back to opens, and the project is as it was (nothing suspended).
    projects = admin_pages.get("")
    assert projects.status_code == 200 and "alpha" in projects.text
    assert admin_pages.hub.api("GET", "/groups/project-alpha").json()["properties"] == before
