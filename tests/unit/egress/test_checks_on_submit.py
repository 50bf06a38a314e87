"""The automated disclosure checks run on every submitted file, off the request path, and
their results are stored immutably, shown with the request and signed into the release."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from sqlalchemy import func, select

from haven_egress import check_view
from haven_egress.checking import BackgroundChecks
from haven_egress.file_checks import CheckPolicy
from haven_egress.models import CheckResult, HistoryRewrite
from haven_egress.service import EgressService
from haven_egress.storage import session_factory
from haven_egress.workflow import State

from .factories import AUTHOR, CHECKER, PROJECT, create_request_at_status, submit, upload

SMALL = b"region,count\nNorth,3\nSouth,120\nEast,45\n"
HTML = (b"<html><body><p>Results</p><table><tr><th>sex</th><th>n</th></tr>"
        b"<tr><td>F</td><td>40</td></tr><tr><td>M</td><td>4</td></tr></table></body></html>")


@pytest.fixture
def checked(engine, blobs, signer):
    """A service whose background checks run, with a per-project preset table to edit."""
    presets: dict[str, str] = {}
    checks = BackgroundChecks(session_factory(engine), blobs, CheckPolicy(), presets.get)
    service = EgressService(session_factory(engine), blobs, signer=signer, checks=checks)
    checks.start()
    yield service, checks, presets
    checks.stop()


def files_of(service, request_id, caller=AUTHOR):
    return {f.path: f for f in service.get_request(caller, request_id).versions[-1].files}


def test_a_failing_table_is_found_in_the_background_with_its_cells(checked):
    service, checks, _ = checked
    request_id = submit(service, [upload("out/regions.csv", SMALL)])
    assert checks.wait_idle(30)
    view = files_of(service, request_id)["out/regions.csv"].checks
    assert view["status"] == "done" and view["verdict"] == "fail" and view["preset"] == "acro"
    small = [f for f in view["findings"] if f["rule"] == "min_frequency" and f["verdict"] == "fail"]
    assert [(f["row"], f["column"], f["value"]) for f in small] == [({"region": "North"}, "count", "3")]
    assert small[0]["parameters"] == {"threshold": 10}
    assert view["summary"] == "1 cell below 10 in regions.csv"


def test_checks_left_pending_by_a_stop_run_at_the_next_start(engine, blobs, signer):
    # No worker: the submission commits, its files wait.
    service = EgressService(session_factory(engine), blobs, signer=signer)
    request_id = submit(service, [upload("out/regions.csv", SMALL)])
    assert files_of(service, request_id)["out/regions.csv"].checks == check_view.pending()
    restarted = BackgroundChecks(session_factory(engine), blobs)
    restarted.start()
    try:
        assert restarted.wait_idle(30)
        assert files_of(service, request_id)["out/regions.csv"].checks["verdict"] == "fail"
        assert restarted.resume() == 0  # nothing is checked twice
    finally:
        restarted.stop()


def test_results_are_never_changed_and_a_rerun_is_a_new_row(checked, engine):
    service, checks, presets = checked
    request_id = submit(service, [upload("out/regions.csv", SMALL)])
    assert checks.wait_idle(30)
    file_id = files_of(service, request_id)["out/regions.csv"].id
    presets[PROJECT] = "opensafely"
    checks.rerun(file_id)
    assert checks.wait_idle(30)
    with session_factory(engine)() as session:
        rows = session.scalars(select(CheckResult).where(CheckResult.file_id == file_id)
                               .order_by(CheckResult.id)).all()
        assert [r.preset for r in rows] == ["acro", "opensafely"]
        assert rows[1].parameters["rounding_base"] == 5
        rows[0].verdict = "pass"
        with pytest.raises(HistoryRewrite):
            session.flush()
        session.rollback()
        session.delete(rows[0])
        with pytest.raises(HistoryRewrite):
            session.flush()
    # The latest run is the one shown: 3 is neither >= 8 nor a multiple of 5.
    shown = files_of(service, request_id)["out/regions.csv"].checks
    assert shown["preset"] == "opensafely"
    assert {f["rule"] for f in shown["findings"] if f["verdict"] == "fail"} == {"min_frequency", "rounding"}


def test_an_unknown_project_preset_is_an_error_on_the_file_not_a_pass(checked):
    service, checks, presets = checked
    presets[PROJECT] = "lenient"
    request_id = submit(service, [upload("out/regions.csv", SMALL)])
    assert checks.wait_idle(30)
    view = files_of(service, request_id)["out/regions.csv"].checks
    assert view["status"] == "error" and view["verdict"] is None
    assert "preset 'lenient' is unknown" in view["error"]


def test_the_declared_kind_steers_the_checks(checked):
    service, checks, _ = checked
    table = b"region,amount\nNorth,3\nSouth,1200\n"
    request_id = submit(service, [upload("out/as_counts.csv", table, kind="frequency_table"),
                                  upload("out/as_money.csv", table, kind="magnitude_table")])
    assert checks.wait_idle(30)
    files = files_of(service, request_id)
    counts, money = files["out/as_counts.csv"].checks, files["out/as_money.csv"].checks
    assert counts["kind"] == "frequency" and not counts["kind_guessed"] and counts["verdict"] == "fail"
    assert money["kind"] == "magnitude" and money["verdict"] == "review"
    assert any("no evidence of the contributions" in f["message"] for f in money["findings"])


def test_each_table_of_a_notebook_is_checked(checked):
    service, checks, _ = checked
    request_id = submit(service, [upload("out/analysis.html", HTML, kind="notebook", media_type="text/html")])
    assert checks.wait_idle(30)
    view = files_of(service, request_id)["out/analysis.html"].checks
    assert len(view["tables"]) == 1 and view["verdict"] == "fail"
    assert [(f["row"], f["value"]) for f in view["findings"]
            if f["rule"] == "min_frequency" and f["verdict"] == "fail"] == [({"sex": "M"}, "4")]


def test_evidence_gets_the_full_dominance_checks_and_never_leaves(checked, tmp_path):
    service, checks, _ = checked
    table = b"region,sum_cost\nNorth,10110\nSouth,1200\n"
    evidence = {"format": "haven-evidence/1", "label_columns": ["region"], "cells": [
        {"labels": ["North"], "column": "sum_cost", "count": 12, "total": 10110.0,
         "largest": [10000.0, 10.0], "negative": 0},
        {"labels": ["South"], "column": "sum_cost", "count": 12, "total": 1200.0,
         "largest": [100.0, 100.0], "negative": 0}]}
    files = [upload("out/cost.csv", table, kind="magnitude_table"),
             # Sent as an ordinary file by mistake: Haven keeps it as supporting anyway.
             upload("out/cost.csv.evidence.json", json.dumps(evidence).encode(),
                    media_type="application/json", kind="other")]
    request_id = create_request_at_status(service, State.SUBMITTED, files)
    assert checks.wait_idle(30)
    shown = files_of(service, request_id)
    assert shown["out/cost.csv.evidence.json"].supporting
    cost = shown["out/cost.csv"].checks
    failing = {(f["rule"], f["row"]["region"]) for f in cost["findings"]
               if f["verdict"] == "fail" and f["row"]}
    assert failing == {("dominance_nk", "North"), ("dominance_p_ratio", "North")}
    # Through review to release: the evidence is nowhere in the bundle.
    service.start_review(CHECKER, request_id)
    from .factories import CHECKER_2, vote_all
    vote_all(service, request_id, CHECKER, "approve")
    vote_all(service, request_id, CHECKER_2, "approve")
    service.release(CHECKER, request_id)
    with zipfile.ZipFile(io.BytesIO(service.bundle(AUTHOR, request_id))) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
        acro = json.loads(archive.read("results.json"))
    assert not [n for n in names if "evidence" in n]
    assert [f["path"] for f in manifest["files"]] == ["out/cost.csv"]
    recorded = manifest["files"][0]["check_results"]
    assert recorded["status"] == "done" and recorded["verdict"] == "fail"
    assert recorded["parameters"]["nk_k"] == 0.9 and recorded["result"]["evidence"] == "cost.csv.evidence.json"
    # ACRO 1.0.x's layout and check names, the dominated cell where the SACRO viewer puts it.
    output = acro["results"]["output_0"]
    assert output["status"] == "fail" and output["files"][0]["name"] == "files/out/cost.csv"
    assert output["files"][0]["sdc"]["cells"]["NKCheck"] == [[0, 0]]
    assert output["files"][0]["sdc"]["summary"]["PPercentCheck"] == 1


def test_an_acro_output_folder_is_shown_beside_havens_checks(checked):
    service, checks, _ = checked
    acro_csv = b"region,count\nNorth,3\nSouth,120\n"
    import hashlib
    results = {"version": "1.0.2", "tool": {"name": "ACRO"}, "results": {"output_0": {
        "uid": "output_0", "status": "fail", "type": "table", "properties": {"method": "crosstab"},
        "files": [{"name": "output_0_0.csv", "sdc": {"summary": {"threshold": 1}, "cells": {"threshold": [[0, 0]]}}}],
        "outcome": {}, "command": "acro.crosstab(df.region, df.sex)", "summary": "fail; threshold: 1 cells may need suppressing; ",
        "timestamp": "2026-11-22T10:00:00", "comments": ["small area"], "exception": "the cell is public knowledge", "fair": {}}}}
    files = [upload("acro_out/output_0_0.csv", acro_csv),
             upload("acro_out/results.json", json.dumps(results).encode(), media_type="application/json",
                    kind="other", supporting=True),
             upload("acro_out/checksums/output_0_0.csv.txt", hashlib.sha256(acro_csv).hexdigest().encode(),
                    media_type="text/plain", kind="other", supporting=True)]
    request_id = submit(service, files)
    assert checks.wait_idle(30)
    shown = files_of(service, request_id)
    table = shown["acro_out/output_0_0.csv"]
    assert table.acro["status"] == "fail" and table.acro["exception"] == "the cell is public knowledge"
    assert table.acro["checksum"] == "ok" and table.acro["sdc_cells"] == {"threshold": [[0, 0]]}
    assert table.checks["verdict"] == "fail"  # Haven's own verdict stands beside ACRO's
    assert shown["acro_out/results.json"].acro["outputs"][0]["uid"] == "output_0"
    assert shown["acro_out/results.json"].checks["status"] == "done"


def test_a_file_that_is_not_acros_results_json_is_an_error(checked):
    service, checks, _ = checked
    request_id = submit(service, [upload("out/t.csv", b"a,count\nx,20\n"),
                                  upload("out/results.json", b'{"ok": true}', media_type="application/json",
                                         kind="other", supporting=True)])
    assert checks.wait_idle(30)
    view = files_of(service, request_id)["out/results.json"].checks
    assert view["status"] == "error" and "not an ACRO results.json" in view["error"]


def test_resubmitted_files_are_checked_again(checked, engine):
    service, checks, _ = checked
    request_id = create_request_at_status(service, State.RETURNED, [upload("out/regions.csv", SMALL)])
    service.resubmit(AUTHOR, request_id, [upload("out/fixed.csv", b"region,count\nNorth,<10\nSouth,120\n")],
                     keep=["out/regions.csv"])
    assert checks.wait_idle(30)
    files = files_of(service, request_id)
    assert files["out/fixed.csv"].checks["verdict"] == "pass"
    assert files["out/regions.csv"].checks["verdict"] == "fail"
    with session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(CheckResult)) == 3


def test_preflight_checks_now_and_stores_nothing(checked, snapshot):
    service, _, presets = checked
    before = snapshot()
    answer = service.preflight(AUTHOR, PROJECT, [upload("out/regions.csv", SMALL)])
    assert [(a["name"], a["verdict"], a["summary"]) for a in answer] == [
        ("out/regions.csv", "fail", "1 cell below 10 in regions.csv")]
    assert snapshot() == before
    presets[PROJECT] = "nonesuch"
    from haven_egress.errors import Conflict, Forbidden, Invalid
    with pytest.raises(Conflict, match="preset 'nonesuch' is unknown"):
        service.preflight(AUTHOR, PROJECT, [upload("out/regions.csv", SMALL)])
    with pytest.raises(Forbidden):
        service.preflight(CHECKER, PROJECT, [upload("out/regions.csv", SMALL)])
    with pytest.raises(Invalid, match="SHA-256"):
        service.preflight(AUTHOR, PROJECT, [upload("out/regions.csv", SMALL, sha256="0" * 64)])
    assert snapshot() == before


def test_the_operators_overrides_change_a_presets_parameters(engine, blobs, signer):
    from haven_disclosure import InvalidSetting
    from haven_egress.web.startup import check_policy
    from haven_hub.settings import Egress, Settings

    policy = check_policy(Settings(egress=Egress(disclosure_overrides={"acro": {"threshold": 5}})))
    checks = BackgroundChecks(session_factory(engine), blobs, policy)
    service = EgressService(session_factory(engine), blobs, signer=signer, checks=checks)
    checks.start()
    try:
        request_id = submit(service, [upload("out/regions.csv", b"region,count\nNorth,7\nSouth,3\n")])
        assert checks.wait_idle(30)
        view = files_of(service, request_id)["out/regions.csv"].checks
    finally:
        checks.stop()
    assert [(f["row"], f["parameters"]) for f in view["findings"]
            if f["rule"] == "min_frequency" and f["verdict"] == "fail"] == [({"region": "South"}, {"threshold": 5})]
    with pytest.raises(InvalidSetting, match="unknown setting 'treshold'"):
        CheckPolicy(overrides={"acro": {"treshold": 5}})


def test_a_hub_that_does_not_answer_leaves_an_error_on_the_file(engine, blobs, signer):
    def unreachable(_project):
        raise OSError("connection refused")

    checks = BackgroundChecks(session_factory(engine), blobs, CheckPolicy(), unreachable)
    service = EgressService(session_factory(engine), blobs, signer=signer, checks=checks)
    checks.start()
    try:
        request_id = submit(service, [upload("out/regions.csv", SMALL)])
        assert checks.wait_idle(30)
        view = files_of(service, request_id)["out/regions.csv"].checks
    finally:
        checks.stop()
    assert view["status"] == "error" and "could not read the project's disclosure preset" in view["error"]
    assert view["verdict"] is None  # never a pass by default
