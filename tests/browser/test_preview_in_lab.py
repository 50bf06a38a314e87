"""Ada previews her own figure and table in Lab, in a real browser against a real Haven (issue 15).

She makes a chart (with Pillow, in her container) and a table with an HTML-looking cell, opens
"Preview" on each from the file browser (the table by keyboard), and sees a small picture
made on the server and the first rows escaped; the release dialog shows the same, smaller.
What reached the browser is the server's re-encoded preview, not her file; axe-core finds no
serious problem in the preview.
"""

from __future__ import annotations

import base64
import re
import textwrap

import docker
import pytest

from .conftest import serious_accessibility_problems
from .test_release_from_lab import menu_labels, shot, start_lab

pytestmark = [pytest.mark.browser, pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure")]

FIGURE, TABLE = "preview-figure.png", "preview-table.csv"
MAKE_FILES = textwrap.dedent(f"""
    from PIL import Image, ImageDraw
    chart = Image.new("RGB", (1200, 900), "white")
    draw = ImageDraw.Draw(chart)
    for i, count in enumerate([35, 20, 45, 15]):
        draw.rectangle([150 + 250 * i, 800 - 15 * count, 330 + 250 * i, 800], fill=(31, 119, 180))
    draw.line([100, 800, 1150, 800], fill="black", width=3)
    chart.save("/home/analyst/workspace/{FIGURE}")
    with open("/home/analyst/workspace/{TABLE}", "w") as table:
        table.write("region,admissions,note\\n")
        table.write('north,35,"<img src=x onerror=alert(1)>"\\n')
        table.writelines(f"r{{i}},{{i * 5}},ok\\n" for i in range(119))
""")


def show_file_browser(page) -> None:
    if not page.locator("#filebrowser").is_visible():  # a click on its tab when shown would hide it
        page.locator("li[data-id='filebrowser']").click()


def open_from_context_menu(page, name: str, label: str) -> None:
    item = page.locator(f".jp-DirListing-item[title^='Name: {name}']")
    item.wait_for(timeout=30_000)
    item.click(button="right")
    assert label in menu_labels(page), menu_labels(page)
    page.locator(".lm-Menu:visible .lm-Menu-item", has_text=label).click()


def test_ada_previews_her_figure_and_table(axe_page, haven_hub):
    page = axe_page
    lab = start_lab(page, haven_hub, "ada", "alpha")
    container = docker.from_env().containers.get(haven_hub.container_name("ada", "alpha"))
    made, output = container.exec_run(["python", "-c", MAKE_FILES])
    assert made == 0, output
    try:
        page.locator("#filebrowser .jp-BreadCrumbs-home").click()  # wherever a saved layout left it
        page.locator(".jp-DirListing-item[title^='Name: workspace']").dblclick()

        # The figure: re-encoded and shrunk on the server, alt text its name.
        open_from_context_menu(page, FIGURE, "Preview")
        panel = page.locator(".haven-preview-panel:visible")
        image = panel.locator(f"img[alt='{FIGURE}']")
        image.wait_for(timeout=30_000)
        assert page.evaluate("document.activeElement.textContent") == f"Preview of {FIGURE}"
        natural = image.evaluate("i => [i.complete, i.naturalWidth, i.naturalHeight]")
        assert natural == [True, 800, 600], natural
        sent = base64.b64decode(image.get_attribute("src").split(",", 1)[1])
        _, original = container.exec_run(["cat", f"/home/analyst/workspace/{FIGURE}"])
        assert sent.startswith(b"\x89PNG") and sent != original and len(sent) <= 200 * 1024
        assert "800 × 600 of 1200 × 900 pixels" in panel.locator("figcaption").inner_text()
        shot(page, "preview-1-figure")
        # The file itself still does not reach the browser.
        assert page.request.get(f"{lab}files/workspace/{FIGURE}").status == 403
        assert page.request.get(f"{lab}api/contents/workspace/{FIGURE}?format=base64").status == 403

        # The table, by keyboard: the file selected, its context menu from Shift+F10.
        show_file_browser(page)
        page.locator(f".jp-DirListing-item[title^='Name: {TABLE}']").click()
        page.keyboard.press("Shift+F10")
        page.locator(".lm-Menu:visible .lm-Menu-item", has_text="Preview").wait_for(timeout=10_000)
        page.keyboard.press("ArrowDown")  # walk the menu to Preview, as a keyboard user does
        while page.locator(".lm-Menu:visible .lm-Menu-item.lm-mod-active").inner_text().strip() != "Preview":
            page.keyboard.press("ArrowDown")
        page.keyboard.press("Enter")
        table = page.locator(".haven-preview-panel:visible table")
        table.wait_for(timeout=30_000)
        assert table.locator("tbody tr").count() == 50
        assert "Showing 50 rows of 120, 3 columns." in page.locator(".haven-preview-panel:visible figcaption").inner_text()
        cell = table.locator("tbody tr").first.locator("td").nth(2)
        assert cell.inner_text() == "<img src=x onerror=alert(1)>" and table.locator("img").count() == 0
        page.keyboard.press("Tab")  # from the heading to the scrollable table
        assert page.evaluate("document.activeElement.getAttribute('aria-label')") == f"Preview of {TABLE}"
        assert serious_accessibility_problems(page, ".haven-preview-panel:not(.lm-mod-hidden)") == []
        shot(page, "preview-2-table")

        # The release dialog shows each file small.
        show_file_browser(page)
        open_from_context_menu(page, FIGURE, "Request release…")
        dialog = page.get_by_role("dialog", name="Request release")
        small = dialog.locator(f".haven-preview-small img[alt='{FIGURE}']")
        small.wait_for(timeout=30_000)
        assert small.evaluate("i => i.naturalWidth") == 320
        assert serious_accessibility_problems(page, ".haven-preview-small") == []
        shot(page, "preview-3-release-dialog")
        page.keyboard.press("Escape")  # nothing typed: closes at once
        dialog.wait_for(state="detached")
        assert re.search(r"preview-table\.csv", page.locator(".lm-DockPanel-tabBar").inner_text())
    finally:
        container.exec_run(["rm", "-f", f"/home/analyst/workspace/{FIGURE}", f"/home/analyst/workspace/{TABLE}"])
