"""An output checker's day in a real browser: the queue, a request with a failing cell marked,
a vote cast by keyboard, a decision; then the author reads the decision and what to fix.
Every page is also checked for accessibility with axe-core (no serious or critical WCAG 2.1
A/AA violations)."""

from __future__ import annotations

import time
import uuid

import pytest

from tests.integration.egress.client import PREFIX, Egress, file_entry

from .conftest import SCREENSHOTS, VIEWPORT, log_in, serious_accessibility_problems

pytestmark = [pytest.mark.browser, pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure")]

TABLE = b"region,count\nNorth,25\nSouth,3\nEast,40\n"
REPORT = b"<html><body><h1>Model results</h1><script>document.body.innerHTML='scripts ran'</script></body></html>"


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"checker-flow-{name}.png"), full_page=True)


def wait_for_checks(egress: Egress, request_id: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        files = egress.detail("dave", request_id)["versions"][-1]["files"]
        if all(f["checks"]["status"] != "pending" for f in files):
            return
        time.sleep(0.5)
    raise AssertionError("the automated checks did not finish")


def test_a_checker_reviews_and_decides_and_the_author_sees_why(axe_page, browser, haven_hub):
    page = axe_page
    egress = Egress(hub=haven_hub, base=haven_hub.url + PREFIX)
    egress.wait_ready()
    title = f"Admissions by region {uuid.uuid4().hex[:6]}"
    submitted = egress.submit("ada", "alpha", title=title, files=[
        file_entry("out/regions.csv", TABLE, description="admissions by region, 2025"),
        file_entry("out/model.html", REPORT, media_type="text/html", kind="notebook",
                   description="the model notebook as HTML")])
    assert submitted.status_code == 201, submitted.text
    request_id = submitted.json()["id"]
    wait_for_checks(egress, request_id)

    # The queue: counts, and this request waiting for her.
    log_in(page, haven_hub, "carol")
    page.goto(egress.base)
    assert page.locator("h1").inner_text() == "Review queue"
    row = page.locator(f'tr[data-request-id="{request_id}"]')
    assert "needs you" in row.inner_text() and "submitted" in row.inner_text()
    assert page.locator("a.nav-link[aria-current=page]").inner_text().startswith("Review queue")
    assert int(page.locator(".haven-count").first.inner_text()) >= 1  # the nav's "awaiting my review"
    shot(page, "1-queue")
    assert serious_accessibility_problems(page) == []

    # The request, one file at a time: the failing cell is marked, and says which rule (in
    # words, not its id) on hover and to screen readers.
    row.get_by_role("link", name=title).click()
    page.wait_for_url(f"**/requests/{request_id}")
    cell = page.locator("td.haven-cell-fail", has_text="3")
    assert cell.count() == 1
    cell.hover()
    assert cell.get_attribute("title").startswith("Small counts")
    described = page.locator(f"#{cell.get_attribute('aria-describedby').split()[0]}")
    assert "Small counts" in described.text_content()
    assert page.locator("td", has_text="25").first.get_attribute("class") is None
    shot(page, "2-request")
    assert serious_accessibility_problems(page) == []
    # The notebook is the next file (j): it shows in a frame where its script could not run.
    page.keyboard.press("j")
    page.wait_for_selector("iframe.haven-notebook")
    frame = page.frame_locator("iframe.haven-notebook")
    assert frame.locator("h1").inner_text() == "Model results"
    assert "scripts ran" not in frame.locator("body").inner_text()
    page.locator("iframe.haven-notebook").screenshot(path=str(SCREENSHOTS / "checker-flow-2b-notebook.png"))
    page.keyboard.press("k")
    page.wait_for_selector("td.haven-cell-fail")

    # Votes are closed until review starts, and the page says so.
    table_file = page.locator("article.haven-file", has=page.locator("td.haven-cell-fail"))
    assert "votes open once a checker starts the review" in table_file.inner_text()
    page.get_by_role("button", name="Start review").click()
    assert page.locator("#haven-done").inner_text() == "Review started: votes are open."

    # She votes by keyboard alone: reject the table, with a comment the author will see.
    table_file = page.locator("article.haven-file", has=page.locator("td.haven-cell-fail"))
    table_file.locator("input[value=reject]").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.type("South has 3 admissions: suppress it or merge regions")
    page.keyboard.press("Tab")  # who sees it: shared, the default
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector("#haven-done")
    assert page.locator("#haven-done").inner_text() == "Your vote is recorded."
    page.locator("a[data-haven-file-nav=next]").click()
    page.locator("article.haven-file", has_text="out/model.html").locator("input[value=approve]").check()
    page.locator("article.haven-file", has_text="out/model.html").get_by_role("button", name="Cast vote").click()
    # The second checker votes through the API and agrees (votes that disagree would leave a file
    # conflicted, docs/egress-pages.md); a rejection vote leaves the decision to a person.
    for file in egress.detail("dave", request_id)["versions"][-1]["files"]:
        decision = "approve" if file["path"] == "out/model.html" else "reject"
        assert egress.review("dave", file["id"], decision, "" if decision == "approve" else "agreed").status_code == 201
    page.reload()
    assert page.locator("#request-state").inner_text() == "reviewed"
    assert page.locator("#action-release button").is_disabled()
    assert "only an approved request can be released" in page.locator("#why-not-release").inner_text()
    page.fill("#reason-return", "Suppress small cells, then resubmit")
    page.locator("#action-return").get_by_role("button", name="Return to the author").click()
    assert page.locator("#request-state").inner_text() == "returned"
    shot(page, "3-decided")

    # The author: a new decision counted in her navigation, the reason and the shared comment.
    author = browser.new_context(viewport=VIEWPORT, bypass_csp=True).new_page()
    try:
        log_in(author, haven_hub, "ada")
        author.goto(egress.base)  # an analyst's entry is her own requests
        author.wait_for_url("**/services/egress/mine")
        assert int(author.locator(".haven-count").inner_text()) >= 1
        mine_row = author.locator(f'tr[data-request-id="{request_id}"]')
        assert "new decision" in mine_row.inner_text() and "Changes asked" in mine_row.inner_text()
        assert serious_accessibility_problems(author) == []
        mine_row.get_by_role("link", name=title).click()
        fixes = author.locator("#what-to-fix").inner_text()
        assert "Suppress small cells, then resubmit" in fixes
        assert "South has 3 admissions: suppress it or merge regions" in fixes
        assert author.locator("table.haven-output-table").count() == 0  # her page is status, not review
        shot(author, "4-author")
        assert serious_accessibility_problems(author) == []
    finally:
        author.context.close()
