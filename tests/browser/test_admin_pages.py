"""An administrator provisions a second project from the admin pages in a real browser."""

from __future__ import annotations


import pytest

from .conftest import SCREENSHOTS, log_in, serious_accessibility_problems


pytestmark = [pytest.mark.browser, pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure")]


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"admin-{name}.png"), full_page=True)


def test_an_admin_provisions_a_project_from_the_page(page, haven_hub):
    log_in(page, haven_hub, "root-admin")
    page.goto(f"{haven_hub.url}/services/admin/")
    page.wait_for_selector("#haven-admin-projects")
    assert page.locator("#project-alpha").is_visible()
    # The first Tab reaches the skip link: the page is usable from the keyboard.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to main content"
    shot(page, "projects")
    assert serious_accessibility_problems(page) == []

    page.click("#new-project")
    page.wait_for_selector("#haven-project-form")
    # Every field is found by its label, as a screen reader would announce it.
    page.get_by_label("Project id").fill("browser-study")
    page.locator("#f-title").fill("Browser study")
    page.get_by_label("Lay summary").fill("Provisioned from the admin page")
    page.get_by_label("Lead researcher").fill("Dr Ada Lovelace")
    page.get_by_label("Start date").fill("2026-06-01")
    page.get_by_label("End date").fill("2026-01-31")  # before the start: refused
    page.locator("#f-members").get_by_label("ada", exact=True).check()
    page.locator("#f-members").get_by_label("bob", exact=True).check()
    page.locator("#f-datasets").get_by_label("admissions", exact=True).check()
    page.get_by_label("Disk quota").fill("5G")
    page.click("#save-project")
    errors = page.locator("#haven-form-errors")
    errors.wait_for()
    assert "before the start date" in errors.inner_text()
    assert page.evaluate("document.activeElement.id") == "haven-form-errors"  # announced and focused
    assert page.get_by_label("Lead researcher").input_value() == "Dr Ada Lovelace"  # input kept
    assert page.get_by_label("End date").get_attribute("aria-invalid") == "true"
    shot(page, "form-refused")
    assert serious_accessibility_problems(page) == []

    page.get_by_label("End date").fill("2036-12-31")
    page.click("#save-project")
    page.wait_for_selector("#haven-admin-notice")
    assert "Project browser-study created." in page.locator("#haven-admin-notice").inner_text()
    row = page.locator("#project-browser-study")
    assert "ada, bob" in row.inner_text() and "active" in row.inner_text() and "of 5.0G" in row.inner_text()
    shot(page, "created")
    group = haven_hub.api("GET", "/groups/project-browser-study").json()
    assert sorted(group["users"]) == ["ada", "bob"] and group["properties"]["lead"] == "Dr Ada Lovelace"

    page.goto(f"{haven_hub.url}/services/admin/audit?project=browser-study")
    assert "project.create" in page.locator("#haven-audit-events").inner_text()
    assert "root-admin" in page.locator("#haven-audit-events").inner_text()
    shot(page, "audit")
    assert serious_accessibility_problems(page) == []


def test_an_analyst_gets_a_clear_refusal_and_sees_disk_usage_at_home(page, haven_hub):
    log_in(page, haven_hub, "ada")
    home = page.locator("#haven-projects").inner_text()
    assert "Disk:" in home  # measured by the admin service, shown on the hub's own page
    shot(page, "analyst-home")
    response = page.goto(f"{haven_hub.url}/services/admin/")
    assert response.status == 403 and "permission to access" in page.content()
    shot(page, "refused")
