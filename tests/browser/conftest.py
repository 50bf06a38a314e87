"""Debian's Chromium driven by Playwright (its own browser download does not work here)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.fixtures.login import log_in_page

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".state" / "screenshots"


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


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def log_in(page, hub, username: str) -> None:
    log_in_page(page, hub.url, hub.settings, username)
