"""The analyst's whole day, in one browser walk against a real Haven (issue 15).

Ada starts her project's server, queries the synthetic data with ``haven`` in a notebook,
draws a chart and asks for the table's release. A checker returns it: suppress and round.
Ada changes the table, and in the release dialog, open as a full edit of the returned
request, changes the table's declared controls, adds the chart, checks the files and
resubmits. The checker's page shows the controls she declared for the new version; two
checkers approve and it is released; Ada downloads the table from the egress request page
and gets the bytes her notebook wrote. Every page on the way is checked with axe-core.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import uuid
from collections.abc import Iterator

import docker
import pytest

from .conftest import DOCS_SCREENSHOTS, VIEWPORT, log_in, serious_accessibility_problems
from .test_release_from_lab import EGRESS, start_lab

pytestmark = [pytest.mark.browser, pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure")]

DOCKER_CLI = "docker"
TABLE = "workspace/admissions_by_region.csv"
CHART = "workspace/admissions_by_region.png"
QUERY = (
    "import haven\n"
    "table = haven.sql('''select p.region, p.sex, count(*) as admissions\n"
    "    from admissions a join patients p using (patient_id)\n"
    "    group by all order by all''').df()\n"
    "table.to_csv('admissions_by_region.csv', index=False)\n"
    "table.head()"
)
PLOT = (
    "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
    "ax = table.groupby('region')['admissions'].sum().plot.bar(title='Admissions by region')\n"
    "plt.tight_layout(); plt.savefig('admissions_by_region.png', dpi=50); print('chart saved')"
)
# What the checker asked for: counts below 10 suppressed, the rest rounded to the nearest 5.
REVISE = (
    "revised = table.assign(admissions=table.admissions.where(table.admissions >= 10)"
    ".div(5).round().mul(5).astype('Int64'))\n"
    "revised.to_csv('admissions_by_region.csv', index=False); print('revised rows', len(revised))"
)
CONTROLS = "counts below 10 suppressed; rounded to the nearest 5"


def docs_shot(page, name: str) -> None:
    """Pictures for the docs, only when asked for (HAVEN_DOCS_SCREENSHOTS=1)."""
    if os.environ.get("HAVEN_DOCS_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS_SCREENSHOTS / f"{name}.png"))


def new_notebook_in_workspace(page, lab: str) -> None:
    """A new notebook in the workspace folder, its kernel idle. Lab's first launcher takes the
    file browser's folder of the moment it is made, which after ``?reset`` may still be the
    home folder: the file browser is shown the workspace first, then opens a launcher there."""
    page.goto(f"{lab}lab/tree/workspace?reset")
    page.wait_for_selector(".jp-LauncherCard[data-category='Notebook']", timeout=60_000)
    if not page.locator("#filebrowser").is_visible():  # a click on its tab would close it
        page.locator("li[data-id='filebrowser']").click()
    crumb = page.locator("#filebrowser .jp-BreadCrumbs-item[data-path='workspace']")
    if not crumb.count():
        page.locator("#filebrowser .jp-BreadCrumbs-home").click()
        page.locator("#filebrowser .jp-DirListing-item[title^='Name: workspace']").dblclick()
    crumb.wait_for(timeout=30_000)
    page.locator("#filebrowser .jp-ToolbarButtonComponent[title^='New Launcher']").click()
    page.locator(".jp-Launcher:visible .jp-LauncherCard[data-category='Notebook']").first.click()
    page.wait_for_selector(".jp-Notebook .jp-Cell .cm-content", timeout=60_000)
    # A run sent before the kernel is connected is lost: wait until it is idle.
    page.wait_for_selector('.jp-StatusBar-TextItem:has-text("Idle")', timeout=90_000)


def submit_one_file(page, dialog, *, title: str, purpose: str, description: str) -> tuple[str, str]:
    """The release dialog of one file filled in (no disclosure controls), checked and submitted:
    the new request's id, from the Releases panel, and what the checks said."""
    dialog.get_by_label("Title").fill(title)
    dialog.get_by_label("Purpose").fill(purpose)
    dialog.get_by_label("Description").fill(description)
    dialog.get_by_label("Disclosure controls applied").fill("none")
    dialog.get_by_role("button", name="Check files").click()
    verdict = dialog.locator(".haven-verdict")
    verdict.wait_for(timeout=90_000)
    checked = verdict.inner_text()
    dialog.get_by_role("button", name="Submit request").click()
    dialog.wait_for(state="detached", timeout=60_000)
    request = page.locator(".haven-request", has_text=title)
    request.wait_for(timeout=30_000)
    return request.get_attribute("data-request-id"), checked


def run_cell(page, index: int, code: str, expected: str) -> None:
    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    cell.locator(".cm-content").click()
    page.keyboard.insert_text(code)
    page.keyboard.press("Shift+Enter")
    cell.locator(".jp-OutputArea-output").filter(has_text=expected).first.wait_for(timeout=90_000)


def test_a_day_query_plot_request_return_revise_resubmit_release_download(axe_page, browser, haven_hub):
    with adas_alpha_lab(axe_page, haven_hub, '"$HAVEN_WORKSPACE_DIR"/Untitled*.ipynb') as lab:
        a_day(axe_page, browser, haven_hub, lab)


@contextlib.contextmanager
def adas_alpha_lab(page, haven_hub, leftovers: str) -> Iterator[str]:
    """Ada's alpha Lab (its URL), started; then, however the test ended, Lab closed, what the
    test made (``leftovers``, shell words) and her saved layout removed, her server stopped.
    Lab leaves first so it saves no layout after this; both live in her home volume for alpha
    and would greet her next Lab on this hub."""
    lab = start_lab(page, haven_hub, "ada", "alpha")
    try:
        yield lab
    finally:
        page.goto("about:blank")
        subprocess.run([DOCKER_CLI, "exec", haven_hub.container_name("ada", "alpha"), "bash", "-c",
                        f"rm -f {leftovers} && rm -rf /home/analyst/.local/state/jupyterlab/workspaces"],
                       capture_output=True, timeout=120)
        haven_hub.stop("ada", "alpha")


def a_day(page, browser, haven_hub, lab: str) -> None:
    from tests.integration.egress.client import PREFIX, Egress

    egress = Egress(hub=haven_hub, base=haven_hub.url + PREFIX)
    container = docker.from_env().containers.get(haven_hub.container_name("ada", "alpha"))

    # Morning: a notebook, a query on the project's data, a chart.
    new_notebook_in_workspace(page, lab)
    run_cell(page, 0, QUERY, "admissions")
    run_cell(page, 1, PLOT, "chart saved")

    # The table's release, from the file browser.
    if not page.locator("#filebrowser").is_visible():  # a click on its tab would close it
        page.locator("li[data-id='filebrowser']").click()
    page.locator("#filebrowser .jp-ToolbarButtonComponent[title^='Refresh']").click()
    item = page.locator(f".jp-DirListing-item[title^='Name: {TABLE.split('/')[-1]}']")
    item.wait_for(timeout=30_000)
    item.click(button="right")
    page.locator(".lm-Menu:visible .lm-Menu-item", has_text="Request release…").click()
    dialog = page.get_by_role("dialog", name="Request release")
    dialog.wait_for()
    title = f"Admissions by region {uuid.uuid4().hex[:6]}"
    request_id, _ = submit_one_file(page, dialog, title=title, purpose="Table 1 of the alpha cohort report",
                                    description="Admissions by region and sex, 2018-2024")

    # A checker returns it.
    reason = "Suppress the counts below 10 and round the rest to the nearest 5"
    assert egress.act("carol", request_id, "start-review").status_code == 200
    assert egress.act("carol", request_id, "return", reason).status_code == 200

    # Ada revises the table in her notebook, then the whole request in the dialog.
    run_cell(page, 2, REVISE, "revised rows")
    page.locator(".haven-panel-header button", has_text="Refresh").click()
    request = page.locator(f".haven-request[data-request-id='{request_id}'][data-state='returned']")
    request.wait_for(timeout=30_000)
    request.get_by_role("button", name="Resubmit…").click()
    dialog = page.get_by_role("dialog", name="Resubmit request")
    dialog.wait_for()
    assert reason in dialog.get_by_role("list", name="What the checkers said").inner_text()
    assert dialog.get_by_label("Title").input_value() == title
    assert dialog.get_by_label("Purpose").input_value() == "Table 1 of the alpha cohort report"
    assert dialog.locator("fieldset legend").all_inner_texts() == [TABLE]
    assert dialog.get_by_label("Description").input_value() == "Admissions by region and sex, 2018-2024"
    assert dialog.get_by_label("Disclosure controls applied").input_value() == "none"
    dialog.get_by_label("Disclosure controls applied").fill(CONTROLS)
    dialog.get_by_label("Add a file from the workspace").fill(CHART)
    dialog.get_by_role("button", name="Add file").click()
    assert dialog.locator("fieldset legend").all_inner_texts() == [TABLE, CHART]
    dialog.get_by_label("Description").nth(1).fill("Admissions by region, bar chart")
    assert dialog.get_by_label("Kind").nth(1).input_value() == "figure"
    dialog.get_by_label("Disclosure controls applied").nth(1).fill(CONTROLS)
    dialog.get_by_label("What changed").fill("Counts below 10 suppressed, the rest rounded to 5; chart added")
    assert dialog.get_by_role("button", name="Resubmit").is_disabled()  # the files are checked first
    dialog.get_by_role("button", name="Check files").click()
    dialog.locator(".haven-verdict").nth(1).wait_for(timeout=60_000)
    assert serious_accessibility_problems(page, ".haven-dialog") == []
    docs_shot(page, "lab-resubmit-dialog")
    dialog.get_by_role("button", name="Resubmit").click()
    dialog.wait_for(state="detached", timeout=60_000)
    page.locator(f".haven-request[data-request-id='{request_id}'][data-state='submitted']").wait_for(timeout=30_000)
    assert serious_accessibility_problems(page, "#haven-requests-panel") == []
    version = egress.detail("ada", request_id)["versions"][-1]
    assert [(f["path"], f["controls"]) for f in version["files"]] == \
        [(TABLE, CONTROLS.split("; ")), (CHART, CONTROLS.split("; "))]

    # A checker reads the new version, with the controls Ada declared, and approves it.
    checker_approves_seeing_the_controls(browser, haven_hub, request_id)
    egress.vote_all("dave", request_id)
    assert egress.act("dave", request_id, "release").status_code == 200

    # Evening: Ada downloads the table from the egress request page, outside Lab.
    page.goto(f"{haven_hub.url}{EGRESS}requests/{request_id}")
    assert page.locator("#request-state").inner_text() == "released"
    assert serious_accessibility_problems(page) == []
    table_id = next(f["id"] for f in version["files"] if f["path"] == TABLE)
    with page.expect_download(timeout=60_000) as download_info:
        page.locator(f"#download-{table_id}").click()
    downloaded = open(download_info.value.path(), "rb").read()
    exit_code, written = container.exec_run(["cat", f"/home/analyst/{TABLE}"])
    assert exit_code == 0 and downloaded == written
    assert b"<NA>" not in downloaded and downloaded.startswith(b"region,sex,admissions")


@contextlib.contextmanager
def review_started(browser, haven_hub, checker: str, request_id: str) -> Iterator:
    """The checker's own browser on the request's page, the review started."""
    context = browser.new_context(viewport=VIEWPORT, bypass_csp=True)  # axe-core is injected
    try:
        page = context.new_page()
        log_in(page, haven_hub, checker)
        page.goto(f"{haven_hub.url}{EGRESS}requests/{request_id}")
        page.get_by_role("button", name="Start review").click()
        page.wait_for_selector("#haven-done")
        yield page
    finally:
        context.close()


def checker_approves_seeing_the_controls(browser, haven_hub, request_id: str) -> None:
    with review_started(browser, haven_hub, "carol", request_id) as checker:
        seen = []
        while True:  # one file at a time: read, vote, then the next file
            file = checker.locator("article.haven-file")
            seen.append(file.locator("h3 code").inner_text())
            assert f"Author's disclosure controls: {CONTROLS}." in file.inner_text()
            assert "declared no disclosure controls" not in file.inner_text()
            assert serious_accessibility_problems(checker) == []
            if len(seen) == 1:
                docs_shot(checker, "review-resubmitted-controls")
            form = checker.locator("form.haven-vote")
            form.locator("input[value=approve]").check()
            form.get_by_role("button", name="Cast vote").click()
            checker.wait_for_selector("#haven-done")
            following = checker.locator("a[data-haven-file-nav=next]")
            if not following.count():
                break
            with checker.expect_navigation():
                following.click()
        assert sorted(seen) == sorted([TABLE, CHART])
