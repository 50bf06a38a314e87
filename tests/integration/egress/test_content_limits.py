"""Row limits on content, not names (issue 11), through the real hub and egress service: the
same 6,000-row table renamed, reshaped or packed into JSON is refused at submit (422, naming
the file, its reading and the limit) and nothing is stored; a figure is stored re-encoded."""

from __future__ import annotations

import json

import pytest

from tests.fixtures.media import png

from .client import file_entry, sha256, snapshot
from .test_checks_and_preflight import checks_when_done, preflight

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure")]

# Compact, so the 64K per-file limit of the test hub is not what refuses them.
ROWS = b"a,b\n" + b"1,2\n" * 6000
DISGUISED = {
    "renamed .txt": ("out/summary.txt", ROWS),
    "renamed .md": ("out/summary.md", ROWS),
    "transposed": ("out/summary.csv", b"a," + b"1," * 5999 + b"1\nb," + b"2," * 5999 + b"2\n"),
    "JSON arrays": ("out/summary.json", json.dumps([[1, 2]] * 6000).encode()),
    "one quoted cell": ("out/summary.csv", b'note\n"' + b"1 2\n" * 6000 + b'"\n'),
}


@pytest.mark.parametrize("case", DISGUISED)
def test_a_disguised_6000_row_table_is_refused_at_submit_and_nothing_is_stored(egress, egress_data_dir, case):
    path, content = DISGUISED[case]
    assert len(content) < 64 * 1024
    before = snapshot(egress_data_dir)
    response = egress.submit("ada", files=[file_entry(path, content, kind="other")])
    assert response.status_code == 422, response.text
    message = response.json()["message"]
    assert message.startswith(f"{path} has 60") and "a released table may have at most 5000 (read as " in message
    assert snapshot(egress_data_dir) == before


def test_the_preflight_shows_the_same_refusal(egress, egress_data_dir):
    before = snapshot(egress_data_dir)
    response = preflight(egress, "ada", [file_entry("out/summary.txt", ROWS, kind="other")])
    assert response.status_code == 422 and "out/summary.txt has 6000 rows" in response.json()["message"]
    assert snapshot(egress_data_dir) == before


def test_control_the_same_table_small_and_renamed_is_accepted(egress):
    small = b"a,b\n" + b"1,2\n" * 20
    response = egress.submit("ada", files=[file_entry("out/summary.txt", small, kind="other")])
    assert response.status_code == 201, response.text
    # Settled, so the next test's "nothing changed" is not upset by these checks finishing.
    checks = checks_when_done(egress, "ada", response.json()["id"])
    assert checks["out/summary.txt"]["checks"]["verdict"] == "review"


def test_a_figure_is_stored_re_encoded_without_trailing_bytes(egress):
    uploaded = png() + b"a,b\n1,2\n"
    response = egress.submit("ada", files=[file_entry("out/figure.png", uploaded, media_type="image/png",
                                                      kind="figure")])
    assert response.status_code == 201, response.text
    stored = response.json()["versions"][0]["files"][0]
    assert stored["sha256"] == sha256(png()) != sha256(uploaded) and stored["size"] == len(png())
    checks_when_done(egress, "ada", response.json()["id"])


def test_a_forged_png_is_refused(egress, egress_data_dir):
    before = snapshot(egress_data_dir)
    response = egress.submit("ada", files=[file_entry("out/figure.png", b"\x89PNG\r\n\x1a\n" + ROWS[:1000],
                                                      kind="figure")])
    assert response.status_code == 422
    assert response.json()["message"].startswith("out/figure.png: it does not decode as an image")
    assert snapshot(egress_data_dir) == before
