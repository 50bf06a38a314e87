"""The project lifecycle through ``haven project`` and the hub's REST API, on the real hub."""

from __future__ import annotations

import pytest
import yaml

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure")]


def group(haven_hub, project_id):
    response = haven_hub.api("GET", f"/groups/project-{project_id}")
    return response.json() if response.status_code == 200 else None


def test_create_show_update_members_grants_and_states(haven, haven_hub):
    created = haven.ok(
        "create", "prov-life", "--title", "Lifecycle study", "--lay-summary", "How long stays last",
        "--purpose", "Length of stay by region", "--lead", "Dr Ada Lovelace", "--organisation", "Haven University",
        "--start-date", "2026-01-01", "--end-date", "2036-12-31", "--member", "ada", "--member", "grace",
        "--dataset", "admissions", "--cpu", "0.5", "--memory", "1G", "--disk-quota", "20G",
        "--disclosure-preset", "acro", "--json",
    ).json()
    assert created["members"] == ["ada", "grace"] and created["status"] == "active"
    # The hub's group is the record: what the CLI printed is what the REST API holds.
    stored = group(haven_hub, "prov-life")
    assert sorted(stored["users"]) == ["ada", "grace"]
    assert stored["properties"]["lead"] == "Dr Ada Lovelace"
    assert stored["properties"]["datasets"] == [{"name": "admissions", "version": None}]
    # Limits not given take their defaults, the browser budget among them; terminals are off unless asked for.
    assert stored["properties"]["limits"] == {"cpu": 0.5, "memory": "1G", "pids": 512, "browser_bytes_per_day": "100M"}
    assert stored["properties"]["terminals"] is False
    assert stored["properties"]["disk_quota"] == "20G" and stored["properties"]["end_date"] == "2036-12-31"

    shown = haven.ok("show", "prov-life").out
    assert "Lifecycle study" in shown and "20G (recorded, not enforced)" in shown and "admissions@latest" in shown
    assert "100M a day per member" in shown and "terminals:    off" in shown
    listed = haven.ok("list").out
    assert listed.splitlines()[0].split()[:3] == ["ID", "STATUS", "END"]
    assert any(line.split()[:3] == ["prov-life", "active", "2036-12-31"] for line in listed.splitlines())

    haven.ok("update", "prov-life", "--title", "Lifecycle study II", "--pids", "300", "--end-date", "2037-06-30",
             "--browser-bytes-per-day", "50M", "--terminals", "on")
    haven.ok("add-member", "prov-life", "bob")
    haven.ok("remove-member", "prov-life", "grace")
    haven.ok("grant", "prov-life", "patients", "--version", "1")
    haven.ok("revoke", "prov-life", "admissions")
    stored = group(haven_hub, "prov-life")
    assert sorted(stored["users"]) == ["ada", "bob"]
    properties = stored["properties"]
    assert properties["title"] == "Lifecycle study II" and properties["end_date"] == "2037-06-30"
    assert properties["limits"] == {"cpu": 0.5, "memory": "1G", "pids": 300, "browser_bytes_per_day": "50M"}
    assert properties["terminals"] is True
    assert properties["datasets"] == [{"name": "patients", "version": "1"}]
    assert properties["lead"] == "Dr Ada Lovelace"  # untouched fields stay

    suspended = haven.ok("suspend", "prov-life", "--reason", "ethics review", "--json").json()
    assert suspended["project"]["status"] == "suspended" and suspended["stopped"] == []
    assert group(haven_hub, "prov-life")["properties"]["status_reason"] == "ethics review"
    assert haven.ok("resume", "prov-life", "--json").json()["project"]["status"] == "active"
    haven.ok("archive", "prov-life", "--reason", "study finished")
    assert group(haven_hub, "prov-life")["properties"]["status"] == "archived"

    for args, message in ((["resume", "prov-life"], "archiving is final"),
                          (["update", "prov-life", "--title", "x"], "archived and can no longer be changed"),
                          (["add-member", "prov-life", "alan"], "archived")):
        refused = haven(*args)
        assert refused.code == 1 and message in refused.err, refused.err
    assert sorted(group(haven_hub, "prov-life")["users"]) == ["ada", "bob"]


@pytest.mark.parametrize("args, message", [
    (["create", "prov-nobody", "--title", "T", "--member", "ada", "--member", "nobody"], "no account named 'nobody'"),
    (["create", "prov-dates", "--title", "T", "--start-date", "2026-05-01", "--end-date", "2026-04-30"],
     "end date 2026-04-30 is before the start date 2026-05-01"),
    (["create", "Prov_Bad", "--title", "T"], "invalid project id 'Prov_Bad'"),
    (["create", "prov-nodata", "--title", "T", "--dataset", "no_such_dataset"], "cannot grant dataset 'no_such_dataset'"),
    (["create", "prov-notitle"], "title"),
])
def test_create_refusals_are_one_clear_line_and_change_nothing(haven, haven_hub, args, message):
    refused = haven(*args)
    assert refused.code == 1, refused.out
    assert message in refused.err and refused.err.count("\n") == 1, refused.err
    project_id = args[1]
    if not project_id.startswith("Prov"):
        assert group(haven_hub, project_id) is None


def test_duplicate_ids_are_refused_including_the_hubs_own_groups(haven, haven_hub):
    haven.ok("create", "prov-dup", "--title", "First")
    again = haven("create", "prov-dup", "--title", "Second")
    assert again.code == 1 and "project 'prov-dup' already exists" in again.err
    assert group(haven_hub, "prov-dup")["properties"]["title"] == "First"
    taken = haven("create", "alpha", "--title", "Shadow of the settings' project")
    assert taken.code == 1 and "already exists" in taken.err


def test_membership_and_grant_refusals(haven):
    haven.ok("create", "prov-refuse", "--title", "Refusals", "--member", "ada")
    for args, message in ((["add-member", "prov-refuse", "ghost"], "no account named 'ghost'"),
                          (["remove-member", "prov-refuse", "bob"], "not members of project 'prov-refuse': bob"),
                          (["revoke", "prov-refuse", "patients"], "is not granted dataset 'patients'"),
                          (["grant", "prov-refuse", "patients", "--version", "999"], "no version '999'"),
                          (["show", "prov-missing"], "no project 'prov-missing'"),
                          (["resume", "prov-refuse"], "not suspended")):
        refused = haven(*args)
        assert refused.code == 1 and message in refused.err, (args, refused.err)


def test_a_users_own_token_is_refused_by_the_hub(haven, haven_hub, tmp_path):
    haven.ok("create", "prov-guarded", "--title", "Guarded", "--member", "ada")
    token = haven_hub.user_token("ada")
    for method, path, body in (("POST", "/groups/project-prov-rogue", {}),
                               ("PUT", "/groups/project-prov-guarded/properties", {"kind": "haven-project", "title": "x"}),
                               ("POST", "/groups/project-prov-guarded/users", {"users": ["alan"]}),
                               ("DELETE", "/groups/project-prov-guarded/users", {"users": ["ada"]})):
        assert haven_hub.api(method, path, token=token, json=body).status_code == 403, (method, path)

    # The same CLI with Ada's token in place of the operator's: the hub says no.
    (tmp_path / "ada-token").write_text(token)
    settings = yaml.safe_load(haven_hub.settings_path.read_text())
    settings["hub"]["operator_token_file"] = str(tmp_path / "ada-token")
    as_ada = tmp_path / "haven.yaml"
    as_ada.write_text(yaml.safe_dump(settings))
    for args in (["suspend", "prov-guarded"], ["create", "prov-rogue", "--title", "Rogue"],
                 ["add-member", "prov-guarded", "alan"]):
        refused = haven(*args, settings=as_ada)
        assert refused.code == 1 and "403" in refused.err, (args, refused.err)
    stored = group(haven_hub, "prov-guarded")
    assert stored["users"] == ["ada"] and stored["properties"]["status"] == "active"
    assert group(haven_hub, "prov-rogue") is None
