"""Projects in the settings file are seeds: created when absent, never overwritten."""

import pytest

from haven_hub import bootstrap

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure")]


def test_seeding_again_keeps_changes_made_since(haven_hub):
    group = haven_hub.api("GET", "/groups/project-beta").json()
    changed = {**group["properties"], "title": "Beta outcomes study (renamed by an admin)"}
    assert haven_hub.api("PUT", "/groups/project-beta/properties", json=changed).status_code == 200
    try:
        bootstrap.seed_projects(haven_hub.settings)  # what every start does
        after = haven_hub.api("GET", "/groups/project-beta").json()
        assert after["properties"]["title"] == "Beta outcomes study (renamed by an admin)"
    finally:
        haven_hub.api("PUT", "/groups/project-beta/properties", json=group["properties"])


def test_a_missing_project_is_created_from_the_settings(haven_hub):
    members = haven_hub.api("GET", "/groups/project-gamma").json()["users"]
    assert haven_hub.api("DELETE", "/groups/project-gamma").status_code == 204
    bootstrap.seed_projects(haven_hub.settings)
    recreated = haven_hub.api("GET", "/groups/project-gamma").json()
    assert recreated["properties"]["title"] == "Gamma pilot"
    assert recreated["users"] == members
