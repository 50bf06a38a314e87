"""Review per file in the browser, in one walk: carol approves a table with a comment for the
checkers and one for the author; dave, before voting, sees neither, then disagrees, and the file
shows conflicted; grace, the third checker, decides; carol releases through the confirmation
page with a reason. The author sees no checker comment while it is open and, after the decision,
only the one meant for her. axe-core checks each state of the request page and the confirmation."""

from __future__ import annotations

import pytest

from tests.integration.egress.client import PREFIX, TABLE, Egress, file_entry

from .conftest import VIEWPORT, log_in, require_axe, serious_accessibility_problems

pytestmark = [pytest.mark.browser, pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure")]

FOR_CHECKERS = "compare with last year's table"
FOR_AUTHOR = "say how the ages were rounded"


def accessible(page, state: str) -> None:
    problems = serious_accessibility_problems(page)
    assert problems == [], f"{state}: {problems}"


def test_checkers_disagree_a_third_decides_and_the_author_reads_her_comment_after(browser, haven_hub):
    require_axe()
    egress = Egress(hub=haven_hub, base=haven_hub.url + PREFIX)
    # Filed in gamma, where grace (a checker, no member of it) may be the third checker.
    filed = egress.submit("bob", "gamma", [file_entry("out/ages.csv", TABLE)], title="Ages, rounded")
    assert filed.status_code == 201, filed.text
    request_id = filed.json()["id"]
    assert egress.act("carol", request_id, "start-review").status_code == 200
    file_id = egress.detail("carol", request_id)["versions"][-1]["files"][0]["id"]
    assert egress.review("carol", file_id, "approve", "fine").status_code == 201
    url = f"{haven_hub.url}{PREFIX}requests/{request_id}"
    contexts = []

    def as_user(name: str):
        context = browser.new_context(viewport=VIEWPORT, bypass_csp=True)  # bypass: axe is injected
        contexts.append(context)
        page = context.new_page()
        log_in(page, haven_hub, name)
        page.goto(url)
        return page

    try:
        carol = as_user("carol")
        thread = carol.locator(f"#file-comment-{file_id}")
        for body, visibility in ((FOR_CHECKERS, "private"), (FOR_AUTHOR, "shared")):
            thread.locator("textarea").fill(body)
            thread.locator("select").select_option(visibility)
            thread.get_by_role("button", name="Post comment on this file").click()
            carol.wait_for_selector("#haven-done")
        assert carol.locator(f"#thread-{file_id} li").count() == 2

        bob = as_user("bob")  # the author, while the review is open: no checker's word yet
        assert FOR_AUTHOR not in bob.content() and FOR_CHECKERS not in bob.content()

        dave = as_user("dave")  # before his own vote: neither carol's vote nor her comments
        assert FOR_CHECKERS not in dave.content() and "carol: " not in dave.locator(f"#file-{file_id}").inner_text()
        vote = dave.locator(f"#vote-{file_id}")
        vote.locator("input[value=reject]").check()
        vote.locator("textarea").fill("row a is too small")
        vote.get_by_role("button", name="Cast vote").click()
        dave.wait_for_selector(f"#conflicted-{file_id}")
        assert FOR_CHECKERS in dave.content()  # voted: now he reads the thread
        assert "votes on this file disagree" in dave.locator(f"#conflict-note-{file_id}").inner_text()
        assert dave.locator("#request-state").inner_text() == "under review"
        accessible(dave, "a conflicted file")

        grace = as_user("grace")  # the third checker decides
        assert grace.locator(f"#conflicted-{file_id}").count() == 1 and FOR_CHECKERS not in grace.content()
        vote = grace.locator(f"#vote-{file_id}")
        vote.locator("input[value=approve]").check()
        vote.get_by_role("button", name="Cast vote").click()
        grace.wait_for_selector("#haven-done")
        assert grace.locator("#request-state").inner_text() == "approved"

        carol.goto(url)
        carol.locator("#action-release button").click()
        carol.wait_for_selector("#haven-confirm-form")
        accessible(carol, "the release confirmation")
        carol.locator("#haven-confirm").click()  # no reason: asked again, nothing released
        carol.wait_for_selector("#e-reason")
        accessible(carol, "the confirmation refused")
        carol.fill("#f-reason", "ages rounded to 5; no cell below 10")
        carol.locator("#haven-confirm").click()
        carol.wait_for_selector("#haven-done")
        assert carol.locator("#request-state").inner_text() == "released"

        bob.goto(url)
        assert bob.locator(f"#thread-{file_id}").inner_text().count(FOR_AUTHOR) == 1
        assert FOR_CHECKERS not in bob.content()
        accessible(bob, "the author's page after the release")
    finally:
        for context in contexts:
            context.close()
