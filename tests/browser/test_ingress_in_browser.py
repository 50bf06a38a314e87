"""Bringing a code list and a package in, end to end in a real browser against a real Haven (issue #14).

Ada's file browser has no upload button any more but a link to the ingress page, and the
server refuses an upload sent anyway. She files the code list on the ingress page; Carol
reads it there and approves it with a reason; the file then sits in Ada's running server's
workspace at ``imports/<id>/codes.csv`` with the SHA-256 the pages show. Then she asks for a
package the image lacks; once Carol approved it (the host fetches it from PyPI into the
approved index), a notebook in the default kernel installs it with plain ``%pip install`` and
imports it, a package nobody approved is refused, and a matplotlib chart draws inline.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.docker_engine import DOCKER_CLI
from tests.integration.package_index.test_pip_in_a_project_server import UNINSTALL

from .conftest import log_in
from .test_release_from_lab import shot, start_lab

pytestmark = [pytest.mark.browser, pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure")]

EGRESS = "/services/egress/"
HAVEN = str(Path(sys.executable).with_name("haven"))
PACKAGE, VERSION = "tabulate", "0.9.0"  # 35 kB, pure Python, not in the image
UNAPPROVED = "pyjokes"  # on PyPI, never approved
CODE_LIST = b"code,term\nE11,Type 2 diabetes mellitus\nI10,Essential hypertension\n"


def test_analyst_brings_a_code_list_in_through_a_reviewed_request(page, browser, haven_hub, tmp_path):
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("response", lambda response: console.append(f"{response.status} {response.url}")
            if response.status >= 400 else None)
    lab = start_lab(page, haven_hub, "ada", "alpha")
    # The upload button is the way to the ingress page, and the server refuses an upload anyway.
    bring_in = page.locator(".jp-FileBrowser-toolbar .haven-bring-in")
    try:
        bring_in.wait_for(timeout=30_000)
    except Exception:
        toolbar = page.locator(".jp-FileBrowser-toolbar").first.inner_html() if page.locator(
            ".jp-FileBrowser-toolbar").count() else "(no .jp-FileBrowser-toolbar)"
        haven = page.locator("[class*=haven]").count()
        pytest.fail(f"no Bring a file in button ({haven} haven elements); toolbar: {toolbar[:300]}\n"
                    f"console: {console[-30:]}")
    assert "ingress request" in (bring_in.locator("button").get_attribute("title") or
                                 bring_in.get_attribute("title") or "")
    assert page.locator(".jp-FileBrowser-toolbar .jp-id-upload").is_hidden()  # the stock upload button
    refused = page.evaluate(
        """async ([url, content]) => {
            const xsrf = document.cookie.match(/_xsrf=([^;]+)/);
            const response = await fetch(url, {method: 'PUT', headers: {'Content-Type': 'application/json',
                ...(xsrf ? {'X-XSRFToken': decodeURIComponent(xsrf[1])} : {})},
                body: JSON.stringify({type: 'file', format: 'base64', content})});
            return [response.status, await response.text()];
        }""", [f"{lab}api/contents/workspace/uploaded.csv", base64.b64encode(CODE_LIST).decode()])
    assert refused[0] == 403 and "services/egress/ingress" in refused[1], refused

    ingress = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(ingress, haven_hub, "ada")
    ingress.goto(f"{haven_hub.url}{EGRESS}ingress")
    codes = tmp_path / "codes.csv"
    codes.write_bytes(CODE_LIST)
    ingress.select_option("#file-project", "alpha")
    ingress.set_input_files("#file-file", str(codes))
    ingress.fill("#file-description", "ICD-10 code list for the cohort")
    ingress.fill("#file-justification", "defines diabetes and hypertension")
    ingress.click("#ingress-file-submit")
    ingress.wait_for_selector("#ingress-done")
    request_id = re.search(r"ingress/([0-9a-f]{32})", ingress.url).group(1)
    shot(ingress, "ingress-1-filed")

    checker = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in(checker, haven_hub, "carol")
    checker.goto(f"{haven_hub.url}{EGRESS}ingress/{request_id}")
    assert "E11,Type 2 diabetes mellitus" in checker.locator("#ingress-content").inner_text()
    checker.fill("#approve-reason", "published NHS code list")
    checker.locator("#ingress-approve-form button").click()
    checker.wait_for_selector("#ingress-done")
    assert checker.locator("#ingress-state").inner_text() == "delivered"
    digest = hashlib.sha256(CODE_LIST).hexdigest()
    assert checker.locator("#ingress-sha256").inner_text() == digest
    shot(checker, "ingress-2-approved")

    # In Ada's running server, through its own contents API: the file, byte for byte.
    arrived = page.evaluate(
        """async url => {
            const xsrf = document.cookie.match(/_xsrf=([^;]+)/);
            const r = await fetch(url, {headers: xsrf ? {'X-XSRFToken': decodeURIComponent(xsrf[1])} : {}});
            return [r.status, await r.text()];
        }""",
        f"{lab}api/contents/workspace/imports/{request_id}/codes.csv")
    assert arrived[0] == 200, arrived
    assert hashlib.sha256(json.loads(arrived[1])["content"].encode()).hexdigest() == digest

    try:
        package_comes_in_and_the_workbench_draws(page, ingress, checker, haven_hub, lab)
    finally:
        # Lab leaves first, so it saves no layout after this. The install and Lab's saved layout
        # live in Ada's home volume for alpha, which outlives this server: a layout naming the
        # unsaved notebook greets her next Lab with a "Select Kernel" dialog over everything.
        page.goto("about:blank")
        subprocess.run([DOCKER_CLI, "exec", haven_hub.container_name("ada", "alpha"), "bash", "-c",
                        UNINSTALL.format(name=PACKAGE) + ' ; rm -f "$HAVEN_WORKSPACE_DIR"/Untitled*.ipynb'
                        " && rm -rf /home/analyst/.local/state/jupyterlab/workspaces"],
                       capture_output=True, timeout=120)
        subprocess.run([HAVEN, "--settings", str(haven_hub.settings_path),
                        "packages", "remove", f"{PACKAGE}=={VERSION}", "--reason", "test finished"],
                       capture_output=True, timeout=120)


def package_comes_in_and_the_workbench_draws(page, ingress, checker, haven_hub, lab: str) -> None:
    ingress.goto(f"{haven_hub.url}{EGRESS}ingress")
    ingress.select_option("#package-project", "alpha")
    ingress.fill("#package-name", PACKAGE)
    ingress.fill("#package-version", VERSION)
    ingress.fill("#package-justification", "tables in the cohort report")
    ingress.click("#ingress-package-submit")
    ingress.wait_for_selector("#ingress-done")
    request_id = re.search(r"ingress/([0-9a-f]{32})", ingress.url).group(1)
    checker.goto(f"{haven_hub.url}{EGRESS}ingress/{request_id}")
    checker.fill("#approve-reason", "well-known formatting library")
    checker.locator("#ingress-approve-form button").click()
    checker.wait_for_selector("#ingress-done", timeout=120_000)  # the host fetches the wheel from PyPI
    assert checker.locator("#ingress-state").inner_text() == "delivered"

    page.goto(f"{lab}lab/tree/workspace?reset")
    page.wait_for_selector(".jp-LauncherCard[data-category='Notebook']", timeout=60_000)
    page.locator(".jp-LauncherCard[data-category='Notebook']").first.click()
    page.wait_for_selector(".jp-Notebook .jp-Cell .cm-content", timeout=60_000)
    # A run sent before the kernel is connected is lost (the cell stays "[ ]"): wait until it is idle.
    page.wait_for_selector('.jp-StatusBar-TextItem:has-text("Idle")', timeout=90_000)
    cells = [
        (f"%pip install {PACKAGE}", "Successfully installed"),
        # The package went to the server's own prefix; a new kernel has it on its path, and this
        # one finds it once the import system forgets that the folder did not exist.
        (f"import importlib; importlib.invalidate_caches(); import {PACKAGE}; print('imported', {PACKAGE}.__name__)",
         f"imported {PACKAGE}"),
        (f"%pip install {UNAPPROVED}", "No matching distribution"),
        ("import matplotlib.pyplot as plt\nplt.plot([1, 2, 3], [3, 1, 2]); plt.title('admissions'); plt.show()",
         None),
    ]
    for index, (code, expected) in enumerate(cells):
        cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
        cell.locator(".cm-content").click()
        page.keyboard.insert_text(code)
        page.keyboard.press("Shift+Enter")
        output = cell.locator(".jp-OutputArea-output")
        if expected is None:
            output.locator("img").wait_for(timeout=120_000)  # the chart, inline as a PNG
        else:
            output.filter(has_text=expected).first.wait_for(timeout=120_000)
    shot(page, "workbench-pip-and-chart")
