"""Bringing a code list in, end to end in a real browser against a real Haven (issue #14).

Ada's file browser has no upload button any more but a link to the ingress page, and the
server refuses an upload sent anyway. She files the code list on the ingress page; Carol
reads it there and approves it with a reason; the file then sits in Ada's running server's
workspace at ``imports/<id>/codes.csv`` with the SHA-256 the pages show.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re

import pytest

from .conftest import log_in
from .test_release_from_lab import shot, start_lab

pytestmark = [pytest.mark.browser, pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure")]

EGRESS = "/services/egress/"
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
