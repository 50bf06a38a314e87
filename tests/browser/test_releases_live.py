"""The Releases panel keeps itself current and announces decisions (issue 15), in a real
browser against a real Haven.

Ada has Lab open with the Releases panel; a checker returns her request through the egress
API; without a reload or a click on Refresh, the panel's own look (every 25 s, the browser's
clock moved on rather than waited for) shows it returned, names the file the checkers
commented on and says so in its status line, once; the notification goes to Lab's
notification centre, not into a toast over the panel's buttons. With the panel collapsed, the
next decision is a toast with "Show request", which opens the panel on that request. Long
paths wrap in a 300 px panel, and the panel has no serious WCAG 2.1 A/AA problems (axe-core).
"""

from __future__ import annotations

import uuid

import pytest

from tests.integration.egress.client import FIGURE, PREFIX, TABLE, Egress, file_entry

from .conftest import serious_accessibility_problems
from .test_release_from_lab import shot, start_lab

pytestmark = [pytest.mark.browser, pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure")]

# No break opportunity in the name: only the panel's wrapping keeps it inside 300 px.
LONG_PATH = "workspace/outputs/admissions_by_region_and_sex_rounded_to_five_for_table_two_of_the_cohort_paper.csv"
PANEL = "#haven-requests-panel"


def test_a_return_reaches_the_open_panel_and_is_announced_once(axe_page, haven_hub):
    page = axe_page
    egress = Egress(hub=haven_hub, base=haven_hub.url + PREFIX)
    title = f"Live counts {uuid.uuid4().hex[:6]}"
    # Filed from Ada's server in alpha (its token) and under review before Lab opens: what the
    # panel's first look finds is not news.
    submitted = egress.submit("ada", "alpha", title=title, files=[
        file_entry(LONG_PATH, TABLE), file_entry("workspace/figure.png", FIGURE, media_type="image/png", kind="figure")])
    assert submitted.status_code == 201, submitted.text
    request_id = submitted.json()["id"]
    assert egress.act("carol", request_id, "start-review").status_code == 200
    # A second one, decided later while the panel is collapsed.
    other_title = f"Live rates {uuid.uuid4().hex[:6]}"
    other = egress.submit("ada", "alpha", title=other_title, files=[file_entry("workspace/rates.csv", TABLE)])
    assert other.status_code == 201, other.text
    other_id = other.json()["id"]
    assert egress.act("carol", other_id, "start-review").status_code == 200

    # The browser's clock, so the test moves it on instead of waiting out the interval.
    page.clock.install()
    looks: list[tuple[int, int]] = []  # (status, body bytes) of each look at the list

    def record_look(response) -> None:
        if response.url.split("?")[0].endswith("/haven/requests") and response.request.method == "GET":
            looks.append((response.status, len(response.body()) if response.status == 200 else 0))

    page.on("response", record_look)
    start_lab(page, haven_hub, "ada", "alpha")
    page.locator("li[data-id='haven-requests-panel']").click()
    item = page.locator(f"{PANEL} .haven-request[data-request-id='{request_id}']")
    item.and_(page.locator("[data-state='under_review']")).wait_for(timeout=30_000)
    toasts = page.locator(".Toastify__toast")
    status = page.locator(f"{PANEL} .haven-status")
    unread = page.locator(".jp-Notification-Status")  # the notification centre's bell and count
    page.wait_for_timeout(500)
    assert toasts.count() == 0 and title not in status.inner_text(), "the state found at the first look was announced"
    unread_before = int(unread.inner_text().strip() or 0)

    # Both checkers ask for changes to the table and approve the figure: every file has its
    # votes, so the service returns the request by its rule ("returned by system").
    files = {f["path"]: f["id"] for f in egress.detail("carol", request_id)["versions"][-1]["files"]}
    for checker in ("carol", "dave"):
        response = egress.review(checker, files[LONG_PATH], "request_changes", f"Round the counts to 5 ({checker})")
        assert response.status_code == 201, response.text
        response = egress.review(checker, files["workspace/figure.png"], "approve")
        assert response.status_code == 201, response.text
    assert egress.detail("ada", request_id)["state"] == "returned"

    # No reload, no Refresh: the panel's next look, 25 s on.
    page.clock.fast_forward("00:26")
    returned = item.and_(page.locator("[data-state='returned']"))
    returned.wait_for(timeout=15_000)
    words = status.inner_text()
    assert title in words and "returned to you for changes" in words and "a checker asked for changes" in words, words
    # In view, the panel says it: no toast over its buttons, one more in the notification centre.
    assert toasts.count() == 0
    assert int(unread.inner_text().strip()) == unread_before + 1
    # What happened in plain words, and which file the checkers' comments concern.
    reason = returned.locator(".haven-decision-reason").inner_text()
    assert reason.startswith("Returned after review:") and "by system" not in reason, reason
    needs = returned.locator(".haven-needs-changes").inner_text()
    assert LONG_PATH.rsplit("/", 1)[1] in needs and "figure.png" not in needs, needs
    assert "Round the counts to 5 (carol)" in returned.locator(".haven-comments").inner_text()
    shot(page, "14-returned-live")

    # The next look finds nothing new: a 304 without a body (the list's ETag), no second
    # notification.
    seen_looks = len(looks)
    page.clock.fast_forward("00:26")
    for _ in range(50):
        if len(looks) > seen_looks:
            break
        page.wait_for_timeout(200)
    assert looks[seen_looks:] and looks[seen_looks][0] == 304, looks
    assert title not in status.inner_text() and int(unread.inner_text().strip()) == unread_before + 1
    print(f"looks at the list (status, bytes): {looks}")

    # At 300 px, paths wrap instead of scrolling sideways.
    widths = page.evaluate("""(selector) => {
        const panel = document.querySelector(selector);
        panel.style.width = '300px';
        return [panel.scrollWidth, panel.clientWidth];
    }""", PANEL)
    assert widths[0] <= widths[1], f"the panel scrolls sideways at 300 px: {widths}"
    assert serious_accessibility_problems(page, PANEL) == []

    # Out of view, the next decision is a toast; its "Show request" opens the panel on it.
    page.locator("li[data-id='haven-requests-panel']").click()
    page.locator(PANEL).wait_for(state="hidden")
    assert egress.act("carol", other_id, "return", "Give the rates' denominators").status_code == 200
    page.clock.fast_forward("00:26")
    toast = toasts.filter(has_text=other_title)
    toast.wait_for(timeout=15_000)
    assert "returned to you for changes" in toast.inner_text(), toast.inner_text()
    assert toasts.count() == 1
    toast.get_by_role("button", name="Show request").click()
    page.locator(PANEL).wait_for(state="visible")
    page.wait_for_function(f"document.activeElement?.dataset?.requestId === '{other_id}'", timeout=5_000)
    haven_hub.stop("ada", "alpha")
