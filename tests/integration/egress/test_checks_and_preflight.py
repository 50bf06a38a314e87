"""The disclosure checks through the real hub: run in the background after a submission
(with the project's preset read from the hub), and on demand by the preflight endpoint,
which stores nothing."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from .client import file_entry, sha256, snapshot

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("hub_log_on_failure")]

SMALL = b"region,count\nNorth,3\nSouth,120\nEast,45\n"


def preflight(egress, user, files, project="alpha", token=None):
    """From the user's server in ``project`` (its token's stand-in), as the lab sends it."""
    metadata = {"files": [entry for entry, _ in files]}
    parts = {f"file-{i}": (Path(entry["path"]).name, content, "application/octet-stream")
             for i, (entry, content) in enumerate(files)}
    return egress.call("POST", "api/preflight", token=token or egress.hub.server_token(user, project),
                       data={"metadata": json.dumps(metadata)}, files=parts)


def checks_when_done(egress, user, request_id, timeout=30.0):
    deadline = time.monotonic() + timeout
    while True:
        files = egress.detail(user, request_id)["versions"][-1]["files"]
        if all(f["checks"]["status"] != "pending" for f in files):
            return {f["path"]: f for f in files}
        assert time.monotonic() < deadline, f"checks still pending after {timeout}s: {files}"
        time.sleep(0.2)


def test_preflight_answers_what_the_checkers_will_see_and_stores_nothing(egress, egress_data_dir):
    before = snapshot(egress_data_dir)
    response = preflight(egress, "ada", [file_entry("out/admissions_by_region.csv", SMALL),
                                         file_entry("out/ok.csv", b"group,count\na,15\nb,20\n")])
    assert response.status_code == 200, response.text
    first, second = response.json()["files"]
    assert first["name"] == "out/admissions_by_region.csv" and first["sha256"] == sha256(SMALL)
    assert first["size"] == len(SMALL) and first["verdict"] == "fail"
    assert first["summary"] == "1 cell below 10 in admissions_by_region.csv"
    cell = next(f for f in first["findings"] if f["rule"] == "min_frequency" and f["verdict"] == "fail")
    assert (cell["row"], cell["column"], cell["value"]) == ({"region": "North"}, "count", "3")
    assert second["verdict"] == "pass"
    assert snapshot(egress_data_dir) == before  # no blob, no row, no audit event


def test_preflight_is_refused_like_a_submission(egress, egress_data_dir):
    before = snapshot(egress_data_dir)
    assert preflight(egress, "carol", [file_entry("out/t.csv", SMALL)]).status_code == 403  # a checker only
    assert preflight(egress, "ada", [file_entry("out/t.csv", SMALL)], project="beta").status_code == 403
    bad = preflight(egress, "ada", [(file_entry("out/t.csv", SMALL)[0] | {"sha256": "0" * 64}, SMALL)])
    assert bad.status_code == 422 and "does not match its declared SHA-256" in bad.json()["message"]
    too_big = b"group,count\n" + b"a,15\n" * 20_000  # over the test hub's 64K per file
    big = preflight(egress, "ada", [file_entry("out/big.csv", too_big)])
    assert big.status_code in (413, 422), big.text
    assert egress.call("POST", "api/preflight").status_code == 401
    assert snapshot(egress_data_dir) == before


def test_submitted_files_are_checked_in_the_background(egress):
    response = egress.submit("ada", files=[file_entry("out/regions.csv", SMALL)])
    assert response.status_code == 201, response.text
    request_id = response.json()["id"]
    files = checks_when_done(egress, "carol", request_id)
    checks = files["out/regions.csv"]["checks"]
    assert checks["status"] == "done" and checks["verdict"] == "fail" and checks["preset"] == "acro"
    assert {(f["row"]["region"], f["value"]) for f in checks["findings"]
            if f["rule"] == "min_frequency" and f["verdict"] == "fail"} == {("North", "3")}


def test_the_projects_preset_comes_from_the_hub(egress):
    hub = egress.hub
    group = hub.api("GET", "/groups/project-beta").json()
    properties = group["properties"]
    changed = hub.api("PUT", "/groups/project-beta/properties",
                      json={**properties, "disclosure_preset": "opensafely"})
    assert changed.status_code == 200, changed.text
    try:
        response = egress.submit("bob", project="beta", files=[file_entry("out/regions.csv", SMALL)])
        assert response.status_code == 201, response.text
        files = checks_when_done(egress, "carol", response.json()["id"])
        checks = files["out/regions.csv"]["checks"]
        assert checks["preset"] == "opensafely"
        # 3, 120 and 45 under OpenSAFELY's rules: 3 is below 8 and 3 is not a multiple of 5.
        assert {f["rule"] for f in checks["findings"] if f["verdict"] == "fail"} == {"min_frequency", "rounding"}
        ahead = preflight(egress, "bob", [file_entry("out/t.csv", SMALL)], project="beta").json()["files"][0]
        assert {f["rule"] for f in ahead["findings"] if f["verdict"] == "fail"} == {"min_frequency", "rounding"}
    finally:
        hub.api("PUT", "/groups/project-beta/properties", json=properties)
