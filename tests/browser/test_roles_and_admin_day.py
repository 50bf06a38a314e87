"""Each role lands where its work is, under one navigation bar; an administrator's day on the
admin pages: a project with several mistakes fixed in one submit, suspend and archive with
reasons, accounts created, disabled and reset, and the audit log of both chains filtered,
paged and exported. axe-core checks every page touched; the screenshots are the ones
docs/web-pages.md shows (redrawn into docs/ with HAVEN_DOCS_SCREENSHOTS=1)."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path

import pytest

from tests.integration.egress.client import PREFIX, Egress

from .conftest import DOCS_SCREENSHOTS, log_in, serious_accessibility_problems

pytestmark = [pytest.mark.browser, pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure")]

ADMIN = "/services/admin/"


def shot(page, name: str) -> None:
    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS_SCREENSHOTS / f"{name}.png"), full_page=True)


def accessible(page) -> None:
    assert serious_accessibility_problems(page) == [], page.url


def nav_labels(page) -> list[str]:
    return [label.strip() for label in page.locator("#haven-nav .nav-link").all_inner_texts()]


@pytest.mark.parametrize(("person", "lands", "sections"), [
    ("ada", "/hub/home", []),
    ("carol", "/services/egress/", None),
    ("grace", "/hub/home", ["#haven-checker-section"]),
    ("root-admin", "/hub/home", ["#haven-admin-section"]),
])
def test_each_role_lands_where_its_work_is_under_one_navigation_bar(axe_page, browser, haven_hub, person, lands,
                                                                     sections):
    page = axe_page
    log_in(page, haven_hub, person)
    assert page.url.split("?")[0].endswith(lands), page.url
    # The same bar on every Haven page: no JupyterHub "Token", "Services" or "Admin" entries.
    labels = nav_labels(page)
    assert labels[:3] == ["Projects", "My requests", "Bring in"] and "Token" not in labels and "Admin" not in labels
    assert page.locator("#haven-nav a[href$='/hub/admin'], #jupyterhub-logo").count() == 0
    if sections is not None:
        for section in sections:
            assert page.locator(section).is_visible()
        assert page.locator("#haven-admin-section").count() == ("#haven-admin-section" in sections)
        assert page.locator("#haven-checker-section").count() == ("#haven-checker-section" in sections)
        if person == "grace":  # a member and a checker: both her projects and her queue
            assert page.locator("#haven-projects").is_visible()
            shot(page, f"landing-{person}")
            accessible(page)
            page.click("#haven-open-queue")
            page.wait_for_url(f"**{PREFIX}")
            assert nav_labels(page)[:3] == labels[:3]
            accessible(page)
            return
    shot(page, f"landing-{person}")
    accessible(page)


def test_the_hubs_error_pages_speak_havens_words(axe_page, browser, haven_hub):
    page = axe_page
    log_in(page, haven_hub, "alan")
    response = page.goto(f"{haven_hub.url}/hub/no-such-page")
    assert response.status == 404
    assert page.locator("#haven-error h1").inner_text() == "There is no such page"
    assert page.locator("#haven-error-home").get_attribute("href") == "/hub/home"
    shot(page, "error-404")
    accessible(page)
    response = page.goto(f"{haven_hub.url}/hub/admin")  # JupyterHub's own admin page: not his
    assert response.status == 403 and page.locator("#haven-error").is_visible()
    accessible(page)


def test_an_administrators_day(axe_page, browser, haven_hub):
    page = axe_page
    project = f"day-{uuid.uuid4().hex[:6]}"
    log_in(page, haven_hub, "root-admin")
    page.click("#haven-admin-section a[href='/services/admin/']")
    page.click("#new-project")
    page.wait_for_selector("#haven-project-form")
    accessible(page)
    # Four mistakes at once: an id with capitals, no title, an end before the start, "two" CPUs.
    page.get_by_label("Project id").fill("Day Study")
    page.get_by_label("Start date").fill("2026-06-01")
    page.get_by_label("End date").fill("2026-01-31")
    page.get_by_label("CPU cores per server").fill("two")
    members = page.locator("#f-members")
    members.get_by_label("ada", exact=True).check()
    members.get_by_label("bob", exact=True).check()
    page.locator("#f-datasets").get_by_label("admissions", exact=True).check()
    page.click("#save-project")
    summary = page.locator("#haven-form-errors")
    summary.wait_for()
    listed = summary.inner_text()
    for field in ("id:", "title:", "end date:", "cpu:"):
        assert field in listed, listed
    for field in ("f-id", "f-title", "f-end_date", "f-cpu"):
        assert page.locator(f"#{field}").get_attribute("aria-invalid") == "true"
        assert page.locator(f"#e-{field[2:]}").is_visible()  # each error beside its field
    assert members.get_by_label("bob", exact=True).is_checked()  # picks kept
    shot(page, "admin-form-all-errors")
    accessible(page)

    # All four fixed in one submit.
    page.get_by_label("Project id").fill(project)
    page.locator("#f-title").fill("A day's study")
    page.get_by_label("End date").fill("2036-12-31")
    page.get_by_label("CPU cores per server").fill("0.5")
    page.click("#save-project")
    page.wait_for_selector("#haven-admin-notice")
    assert f"Project {project} created." in page.locator("#haven-admin-notice").inner_text()
    group = haven_hub.api("GET", f"/groups/project-{project}").json()
    assert sorted(group["users"]) == ["ada", "bob"] and group["properties"]["datasets"][0]["name"] == "admissions"

    # Suspend: a page that says what happens and needs a reason.
    page.click(f"#suspend-{project}")
    page.wait_for_selector("#haven-confirm-form")
    accessible(page)
    page.click("#haven-confirm")
    page.locator("#e-reason").wait_for()
    assert page.locator("#f-reason").get_attribute("aria-invalid") == "true"
    assert haven_hub.api("GET", f"/groups/project-{project}").json()["properties"]["status"] == "active"
    page.get_by_label("Reason").fill("Ethics approval lapsed")
    shot(page, "admin-suspend-confirm")
    page.click("#haven-confirm")
    page.wait_for_selector("#haven-admin-notice")
    assert "is suspended" in page.locator("#haven-admin-notice").inner_text()
    page.click(f"#archive-{project}")
    page.get_by_label("Reason").fill("Study closed")
    page.click("#haven-confirm")
    page.wait_for_selector("#haven-admin-notice")
    assert haven_hub.api("GET", f"/groups/project-{project}").json()["properties"]["status"] == "archived"
    accessible(page)

    # Accounts: create one, disable it (a reason is needed), reset its two-factor.
    person = f"p{uuid.uuid4().hex[:6]}"
    page.click("#accounts-tab")
    page.wait_for_selector("#haven-accounts")
    accessible(page)
    page.get_by_label("Login name").fill(person)
    page.click("#create-account")
    page.wait_for_selector("#haven-credentials")
    assert len(page.locator("#haven-new-totp").inner_text()) >= 16
    accessible(page)
    page.click("#haven-back-accounts")
    page.click(f"#disable-{person}")
    page.locator(f"#e-reason-{person}").wait_for()
    page.get_by_label(f"Reason for disabling {person}").fill("Left the organisation")
    page.click(f"#disable-{person}")
    page.wait_for_selector("#haven-admin-notice")
    assert "disabled" in page.locator(f"#account-{person}").inner_text()
    shot(page, "admin-accounts")
    page.click(f"#reset-{person}")
    page.wait_for_selector("#haven-credentials")

    # The audit log: both chains, filtered by project, and the same events as CSV.
    egress = Egress(hub=haven_hub, base=haven_hub.url + PREFIX)
    egress.wait_ready()
    assert egress.submit("ada", "alpha", title=f"For the audit page {project}").status_code == 201
    page.goto(f"{haven_hub.url}{ADMIN}audit?project={project}")
    rows = page.locator("#haven-audit-events").inner_text()
    for action in ("project.create", "project.suspend", "project.archive"):
        assert action in rows
    assert "Ethics approval lapsed" in rows and "root-admin" in rows
    accessible(page)
    page.select_option("#a-chain", "egress")
    page.get_by_label("Project").fill("alpha")
    page.click("#haven-audit-apply")
    chains = set(page.locator("#haven-audit-events tbody tr").evaluate_all("rows => rows.map(r => r.dataset.chain)"))
    assert chains == {"egress"}
    shot(page, "admin-audit")
    page.goto(f"{haven_hub.url}{ADMIN}audit?user={person}")
    assert "admin.account.disable" in page.locator("#haven-audit-events").inner_text()
    page.goto(f"{haven_hub.url}{ADMIN}audit?project={project}")
    with page.expect_download() as download:
        page.click("#haven-audit-csv")
    exported = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert [row["action"] for row in exported][:1] == ["project.create"]
    assert {row["project"] for row in exported} == {project}
