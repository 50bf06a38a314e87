"""The member rule follows the settings; the author rule never bends.

A second egress process (the same code) runs with
``egress.checkers_may_review_own_projects: true`` against the same real hub, which still
vouches for every caller and their scopes. It keeps its requests in PostgreSQL
(``egress.database_url``), migrated at its start, so the web service runs on both engines.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml

from tests.fixtures.hub import free_port
from tests.postgres import create_database, postgresql_server  # noqa: F401 (fixture)

from .client import PREFIX, Egress

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure")]


@pytest.fixture(scope="module")
def lenient_egress(haven_hub, tmp_path_factory, postgresql_server):  # noqa: F811
    data = tmp_path_factory.mktemp("lenient-egress")
    raw = yaml.safe_load(haven_hub.settings_path.read_text())
    port = free_port()
    raw["egress"] = {**raw.get("egress", {}), "port": port, "data_dir": str(data / "egress"),
                     "checkers_may_review_own_projects": True,
                     "database_url": postgresql_server.url(create_database(postgresql_server))}
    settings_path = data / "haven.yaml"
    settings_path.write_text(yaml.safe_dump(raw))
    env = {
        "PATH": os.environ["PATH"],
        "HAVEN_SETTINGS": str(settings_path),
        # What the hub gives its managed services; the access scope is the managed one's.
        "JUPYTERHUB_API_URL": f"http://127.0.0.1:{haven_hub.settings.hub.api_port}/hub/api",
        "JUPYTERHUB_SERVICE_NAME": "egress",
        "JUPYTERHUB_SERVICE_PREFIX": PREFIX,
        "JUPYTERHUB_SERVICE_URL": f"http://127.0.0.1:{port}",
        "JUPYTERHUB_CLIENT_ID": "service-egress",
    }
    with open(data / "egress.log", "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "haven_egress.web"], env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
    client = Egress(hub=haven_hub, base=f"http://127.0.0.1:{port}{PREFIX}")
    try:
        client.wait_ready()
        yield client
    except AssertionError:
        sys.stderr.write((data / "egress.log").read_text())
        raise
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_a_checker_in_the_project_may_review_it_when_the_settings_allow(lenient_egress):
    request_id = lenient_egress.create_request_at("under_review")  # ada's, in alpha, grace's project
    file_id = lenient_egress.detail("grace", request_id)["versions"][0]["files"][0]["id"]
    assert lenient_egress.review("grace", file_id).status_code == 201


def test_the_author_still_never_reviews_her_own_request(lenient_egress):
    request_id = lenient_egress.create_request_at("under_review", author="grace", project="alpha")
    file_id = lenient_egress.detail("grace", request_id)["versions"][0]["files"][0]["id"]
    response = lenient_egress.review("grace", file_id)
    assert response.status_code == 403
    assert lenient_egress.act("grace", request_id, "reject", "mine").status_code == 403
