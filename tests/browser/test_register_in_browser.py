"""The public transparency register in a real browser, never logged in: it renders in Haven's look,
its tables are found by their headers, its downloads are linked, and axe-core finds nothing serious."""

from __future__ import annotations

import pytest

from .conftest import SCREENSHOTS, serious_accessibility_problems

pytestmark = [pytest.mark.browser, pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure")]


def test_the_register_renders_for_anyone_and_is_accessible(axe_page, haven_hub):
    page = axe_page
    response = page.goto(f"{haven_hub.url}/services/admin/register")
    assert response.status == 200
    page.wait_for_selector("#haven-register-projects")
    assert page.title() == "Transparency register · Haven"
    # The seeded projects are there, by title, with the datasets they use; nobody is logged in.
    row = page.locator("#project-alpha")
    assert "Alpha cohort study" in row.inner_text() and "admissions" in row.inner_text()
    assert page.locator("#haven-user").count() == 0 and page.locator("#logout").count() == 0
    assert page.locator("#dataset-patients").is_visible()
    # Haven's look: JupyterHub's stylesheet and Haven's own both loaded (a table is styled by them).
    assert page.evaluate("getComputedStyle(document.querySelector('#haven-register-projects')).borderCollapse") == "collapse"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to main content"
    for link in ("#haven-register-json", "#haven-register-projects-csv", "#haven-register-datasets-csv"):
        href = page.get_attribute(link, "href")
        assert page.request.get(f"{haven_hub.url}{href}").status == 200, href
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "transparency-register.png"), full_page=True)
    assert serious_accessibility_problems(page) == []
