"""A notebook's way out, returned and resubmitted, in a real browser (issue 16, item 7).

Ada saves a notebook and asks for its release from the File menu: the server renders it to
HTML, which is what the egress service holds. A checker asks for a change on that file and
returns the request. Ada changes the notebook; the Releases panel's Resubmit opens the
dialog on the notebook she works on (not on the service's ``.html``, which is not in her
workspace), Check files renders it again and she resubmits. The checker's page marks the file
changed and undecided; two checkers approve and it is released; the HTML Ada downloads from the
panel holds the revised output and not the first one.

On a hub whose egress service takes a rendered notebook (``notebook_hub``: nbconvert's HTML is
a few hundred KB, over the 64K of the session's hub, which the size-limit tests rely on).
"""

from __future__ import annotations

import uuid

import pytest

from tests.integration.egress.client import PREFIX, Egress

from .conftest import serious_accessibility_problems
from .test_analyst_day import adas_alpha_lab, new_notebook_in_workspace, review_started, submit_one_file

pytestmark = [pytest.mark.browser, pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure")]

NOTEBOOK = "workspace/cohort_count.ipynb"
RENDERED = "workspace/cohort_count.html"
COUNT = ("import haven\n"
         "total = int(haven.sql('select count(*) from admissions').df().iloc[0, 0])\n"
         "print(f'admissions in total: {total}')")
ROUNDED = "print(f'admissions in total, rounded to 5: {5 * round(total / 5)}')"
ASKED = "Round the total to the nearest 5 before it leaves"


@pytest.fixture(scope="session")
def haven_hub(notebook_hub):
    """This module's hub (and so its servers' clean-up and failure logs) is the notebook hub."""
    return notebook_hub


def test_a_returned_notebook_is_changed_resubmitted_from_the_panel_and_released(axe_page, browser, haven_hub):
    with adas_alpha_lab(axe_page, haven_hub, f"/home/analyst/{NOTEBOOK} /home/analyst/{RENDERED}") as lab:
        returned_and_resubmitted(axe_page, browser, haven_hub, lab)


def returned_and_resubmitted(page, browser, haven_hub, lab: str) -> None:
    egress = Egress(hub=haven_hub, base=haven_hub.url + PREFIX)

    # A notebook that prints an exact count, saved under a name.
    new_notebook_in_workspace(page, lab)
    cell = page.locator(".jp-Notebook .jp-Cell").first
    cell.locator(".cm-content").click()
    page.keyboard.insert_text(COUNT)
    page.keyboard.press("Shift+Enter")
    output = cell.locator(".jp-OutputArea-output", has_text="admissions in total:")
    output.wait_for(timeout=90_000)
    exact = output.inner_text().strip()
    page.keyboard.press("Control+s")
    rename = page.locator(".jp-Dialog", has_text="Rename file")  # JupyterLab asks on a first save
    rename.locator("input[type=text], input:not([type])").first.fill(NOTEBOOK.split("/")[-1])
    rename.get_by_role("button", name="Rename and Save").click()
    rename.wait_for(state="detached")

    # Its release, from the File menu.
    cell.click()
    page.locator(".lm-MenuBar-itemLabel", has_text="File").click()
    page.locator(".lm-Menu:visible .lm-Menu-item", has_text="Request release…").click()
    dialog = page.get_by_role("dialog", name="Request release")
    dialog.wait_for()
    assert dialog.locator("fieldset legend").all_inner_texts() == [NOTEBOOK]
    assert dialog.get_by_label("Kind").input_value() == "notebook"
    request_id, checked = submit_one_file(page, dialog, title=f"Cohort count {uuid.uuid4().hex[:6]}",
                                          purpose="The cohort's size, for the methods section",
                                          description="How many admissions the cohort has")
    # The server rendered the notebook to HTML and checked that.
    assert "cohort_count.html needs a person to look" in checked
    [first] = egress.detail("carol", request_id)["versions"][-1]["files"]
    assert first["path"] == RENDERED
    assert exact in rendered_text(egress, first["id"])

    # A checker asks for a change on the file and returns the request.
    assert egress.act("carol", request_id, "start-review").status_code == 200
    assert egress.review("carol", first["id"], "request_changes", ASKED).status_code == 201
    assert egress.act("carol", request_id, "return", "The total is exact: round it").status_code == 200

    # Ada changes the notebook: the exact count's cell now prints the rounded one.
    cell.locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(ROUNDED)
    page.keyboard.press("Shift+Enter")
    cell.locator(".jp-OutputArea-output", has_text="rounded to 5").wait_for(timeout=90_000)
    assert "admissions in total:" not in cell.locator(".jp-OutputArea").inner_text()
    page.keyboard.press("Control+s")
    page.wait_for_function("!document.querySelector('.jp-mod-dirty')", timeout=30_000)

    # Resubmit from the panel: the dialog names the notebook, not the service's HTML.
    page.locator(".haven-panel-header button", has_text="Refresh").click()
    request = page.locator(f".haven-request[data-request-id='{request_id}'][data-state='returned']")
    request.wait_for(timeout=30_000)
    request.get_by_role("button", name="Resubmit…").click()
    dialog = page.get_by_role("dialog", name="Resubmit request")
    dialog.wait_for()
    assert "The total is exact: round it" in dialog.get_by_role("list", name="What the checkers said", exact=True).inner_text()
    assert dialog.locator("fieldset legend").all_inner_texts() == [NOTEBOOK]
    assert ASKED in dialog.get_by_role("list", name=f"What the checkers said about {NOTEBOOK}").inner_text()
    assert dialog.get_by_label("Kind").input_value() == "notebook"
    assert dialog.get_by_label("Description").input_value() == "How many admissions the cohort has"
    dialog.get_by_label("Disclosure controls applied").fill("total rounded to base 5")
    dialog.get_by_label("What changed").fill("The total is rounded to the nearest 5")
    dialog.get_by_role("button", name="Check files").click()
    dialog.locator(".haven-verdict").wait_for(timeout=90_000)
    assert serious_accessibility_problems(page, ".haven-dialog") == []
    dialog.get_by_role("button", name="Resubmit").click()
    dialog.wait_for(state="detached", timeout=60_000)
    page.locator(f".haven-request[data-request-id='{request_id}'][data-state='submitted']").wait_for(timeout=30_000)

    detail = egress.detail("carol", request_id)
    assert [v["number"] for v in detail["versions"]] == [1, 2]
    [second] = detail["versions"][-1]["files"]
    assert second["path"] == RENDERED and second["sha256"] != first["sha256"]
    assert second["controls"] == ["total rounded to base 5"]
    revised = rendered_text(egress, second["id"])
    assert "admissions in total, rounded to 5:" in revised and exact not in revised

    # The checker's page: the file changed since version 1, so its earlier vote is not carried.
    checker_sees_the_file_changed(browser, haven_hub, request_id, second["id"])
    egress.vote_all("carol", request_id)
    egress.vote_all("dave", request_id)
    assert egress.act("dave", request_id, "release", "rounded total only").status_code == 200

    # Ada downloads the released HTML from the panel: the revised notebook, not the first.
    page.locator(".haven-panel-header button", has_text="Refresh").click()
    link = page.locator(f".haven-request[data-request-id='{request_id}'] a.haven-download")
    link.wait_for(timeout=30_000)
    with page.expect_download(timeout=60_000) as download_info:
        link.click()
    downloaded = open(download_info.value.path(), "rb").read().decode()
    assert "admissions in total, rounded to 5:" in downloaded and exact not in downloaded


def rendered_text(egress: Egress, file_id: int) -> str:
    response = egress.call("GET", f"api/files/{file_id}/content", "carol")
    assert response.status_code == 200, response.text
    return response.content.decode()


def checker_sees_the_file_changed(browser, haven_hub, request_id: str, file_id: int) -> None:
    with review_started(browser, haven_hub, "carol", request_id) as checker:
        file = checker.locator("article.haven-file")
        assert file.locator("h3 code").inner_text() == RENDERED
        assert "changed since version 1: undecided" in file.inner_text()
        assert "carried from version" not in file.inner_text()
        assert checker.locator(f"#vote-{file_id}").count() == 1
        assert serious_accessibility_problems(checker) == []
