"""An analyst starts their project server in a real browser and watches it come up."""

from __future__ import annotations

import re

import pytest

from .conftest import SCREENSHOTS, log_in, serious_accessibility_problems

pytestmark = [pytest.mark.browser, pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure")]


def test_analyst_starts_a_project_server_and_sees_progress(page, haven_hub):
    log_in(page, haven_hub, "bob")
    assert page.locator("#haven-projects").inner_text().count("Beta outcomes study") == 1
    page.click("#start-beta")  # no "Server Options" page: the project is the only choice
    # The pending page shows Haven's own steps (in its "Event log", collapsed) before
    # JupyterLab takes over; the spawn takes seconds, so catch them as they arrive, read in the
    # same moment: a quick server sends the page on to Lab right after (a later read found no log).
    log = page.wait_for_function("""() => {
        const log = document.querySelector('#progress-log');
        if (!log?.textContent.includes('locked-down container')) return false;
        document.querySelector('#progress-details').open = true;  // for the picture
        return log.textContent;
    }""", timeout=30_000).json_value()
    assert "membership checked" in log and "Project network" in log
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "spawn-progress.png"))
    page.wait_for_url(re.compile(r".*/user/bob/beta/lab.*"), timeout=120_000)
    page.wait_for_selector("#jp-main-dock-panel", timeout=60_000)
    page.wait_for_selector(".jp-DirListing-item", timeout=30_000)  # the workspace folder
    assert "Jupyter news" not in page.content()
    page.screenshot(path=str(SCREENSHOTS / "jupyterlab.png"))
    haven_hub.stop("bob", "beta")


def test_account_without_projects_sees_a_clear_empty_state(page, haven_hub):
    log_in(page, haven_hub, "alan")
    message = page.locator("#haven-no-projects").inner_text()
    assert "not a member of any project yet" in message
    page.screenshot(path=str(SCREENSHOTS / "empty-state.png"))


def test_refused_spawn_shows_why(page, haven_hub):
    log_in(page, haven_hub, "alan")
    page.goto(f"{haven_hub.url}/hub/spawn/alan/alpha")
    assert page.locator("#haven-not-member").is_visible()
    # Nothing to press but the way back: no Start button for a server that would be refused.
    assert page.locator("#spawn_form").count() == 0 and page.get_by_role("button", name="Start").count() == 0
    assert "not a member of project alpha, so you cannot start its server" in page.locator("#haven-not-member").inner_text()
    assert serious_accessibility_problems(page) == []
    page.screenshot(path=str(SCREENSHOTS / "refused.png"))
    # Starting anyway (a crafted POST) meets the same refusal from the spawner, on Haven's page.
    xsrf = page.evaluate("document.cookie.match(/_xsrf=([^;]+)/)?.[1] || ''")
    response = page.request.post(f"{haven_hub.url}/hub/spawn/alan/alpha", form={"_xsrf": xsrf})
    assert response.status == 403 and "alan is not a member of project" in response.text()
