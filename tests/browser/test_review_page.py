"""A checker reviews a request of 20 files, one of them a table with 500 flagged cells, with
the keyboard alone, and never scrolls back after an action: each vote, each move between
files and the start of the review lands on the file she is on, with its outcome beside it.
Then the queue remembers her filters, and the author downloads the released files from the
request page (outside Lab) while the checker may not. axe-core checks every page touched;
the screenshots are the ones docs/egress-pages.md shows."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.integration.egress.client import PREFIX, TABLE, Egress, audit_trail, file_entry

from .conftest import SCREENSHOTS, log_in, serious_accessibility_problems

pytestmark = [pytest.mark.browser, pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure")]

# The pictures docs/egress-pages.md shows, redrawn into docs/ only when asked
# (HAVEN_DOCS_SCREENSHOTS=1): a test run should not leave the docs changed.
DOCS_SCREENSHOTS = (Path(__file__).resolve().parents[2] / "docs" / "screenshots"
                    if os.environ.get("HAVEN_DOCS_SCREENSHOTS") == "1" else SCREENSHOTS)
# 300 rows of two counts: 250 rows with both cells below 10 (500 flagged cells), 50 clean rows.
BIG_TABLE = b"area,men,women\n" + b"".join(
    (b"A%03d,%d,%d\n" % (n, 3 + n % 5, 2 + n % 6)) if n % 6 else (b"A%03d,40,55\n" % n) for n in range(300))
FILES = 20


def small_table(n: int) -> bytes:
    return b"group,count\na,%d\nb,%d\n" % (20 + 5 * n, 30 + 5 * n)


def wait_for_checks(egress: Egress, request_id: str, timeout: float = 90) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        files = egress.detail("carol", request_id)["versions"][-1]["files"]
        if all(f["checks"]["status"] != "pending" for f in files):
            return files
        time.sleep(0.5)
    raise AssertionError("the automated checks did not finish")


def focused_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def assert_in_place(page, file_id: int, outcome: str | None = None) -> None:
    """The checker is where she was: the file focused at the top of the window, its vote form
    (and the outcome of what she did) in view, without scrolling."""
    page.wait_for_load_state("load")
    # Waited for, not read at once: the browser may focus the fragment's target while parsing,
    # before the page has finished scrolling to it.
    landed = (f"(() => {{ const file = document.getElementById('file-{file_id}');"
              f" return document.activeElement === file && Math.abs(file.getBoundingClientRect().top) < 5; }})()")
    try:
        page.wait_for_function(landed, timeout=10_000)
    except PlaywrightTimeout:
        where = page.evaluate(f"[document.activeElement.id, scrollY, location.href,"
                              f" document.getElementById('file-{file_id}').getBoundingClientRect().top]")
        raise AssertionError(f"not back on file-{file_id}: focus, scrollY, address, top = {where}") from None
    height = page.viewport_size["height"]
    for selector in ([f"#vote-{file_id} button"] + (["#haven-done"] if outcome else [])):
        box = page.locator(selector).bounding_box()
        assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= height, selector
    if outcome:
        assert page.locator("#haven-done").inner_text() == outcome


def tab_to(page, selector: str, limit: int = 40) -> None:
    """Tab (only the keyboard) until the element ``selector`` names has the focus."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement === document.querySelector(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} was not reached with {limit} presses of Tab")


def vote_by_keyboard(page, file_id: int, decision_downs: int, comment: str = "") -> None:
    page.keyboard.press("v")  # to the first choice of the vote (Approve)
    assert focused_id(page) == f"vote-{file_id}-approve"
    page.keyboard.press("Space")
    for _ in range(decision_downs):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")
    page.keyboard.type(comment)
    page.keyboard.press("Tab")  # who sees it: shared, the default
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")


def test_a_checker_reviews_twenty_files_by_keyboard_without_losing_her_place(axe_page, browser, haven_hub):
    page = axe_page
    egress = Egress(hub=haven_hub, base=haven_hub.url + PREFIX)
    egress.wait_ready()
    title = f"Twenty outputs {uuid.uuid4().hex[:6]}"
    entries = [file_entry("out/by_area.csv", BIG_TABLE, description="admissions by area and sex")]
    entries += [file_entry(f"out/table_{n:02}.csv", small_table(n)) for n in range(1, FILES)]
    submitted = egress.submit("ada", "alpha", title=title, files=entries)
    assert submitted.status_code == 201, submitted.text
    request_id = submitted.json()["id"]
    withdrawn = egress.submit("ada", "alpha", title=f"Withdrawn {uuid.uuid4().hex[:6]}")
    assert egress.act("ada", withdrawn.json()["id"], "withdraw").status_code == 200
    ids = [f["id"] for f in wait_for_checks(egress, request_id)]

    # The queue: the checks' verdict and the votes cast, withdrawn requests hidden by default.
    log_in(page, haven_hub, "carol")
    page.goto(egress.base + "?clear=1")
    row = page.locator(f'tr[data-request-id="{request_id}"]')
    assert "fails" in row.locator(".haven-queue-verdict").inner_text()
    assert row.locator(".haven-queue-votes").inner_text() == f"0 of {FILES * 2}"
    assert page.locator(f'tr[data-request-id="{withdrawn.json()["id"]}"]').count() == 0
    assert "withdrawn request" in page.locator("#withdrawn-hidden").inner_text()
    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS_SCREENSHOTS / "review-queue.png"))
    assert serious_accessibility_problems(page) == []
    # A filter chosen once is the queue's next time, until cleared.
    page.select_option("#filter-project", "alpha")
    page.locator("#queue-filters").get_by_role("button", name="Filter").click()
    page.goto(egress.base)
    page.wait_for_url("**/services/egress/?*project=alpha*")
    assert page.locator("#filter-project").input_value() == "alpha"
    page.locator("#clear-filters").click()
    page.wait_for_url(egress.base)
    assert page.locator("#filter-project").input_value() == ""

    # The request opens on its first file, the 500 flagged cells summed up in one line.
    row = page.locator(f'tr[data-request-id="{request_id}"]')
    row.get_by_role("link", name=title).focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/requests/{request_id}")
    summary = page.locator(f"#summary-{ids[0]}").inner_text()
    assert "Small counts: 500 cells below 10" in summary and "min_frequency" not in summary
    assert page.locator(f"#findings-{ids[0]}").get_attribute("open") is None  # the 500 lines are folded
    assert page.locator("td.haven-cell-fail").count() == 500
    # "Flagged rows only", by keyboard: the 50 clean rows go.
    tab_to(page, f"#flagged-only-{ids[0]}")
    page.keyboard.press("Space")
    assert page.locator(f"#table-{ids[0]} tbody tr:visible").count() == 250
    page.keyboard.press("Space")
    assert page.locator(f"#table-{ids[0]} tbody tr:visible").count() == 300

    # Start review, beside the file: she stays on it, votes open.
    tab_to(page, "#action-start-review button")
    page.keyboard.press("Enter")
    assert_in_place(page, ids[0], "Review started: votes are open.")
    page.screenshot(path=str(DOCS_SCREENSHOTS / "review-page.png"))
    assert serious_accessibility_problems(page) == []

    # Moving on by keyboard lands on each file; a vote lands back on the same file with its
    # outcome beside it. (Each step is a page load: a few, not all twenty, keep the CI budget;
    # the unit tests cover what twenty files change on the page.)
    vote_by_keyboard(page, ids[0], 1, "Suppress the small cells or merge areas")
    assert_in_place(page, ids[0], "Your vote is recorded.")
    for number in (1, 2):
        page.keyboard.press("j")
        page.wait_for_url(f"**?file={ids[number]}#file-{ids[number]}")
        assert_in_place(page, ids[number])
        assert page.locator(".haven-file-position").inner_text().startswith(f"File {number + 1} of {FILES}")
    vote_by_keyboard(page, ids[2], 0)
    assert_in_place(page, ids[2], "Your vote is recorded.")
    # The last file from the list of files, just before the file in the tab order.
    page.keyboard.press("Shift+Tab")  # "Decision on the request"
    page.keyboard.press("Shift+Tab")  # the last file of the list
    assert page.evaluate("document.activeElement.getAttribute('href')") == f"?file={ids[-1]}#file-{ids[-1]}"
    page.keyboard.press("Enter")
    page.wait_for_url(f"**?file={ids[-1]}#file-{ids[-1]}")
    assert_in_place(page, ids[-1])
    assert page.locator(".haven-file-position").inner_text().startswith(f"File {FILES} of {FILES}")
    vote_by_keyboard(page, ids[-1], 0)
    assert_in_place(page, ids[-1], "Your vote is recorded.")
    page.keyboard.press("k")
    page.wait_for_url(f"**?file={ids[-2]}#file-{ids[-2]}")
    assert_in_place(page, ids[-2])
    assert page.locator("#file-list").inner_text().count("you voted") == 3

    # The author reads the request's state in her own words (no download before release).
    assert egress.detail("carol", request_id)["state"] == "under_review"


def test_the_author_downloads_released_files_from_the_request_page_and_a_checker_may_not(axe_page, haven_hub):
    egress = Egress(hub=haven_hub, base=haven_hub.url + PREFIX)
    egress.wait_ready()
    request_id = egress.create_request_at("released")  # a table and a figure, released
    files = egress.detail("ada", request_id)["versions"][-1]["files"]
    author = axe_page
    log_in(author, haven_hub, "ada")
    author.goto(egress.base + f"requests/{request_id}")
    assert author.locator("#request-next-step").inner_text().strip() == "· Released: download the files below."
    links = author.locator("a.haven-download")
    assert links.count() == len(files) == 2
    with author.expect_download() as download:
        links.first.click()
    assert Path(download.value.path()).read_bytes() == TABLE
    assert ("ada", "egress.download") in audit_trail(data_dir(haven_hub), request_id)
    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    author.screenshot(path=str(DOCS_SCREENSHOTS / "request-page-author.png"))
    assert serious_accessibility_problems(author) == []

    # A checker (her hub token: logging her in again would wait for a fresh TOTP step): her
    # page of the request has no link, says what happened in her words, and the address refuses.
    shown = egress.call("GET", f"requests/{request_id}", "carol")
    assert shown.status_code == 200 and "haven-download" not in shown.text
    assert "Released to its author." in shown.text and "download the files" not in shown.text
    refused = egress.call("GET", f"api/files/{files[0]['id']}/download", "carol")
    assert refused.status_code == 403, refused.text


def data_dir(hub) -> Path:
    return hub.settings.data_path(hub.settings.egress.data_dir)
