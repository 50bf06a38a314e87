"""The admin pages over real HTTP through the hub's proxy and OAuth, and every refusal."""

from __future__ import annotations

import re
import uuid

import pytest
import requests

from haven_hub.audit.log import EventFilter, HubAuditLog

from .conftest import ADMIN, AdminPages

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("admin_log_on_failure")]

NEW = {"id": "page-study", "title": "Page study", "lay_summary": "Made on the admin page", "purpose": "Testing",
       "lead": "Dr Grace Hopper", "organisation": "Haven University", "start_date": "2026-01-01",
       "end_date": "2036-12-31", "members": "ada, bob", "datasets": "admissions", "cpu": "0.5", "memory": "1G",
       "pids": "256", "disk_quota": "2G", "disclosure_preset": ""}


def events(hub, **filters):
    log = HubAuditLog.for_data_dir(hub.settings.hub.data_dir)
    try:
        return [stored.event for stored in log.events(EventFilter(**filters))]
    finally:
        log.close()


def group(hub, project_id):
    response = hub.api("GET", f"/groups/project-{project_id}")
    return response.json() if response.status_code == 200 else None


def test_an_analyst_is_refused_by_the_hub_at_login_and_by_the_service_with_a_token(admin_hub):
    session = admin_hub.login("ada")
    page = session.get(f"{admin_hub.url}/services/admin/", timeout=60)
    # The hub will not hand the admin service a login for someone without its access scope.
    assert page.status_code == 403 and "permission to access" in page.text
    token = admin_hub.user_token("ada")
    response = requests.get(f"{admin_hub.url}/services/admin/", headers={"Authorization": f"token {token}"},
                            timeout=60)
    assert response.status_code == 403 and "not a Haven administrator" in response.text
    assert "<h1>Not allowed</h1>" in response.text  # the Haven page, not a bare error
    created = requests.post(f"{admin_hub.url}/services/admin/projects/new", data=NEW,
                            headers={"Authorization": f"token {token}"}, timeout=60, allow_redirects=False)
    assert created.status_code == 403 and group(admin_hub, NEW["id"]) is None


def test_a_checker_is_refused_too(admin_hub):
    token = admin_hub.user_token("carol")
    response = requests.get(f"{admin_hub.url}/services/admin/audit", headers={"Authorization": f"token {token}"},
                            timeout=60)
    assert response.status_code == 403


def test_anonymous_is_sent_to_the_hub_login(admin_hub):
    response = requests.get(f"{admin_hub.url}/services/admin/", timeout=60, allow_redirects=False)
    assert response.status_code == 302 and "/hub/api/oauth2/authorize" in response.headers["Location"]


def test_a_post_without_its_xsrf_token_changes_nothing(admin_pages: AdminPages, admin_hub):
    response = admin_pages.post("projects/new", NEW, xsrf=False)
    assert response.status_code == 403 and "XSRF" in response.text
    response = admin_pages.post("projects/alpha/suspend", {"reason": "x", "_xsrf": "forged"}, xsrf=False)
    assert response.status_code == 403 and group(admin_hub, "alpha")["properties"]["status"] == "active"


def test_the_list_shows_projects_with_status_members_datasets_and_disk(admin_pages: AdminPages):
    page = admin_pages.get()
    assert page.status_code == 200
    row = re.search(r'<tr id="project-alpha".*?</tr>', page.text, re.S).group(0)
    assert "Alpha cohort study" in row and "active" in row and "ada, grace" in row
    assert "admissions, patients" in row and "0.5 CPU, 768M" in row and "used (no quota)" in row
    # Suspending asks first, on a page of its own (with a required reason).
    assert 'href="/services/admin/projects/alpha/suspend/confirm"' in page.text


@pytest.mark.parametrize("field,value,message", [
    ("id", "Bad Id!", "invalid project id"),
    ("end_date", "2025-01-01", "before the start date"),
    ("members", "ada, nobody-here", "no account named 'nobody-here'"),
    ("datasets", "not_in_catalogue", "cannot grant dataset 'not_in_catalogue'"),
    ("cpu", "many", "is not a number of CPU cores"),
])
def test_a_refused_form_comes_back_with_the_input_kept_and_nothing_made(admin_pages, admin_hub, field, value,
                                                                       message):
    data = {**NEW, "id": "page-refused", field: value}
    response = admin_pages.post("projects/new", data)
    assert response.status_code == 422 and message in response.text.replace("&#39;", "'")
    assert 'value="Dr Grace Hopper"' in response.text and 'role="alert"' in response.text
    assert group(admin_hub, "page-refused") is None


def test_create_edit_suspend_resume_archive_from_the_pages_audited_as_the_admin(admin_pages, admin_hub):
    response = admin_pages.post("projects/new", NEW)
    assert response.status_code == 302, response.text
    stored = group(admin_hub, "page-study")
    assert sorted(stored["users"]) == ["ada", "bob"]
    assert stored["properties"]["lead"] == "Dr Grace Hopper" and stored["properties"]["disk_quota"] == "2G"
    assert "Project page-study created." in admin_pages.get(response.headers["Location"].split("/services/admin/")[1]).text

    edit = admin_pages.get("projects/page-study")
    assert edit.status_code == 200 and 'value="Page study"' in edit.text
    changed = {**NEW, "title": "Page study II", "members": "ada, grace", "datasets": "admissions, patients@1",
               "end_date": "2037-01-31"}
    assert admin_pages.post("projects/page-study", changed).status_code == 302
    stored = group(admin_hub, "page-study")
    assert sorted(stored["users"]) == ["ada", "grace"] and stored["properties"]["title"] == "Page study II"
    assert stored["properties"]["datasets"] == [{"name": "admissions", "version": None},
                                                {"name": "patients", "version": "1"}]

    # A refused edit changes nothing at all, not even the fields that were fine.
    refused = admin_pages.post("projects/page-study", {**changed, "title": "Changed?", "members": "ada, nobody"})
    assert refused.status_code == 422 and group(admin_hub, "page-study")["properties"]["title"] == "Page study II"

    assert admin_pages.post("projects/page-study/suspend", {"reason": "ethics review"}).status_code == 302
    assert group(admin_hub, "page-study")["properties"]["status_reason"] == "ethics review"
    assert admin_pages.post("projects/page-study/resume", {}).status_code == 302
    assert admin_pages.post("projects/page-study/archive", {"reason": "done"}).status_code == 302
    assert group(admin_hub, "page-study")["properties"]["status"] == "archived"
    again = admin_pages.post("projects/page-study/resume", {})
    assert "Refused" in admin_pages.get(again.headers["Location"].split("/services/admin/")[1]).text

    trail = [(e.actor, e.action) for e in events(admin_hub, project="page-study")]
    assert trail == [(ADMIN, "project.create"), (ADMIN, "project.update"), (ADMIN, "project.members.add"),
                     (ADMIN, "project.members.remove"), (ADMIN, "project.suspend"), (ADMIN, "project.resume"),
                     (ADMIN, "project.archive")]
    update = events(admin_hub, project="page-study", type="project.update")[0]
    assert update.details["changes"]["title"] == {"from": "Page study", "to": "Page study II"}

    audit_page = admin_pages.get("audit", params={"project": "page-study", "type": "project"})
    assert audit_page.status_code == 200 and audit_page.text.count('<tr data-chain="hub">') == 7
    assert admin_pages.get("audit", params={"since": "yesterday"}).status_code == 422


def test_disk_usage_is_measured_and_flagged_near_the_quota(admin_pages, admin_hub):
    admin_pages.post("projects/new", {**NEW, "id": "page-disk", "members": "bob", "disk_quota": "1M"})
    workspace = admin_hub.settings.hub.data_dir / "projects" / "page-disk" / "workspace"
    workspace.mkdir(parents=True, exist_ok=True)
    (workspace / "big.bin").write_bytes(b"x" * 900 * 1024)
    # The list re-measures at most once a minute; the sweep forces a fresh measurement.
    from haven_hub.usage import load
    import time

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        row = re.search(r'<tr id="project-page-disk".*?</tr>', admin_pages.get().text, re.S).group(0)
        if "near the quota" in row:
            break
        time.sleep(5)
    assert "haven-disk-warning" in row and "of 1.0M" in row, row
    assert load(admin_hub.settings.hub.data_dir)["page-disk"].level(80) == "warning"


def test_an_unknown_project_is_a_404_page_and_an_archived_one_cannot_be_edited(admin_pages, admin_hub):
    missing = admin_pages.get("projects/no-such-project")
    assert missing.status_code == 404 and "no project 'no-such-project'" in missing.text.replace("&#39;", "'")
    admin_pages.post("projects/new", {**NEW, "id": "page-final", "members": "bob"})
    admin_pages.post("projects/page-final/archive", {"reason": "closed"})
    refused = admin_pages.post("projects/page-final", {**NEW, "title": "Reopened?"})
    assert refused.status_code == 422 and "archived and can no longer be changed" in refused.text
    assert group(admin_hub, "page-final")["properties"]["title"] == "Page study"


def test_the_audit_log_pages_through_both_chains_and_exports_what_it_shows(admin_pages: AdminPages, admin_hub):
    kind = f"paging.t{uuid.uuid4().hex[:8]}"
    log = HubAuditLog.for_data_dir(admin_hub.settings.hub.data_dir)
    try:
        for n in range(60):
            log.record("paging-test", f"{kind}.n", f"thing/{n}", None, n=n)
    finally:
        log.close()
    first = admin_pages.get("audit", params={"type": kind})
    assert first.status_code == 200 and first.text.count('<tr data-chain="hub">') == 50
    assert 'id="haven-audit-older"' in first.text and 'id="haven-audit-newer"' not in first.text
    assert "thing/59" in first.text and "thing/9<" not in first.text  # newest first
    second = admin_pages.get("audit", params={"type": kind, "page": "2"})
    assert second.text.count('<tr data-chain="hub">') == 10 and 'id="haven-audit-older"' not in second.text
    exported = admin_pages.get("audit.csv", params={"type": kind})
    assert exported.headers["Content-Type"].startswith("text/csv") and exported.headers["Cache-Control"] == "no-store"
    rows = exported.text.strip().splitlines()
    assert rows[0] == "chain,id,time,actor,action,target,project,details" and len(rows) == 61
    assert rows[1].split(",")[5] == "thing/0"  # oldest first, like haven audit show
    refused = admin_pages.get("audit.csv", params={"since": "2026-02-01", "until": "2026-01-01"})
    assert refused.status_code == 422 and "Nothing exported" in refused.text
    assert events(admin_hub, type="admin.audit.export")[-1].details["events"] == 60
