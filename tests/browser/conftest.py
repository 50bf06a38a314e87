"""Debian's Chromium driven by Playwright (its own browser download does not work here)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.fixtures.login import log_in_page

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".state" / "screenshots"
# The pictures the docs show, redrawn into docs/screenshots only when asked (HAVEN_DOCS_SCREENSHOTS=1):
# a test run should not leave the docs changed.
DOCS_SCREENSHOTS = (Path(__file__).resolve().parents[2] / "docs" / "screenshots"
                    if os.environ.get("HAVEN_DOCS_SCREENSHOTS") == "1" else SCREENSHOTS)
AXE = Path(__file__).with_name("node_modules") / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
VIEWPORT = {"width": 1280, "height": 900}


@pytest.fixture(autouse=True)
def no_server_outlives_its_test(request):
    """A browser test that fails half-way leaves its servers running on the session's shared
    hub, and every later test that starts the same (user, project) then fails with "already
    running": stop whatever is still running when a test ends, however it ended."""
    yield
    if "haven_hub" not in request.fixturenames:
        return
    hub = request.getfixturevalue("haven_hub")
    for user in hub.api("GET", "/users").json():
        for project in (user.get("servers") or {}):
            hub.stop(user["name"], project)


# Per module, not per session: Playwright's sync API keeps an event loop running while it is
# open, and the lab server tests (pytest-jupyter) that run later in the same session need to
# close theirs ("Cannot close a running event loop").
@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: scripts/test installs Debian's chromium package")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )
        yield browser
        browser.close()


def _page_for_a_test(browser, request, **context_options):
    context = browser.new_context(viewport=VIEWPORT, **context_options)
    page = context.new_page()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.fixture
def page(browser, request):
    yield from _page_for_a_test(browser, request)


def require_axe() -> None:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` in tests/browser (scripts/test does)")


@pytest.fixture
def axe_page(browser, request):
    """A page into which the test may inject axe-core: Haven's pages forbid the inline script
    Playwright adds (bypass_csp concerns only scripts the test adds, never what the page
    itself may load)."""
    require_axe()
    yield from _page_for_a_test(browser, request, bypass_csp=True)


def serious_accessibility_problems(page, selector: str | None = None) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA findings of serious or critical impact, on the page as it is
    or on the element ``selector`` names."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        require_axe()
        page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        """async ([selector, tags]) => (await axe.run(selector ? document.querySelector(selector) : document,
               {runOnly: {type: 'tag', values: tags}})).violations
             .map(v => ({id: v.id, impact: v.impact, help: v.help,
                         targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))""", [selector, WCAG])
    return [v for v in violations if v["impact"] in ("serious", "critical")]


def log_in(page, hub, username: str) -> None:
    log_in_page(page, hub.url, hub.settings, username)
