"""The analyst's way out, end to end in a real browser against a real Haven.

Ada starts her project's server, queries the synthetic data through ``haven`` in a
notebook (with a query the Datasets panel inserted), writes a table, asks for its release
from the file browser, sees the pre-flight findings and submits. Two output checkers
approve it on the egress pages and one releases it; Ada downloads it from the Release
requests panel and gets exactly the bytes she submitted. On the way: the Download menu
item is gone and the server refuses ``/files/`` for the same file.
"""

from __future__ import annotations

import hashlib
import re
import uuid


import docker
import pytest

from .conftest import SCREENSHOTS, log_in, serious_accessibility_problems

pytestmark = [pytest.mark.browser, pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure")]

EGRESS = "/services/egress/"
TABLE = "admissions_by_region.csv"
# Regions by sex: the rare sex "I" makes cells below 10, which the pre-flight must show.
QUERY_CELL = (
    "import haven\n"
    "table = haven.sql('''select p.region, p.sex, count(*) as admissions\n"
    "    from admissions a join patients p using (patient_id)\n"
    "    group by all order by all''').df()\n"
    f"table.to_csv('{TABLE}', index=False)\n"
    "print('rows written:', len(table))"
)


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"release-{name}.png"))


def menu_labels(page) -> list[str]:
    return [label.strip() for label in page.locator(".lm-Menu:visible .lm-Menu-itemLabel").all_inner_texts()]


def start_lab(page, hub, username: str, project: str) -> str:
    log_in(page, hub, username)
    page.click(f"#start-{project}")  # starts at once: nothing to choose
    page.wait_for_url(re.compile(rf".*/user/{username}/{project}/lab.*"), timeout=180_000)
    page.wait_for_selector(".jp-DirListing-item", timeout=90_000)
    return f"{hub.url}/user/{username}/{project}/"


def run_active_cell(page) -> None:
    page.keyboard.press("Shift+Enter")


def checker_approves(browser, hub, username: str, request_id: str, *, start: bool = False,
                     release: bool = False) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        log_in(page, hub, username)
        page.goto(f"{hub.url}{EGRESS}requests/{request_id}")
        if start:
            page.get_by_role("button", name="Start review").click()
            page.wait_for_selector("#haven-done")
        while True:  # one file at a time: vote, then on to the next file
            form = page.locator("form.haven-vote")
            if form.count():
                form.locator("input[value=approve]").check()
                form.get_by_role("button", name="Cast vote").click()
                page.wait_for_selector("#haven-done")
            following = page.locator("a[data-haven-file-nav=next]")
            if not following.count():
                break
            with page.expect_navigation():
                following.click()
        shot(page, f"7-checker-{username}")
        if release:
            page.locator("#action-release button").click()
            # A release is final: it asks first, with a reason (docs/egress-pages.md).
            page.fill("#f-reason", "counts rounded; no cell below 10")
            page.locator("#haven-confirm").click()
            page.wait_for_load_state()
            assert page.locator("#request-state").inner_text() == "released"
            shot(page, "8-released-by-checker")
    finally:
        context.close()


def test_analyst_requests_release_and_downloads_what_checkers_approved(page, browser, haven_hub):
    lab = start_lab(page, haven_hub, "ada", "alpha")
    # Which project this tab works in: in the tab's title (kept through Lab's own rewrites
    # of it) and in the status bar.
    page.wait_for_function("document.title.startsWith('alpha · ')", timeout=30_000)
    assert page.locator(".haven-project-status").inner_text() == "Project: alpha"
    shot(page, "1-lab")

    # File › Download, Export and Print are gone; Request release… is there instead.
    page.locator(".lm-MenuBar-itemLabel", has_text="File").click()
    labels = menu_labels(page)
    assert "Request release…" in labels
    assert not any(label.startswith(("Download", "Save and Export", "Export Notebook", "Print")) for label in labels), \
        labels
    shot(page, "2-file-menu")
    page.keyboard.press("Escape")

    # A notebook in the workspace; the Datasets panel inserts a query into it. ?reset: Lab now
    # keeps each user's layout (JUPYTERLAB_WORKSPACES_DIR in the home folder; before issue 11 it
    # was read-only /etc/jupyter and never saved), so whatever an earlier test left open would
    # be restored over the launcher this step starts from.
    page.goto(f"{lab}lab/tree/workspace?reset")
    page.wait_for_selector(".jp-LauncherCard[data-category='Notebook']", timeout=60_000)
    page.locator(".jp-LauncherCard[data-category='Notebook']").first.click()
    page.wait_for_selector(".jp-Notebook .jp-Cell .cm-content", timeout=60_000)
    page.locator("li[data-id='haven-datasets-panel']").click()
    dataset = page.locator(".haven-dataset[data-dataset='admissions']")
    dataset.wait_for(timeout=30_000)
    assert "Synthetic hospital admissions" in dataset.inner_text()
    dataset.locator("details summary").click()
    assert dataset.locator(".haven-columns dt", has_text="length_of_stay_days").count() == 1
    dataset.get_by_role("button", name=re.compile("Insert a query on admissions")).click()
    first_cell = page.locator(".jp-Notebook .jp-Cell").first
    assert 'from admissions limit 10' in first_cell.locator(".cm-content").inner_text()
    shot(page, "3-datasets-panel")
    # A run sent before the kernel is connected is lost (the cell stays "[ ]"): wait until it is idle.
    page.wait_for_selector('.jp-StatusBar-TextItem:has-text("Idle")', timeout=90_000)
    first_cell.locator(".cm-content").click()
    run_active_cell(page)
    page.wait_for_selector(".jp-Notebook .jp-Cell >> nth=0 >> .jp-OutputArea-output table", timeout=90_000)

    # The analysis: a table written to the workspace.
    page.locator(".jp-Notebook .jp-Cell").nth(1).locator(".cm-content").click()
    page.keyboard.insert_text(QUERY_CELL)
    run_active_cell(page)
    page.locator(".jp-Notebook .jp-Cell").nth(1).locator(".jp-OutputArea-output", has_text="rows written").wait_for(
        timeout=90_000)
    page.keyboard.press("Control+s")
    rename = page.locator(".jp-Dialog", has_text="Rename file")  # JupyterLab asks on a first save
    rename.locator("input[type=text], input:not([type])").first.fill("analysis.ipynb")
    rename.get_by_role("button", name="Rename and Save").click()
    rename.wait_for(state="detached")

    # The server refuses the file's direct URL whatever the browser does.
    refused = page.request.get(f"{lab}files/workspace/{TABLE}")
    assert refused.status == 403, refused.status
    assert "Request release" in refused.text()

    # Request its release from the file browser's context menu.
    page.locator("li[data-id='filebrowser']").click()
    page.locator("#filebrowser .jp-ToolbarButtonComponent[title^='Refresh']").click()
    item = page.locator(f".jp-DirListing-item[title^='Name: {TABLE}']")
    item.wait_for(timeout=30_000)
    item.click(button="right")
    labels = menu_labels(page)
    assert "Request release…" in labels
    assert not any(label.startswith(("Download", "Copy Download Link", "Open in New Browser Tab")) for label in labels)
    shot(page, "4-context-menu")
    page.locator(".lm-Menu:visible .lm-Menu-item", has_text="Request release…").click()

    dialog = page.get_by_role("dialog", name="Request release")
    dialog.wait_for()
    title = f"Admissions by region and sex {uuid.uuid4().hex[:6]}"
    dialog.get_by_label("Title").fill(title)
    dialog.get_by_label("Purpose").fill("Table 2 of the alpha cohort paper")
    # Submitting before the checks ran is not possible.
    assert dialog.get_by_role("button", name="Submit request").is_disabled()
    dialog.get_by_label("Description").fill("Admissions by region and sex, 2018-2024")
    assert dialog.get_by_label("Kind").input_value() == "frequency_table"
    dialog.get_by_label("Disclosure controls applied").fill("none yet")
    dialog.get_by_role("button", name="Check files").click()
    verdict = dialog.locator(".haven-verdict")
    verdict.wait_for(timeout=60_000)
    assert "below 10" in verdict.inner_text() and TABLE in verdict.inner_text(), verdict.inner_text()
    assert dialog.locator(".haven-finding-list li").count() >= 1
    shot(page, "5-preflight-findings")
    dialog.get_by_role("button", name="Submit request").click()
    dialog.wait_for(state="detached", timeout=60_000)

    request = page.locator(".haven-request", has_text=title)
    request.wait_for(timeout=30_000)
    assert request.get_attribute("data-state") == "submitted"
    request_id = request.get_attribute("data-request-id")
    shot(page, "6-requests-panel")

    container = docker.from_env().containers.get(haven_hub.container_name("ada", "alpha"))
    exit_code, submitted = container.exec_run(["cat", f"/home/analyst/workspace/{TABLE}"])
    assert exit_code == 0 and submitted.count(b"\n") > 3

    # Two checkers approve on the egress pages; the second releases.
    checker_approves(browser, haven_hub, "carol", request_id, start=True)
    checker_approves(browser, haven_hub, "dave", request_id, release=True)

    # Ada downloads it from the panel, from the egress service outside her container.
    page.locator(".haven-panel-header button", has_text="Refresh").click()
    link = page.locator(f".haven-request[data-request-id='{request_id}'] a.haven-download")
    link.wait_for(timeout=30_000)
    assert link.get_attribute("href").startswith(f"{haven_hub.url}{EGRESS}") or \
        link.get_attribute("href").startswith(EGRESS)
    shot(page, "9-released-in-panel")

    # While the review service restarts the hub's proxy answers for it with its 503 page
    # ("Your server appears to be down"). Played here in the browser only, so the shared
    # service keeps running: Lab names the review service and starts no download.
    def proxy_error_page(route):
        route.fulfill(status=503, content_type="text/html",
                      body="<p>Your server appears to be down. Try restarting it from the hub</p>")

    service_page = re.compile(r".*/services/egress/mine$")
    page.route(service_page, proxy_error_page)
    downloads = []

    def record(download) -> None:
        downloads.append(download)

    page.on("download", record)
    link.click()
    toast = page.locator(".Toastify__toast", has_text="review service")
    toast.wait_for(timeout=15_000)
    assert "egress service" in toast.inner_text() and "appears to be down" not in toast.inner_text()
    shot(page, "9b-review-service-down")
    toast.get_by_title("Hide notification").click()
    toast.wait_for(state="detached")
    page.unroute(service_page, proxy_error_page)
    page.remove_listener("download", record)
    assert downloads == []
    with page.expect_download(timeout=60_000) as download_info:
        link.click()
    downloaded = open(download_info.value.path(), "rb").read()
    assert hashlib.sha256(downloaded).hexdigest() == hashlib.sha256(submitted).hexdigest()
    assert downloaded == submitted

    # A notebook output goes out the same way: saved as CSV by the server, then the dialog.
    page.locator(".jp-Notebook .jp-Cell").first.locator(".jp-OutputArea-child").first.click(button="right")
    labels = menu_labels(page)
    # Copying an output to the clipboard is closed like printing it (docs/lab-boundary.md).
    assert "Request release of this output" in labels and "Copy Output to Clipboard" not in labels, labels
    page.locator(".lm-Menu:visible .lm-Menu-item", has_text="Request release of this output").click()
    dialog = page.get_by_role("dialog", name="Request release")
    dialog.wait_for()
    saved = dialog.locator("fieldset legend").inner_text()
    assert saved.startswith("workspace/") and saved.endswith("-cell0-output0.csv"), saved
    exit_code, output_csv = container.exec_run(["cat", f"/home/analyst/{saved}"])
    assert exit_code == 0 and output_csv.startswith(b"admission_id,"), output_csv[:80]
    shot(page, "10-output-request")
    # Escape on a half-filled form asks first; keeping on editing keeps what was typed.
    dialog.get_by_label("Title").fill("Admissions, first rows")
    page.keyboard.press("Escape")
    question = dialog.get_by_role("alertdialog")
    question.wait_for()
    assert "Discard this release request?" in question.inner_text()
    question.get_by_role("button", name="Keep editing").click()
    assert question.is_hidden() and dialog.get_by_label("Title").input_value() == "Admissions, first rows"
    page.keyboard.press("Escape")
    question.get_by_role("button", name="Discard").click()
    dialog.wait_for(state="detached")
    # Cancelled: the CSV saved only for this request is gone from the workspace.
    for _ in range(50):
        exit_code, _ = container.exec_run(["test", "-e", f"/home/analyst/{saved}"])
        if exit_code != 0:
            break
        page.wait_for_timeout(200)
    assert exit_code != 0, f"{saved} was left behind"

    # The whole notebook, from the File menu: rendered to HTML, with code if she says so.
    page.locator(".jp-Notebook").first.click()
    page.locator(".lm-MenuBar-itemLabel", has_text="File").click()
    page.locator(".lm-Menu:visible .lm-Menu-item", has_text="Request release…").click()
    dialog.wait_for()
    assert dialog.locator("fieldset legend").inner_text() == "workspace/analysis.ipynb"
    assert dialog.get_by_label("Kind").input_value() == "notebook"
    dialog.get_by_label(re.compile("Include code")).check()
    dialog.get_by_role("button", name="Check files").click()
    # Rendered to HTML by nbconvert on the server, it is larger than this test hub's 64K
    # limit per file: the dialog says so, plainly, and submitting stays closed.
    error = dialog.get_by_role("alert")
    error.filter(has_text="limit per file").wait_for(timeout=60_000)
    assert "workspace/analysis.html" in error.inner_text()
    assert dialog.get_by_role("button", name="Submit request").is_disabled()
    shot(page, "11-notebook-too-big")
    dialog.get_by_role("button", name="Cancel").click()
    haven_hub.stop("ada", "alpha")


def test_several_files_a_return_a_resubmission_and_a_withdrawal(axe_page, haven_hub):
    """Two files in one request; the dialog refuses to submit without a title; a checker
    returns it with a reason Ada reads in the panel; she resubmits, then withdraws it. The
    dialog and the panel have no serious WCAG 2.1 A/AA problems (axe-core), and the dialog
    keeps keyboard focus."""
    page = axe_page
    from tests.integration.egress.client import PREFIX, Egress

    lab = start_lab(page, haven_hub, "ada", "alpha")
    container = docker.from_env().containers.get(haven_hub.container_name("ada", "alpha"))
    for name, rows in (("counts_a.csv", "group,n\nA,40\nB,55\n"), ("counts_b.csv", "group,n\nC,70\nD,35\n")):
        exit_code, _ = container.exec_run(["sh", "-c", f"printf '{rows}' > /home/analyst/workspace/{name}"],
                                          user=str(haven_hub.settings.spawner.container_uid))
        assert exit_code == 0
    page.goto(f"{lab}lab/tree/workspace")
    first = page.locator(".jp-DirListing-item[title^='Name: counts_a.csv']")
    first.wait_for(timeout=60_000)
    first.click()
    page.locator(".jp-DirListing-item[title^='Name: counts_b.csv']").click(modifiers=["Control"])
    page.locator(".jp-DirListing-item[title^='Name: counts_b.csv']").click(button="right")
    page.locator(".lm-Menu:visible .lm-Menu-item", has_text="Request release…").click()

    dialog = page.get_by_role("dialog", name="Request release")
    dialog.wait_for()
    assert dialog.locator("fieldset legend").all_inner_texts() == ["workspace/counts_a.csv", "workspace/counts_b.csv"]
    assert serious_accessibility_problems(page, ".haven-dialog") == []
    dialog.get_by_role("button", name="Submit request").focus()  # disabled: Tab skips it
    dialog.get_by_role("button", name="Check files").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('.haven-dialog') !== null")
    dialog.get_by_role("button", name="Check files").click()
    dialog.locator(".haven-verdict").nth(1).wait_for(timeout=60_000)
    assert serious_accessibility_problems(page, ".haven-dialog") == []
    # No title: a clear error, the field marked for screen readers, nothing submitted.
    dialog.get_by_role("button", name="Submit request").click()
    assert dialog.get_by_role("alert").inner_text() == "Give the request a title."
    assert dialog.get_by_label("Title").get_attribute("aria-invalid") == "true"
    title = f"Two count tables {uuid.uuid4().hex[:6]}"
    dialog.get_by_label("Title").fill(title)
    dialog.get_by_label("Purpose").fill("Appendix tables")
    for description in dialog.get_by_label("Description").all():
        description.fill("counts by group")
    dialog.get_by_role("button", name="Submit request").click()
    dialog.wait_for(state="detached", timeout=60_000)
    request = page.locator(".haven-request", has_text=title)
    request.wait_for(timeout=30_000)
    request_id = request.get_attribute("data-request-id")
    assert request.locator(".haven-request-file").count() == 2

    egress = Egress(hub=haven_hub, base=haven_hub.url + PREFIX)
    assert egress.act("carol", request_id, "start-review").status_code == 200
    assert egress.act("carol", request_id, "return", "Round the counts to the nearest 5").status_code == 200
    page.locator(".haven-panel-header button", has_text="Refresh").click()
    request = page.locator(f".haven-request[data-request-id='{request_id}']")
    request.and_(page.locator("[data-state='returned']")).wait_for(timeout=30_000)
    assert "Round the counts to the nearest 5" in request.locator(".haven-decision-reason").inner_text()
    shot(page, "12-returned")
    assert serious_accessibility_problems(page, "#haven-requests-panel") == []

    # By keyboard: the notifications of the submission and of the return sit over the lower
    # part of the panel until dismissed (a click there lands on them; seen in CI).
    request.get_by_role("button", name="Resubmit…").press("Enter")
    resubmit = page.get_by_role("dialog", name="Resubmit request")  # the release dialog, as an edit
    assert resubmit.get_by_label("Title").input_value() == title
    resubmit.get_by_label("Title").fill(f"{title}, rounded")
    resubmit.get_by_label("What changed").fill("Rounded to 5")
    resubmit.get_by_role("button", name="Check files").click()
    resubmit.locator(".haven-verdict").nth(1).wait_for(timeout=60_000)
    resubmit.get_by_role("button", name="Resubmit").click()
    page.locator(f".haven-request[data-request-id='{request_id}'][data-state='submitted']").wait_for(timeout=30_000)
    assert egress.detail("ada", request_id)["version"] == 2
    assert egress.detail("ada", request_id)["title"] == f"{title}, rounded"
    assert page.locator(f".haven-request[data-request-id='{request_id}'] h3").inner_text() == f"{title}, rounded"

    page.locator(f".haven-request[data-request-id='{request_id}']").get_by_role("button", name="Withdraw").press("Enter")
    page.locator(".jp-Dialog").get_by_label("Why (optional)").fill("Tables go in the next paper")
    page.locator(".jp-Dialog").get_by_role("button", name="Withdraw").click()
    page.locator(f".haven-request[data-request-id='{request_id}'][data-state='withdrawn']").wait_for(timeout=30_000)
    assert "Tables go in the next paper" in page.locator(
        f".haven-request[data-request-id='{request_id}'] .haven-decision-reason").inner_text()
    assert page.locator(f".haven-request[data-request-id='{request_id}'] button").count() == 0
    shot(page, "13-withdrawn")
    haven_hub.stop("ada", "alpha")
