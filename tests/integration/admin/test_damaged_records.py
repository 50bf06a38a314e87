"""One project group whose record does not validate (its properties changed through the REST API
by hand, or written by another version of Haven) is named on the admin page and by `haven project
list`; the other projects are still listed, and its members still log in and reach their other
projects (docs/provisioning.md, "A record that does not read")."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.integration.provisioning.conftest import HavenCommand

from .conftest import AdminPages

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("admin_log_on_failure")]

DAMAGED = "hvb-damaged"
# A Haven project by its kind, but with a field no version of the schema has, and grants written
# as bare names where the schema has objects (one of them readable, as a lenient reader finds it).
DAMAGED_PROPERTIES = {"kind": "haven-project", "title": "Hand-edited", "surprise": "field",
                      "datasets": ["admissions", {"name": "patients", "version": None}]}
PROBLEM = "datasets.0: Input should be a valid dictionary or instance of DatasetGrant (and 1 more)"


@pytest.fixture
def damaged_project(admin_hub):
    name = f"project-{DAMAGED}"
    assert admin_hub.api("POST", f"/groups/{name}").status_code == 201
    try:
        assert admin_hub.api("PUT", f"/groups/{name}/properties", json=DAMAGED_PROPERTIES).status_code == 200
        assert admin_hub.api("POST", f"/groups/{name}/users", json={"users": ["ada"]}).status_code == 200
        yield DAMAGED
    finally:
        admin_hub.api("DELETE", f"/groups/{name}")


def test_a_damaged_project_record_is_named_and_hides_nothing_else(admin_hub, admin_pages: AdminPages,
                                                                  damaged_project):
    page = admin_pages.get("")
    assert page.status_code == 200, page.text[:500]
    assert 'id="haven-damaged-projects"' in page.text
    assert f'<li data-project="{damaged_project}"><code>{damaged_project}</code>: {PROBLEM}' in page.text
    assert 'data-project="alpha"' in page.text  # the others are still in the table

    listed = HavenCommand(admin_hub.settings_path)("list")
    assert listed.code == 1, listed.err
    assert listed.out.splitlines()[0].startswith("ID") and "\nalpha " in listed.out
    assert f"problem: project '{damaged_project}': its record in the hub does not read ({PROBLEM})" in listed.err
    assert "Traceback" not in listed.err

    shown = HavenCommand(admin_hub.settings_path)("show", damaged_project)
    assert shown.code == 1 and "does not read" in shown.err and "Traceback" not in shown.err

    # The access review names it with its members rather than dropping it.
    env = {**os.environ, "HAVEN_SETTINGS": str(admin_hub.settings_path)}
    access = subprocess.run([sys.executable, "-m", "haven_cli", "account", "access", "--json"],
                            capture_output=True, text=True, env=env, timeout=120)
    assert access.returncode == 0, access.stderr
    damaged = json.loads(access.stdout)["damaged"]
    assert damaged[damaged_project]["members"] == ["ada"]
    assert damaged[damaged_project]["problem"] == PROBLEM

    # `haven dataset show` asks the hub which projects hold a grant: the odd entries do not fail it.
    show = subprocess.run([sys.executable, "-m", "haven_cli", "dataset", "show", "patients"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert show.returncode == 0, show.stderr
    assert f"{damaged_project} (latest)" in show.stdout and "alpha (latest)" in show.stdout

    # Ada is a member of the damaged project and of alpha: she still logs in and is offered alpha.
    ada = admin_hub.login("ada")
    home = ada.get(f"{admin_hub.url}/hub/home", timeout=60)
    assert home.status_code == 200 and "alpha" in home.text and damaged_project not in home.text
