"""ACRO interoperability with ACRO itself (run in its own venv): an ACRO output folder in a
request is read, and a Haven release opens with ACRO's own loader."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from haven_egress import acro_results, acro_venv
from haven_egress.checking import BackgroundChecks
from haven_egress.file_checks import CheckInput
from haven_egress.service import EgressService
from haven_egress.storage import session_factory
from haven_egress.workflow import State

from .factories import AUTHOR, create_request_at_status, upload

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def acro_python():
    return acro_venv.ensure()


@pytest.fixture(scope="module")
def acro_folder(acro_python, tmp_path_factory) -> Path:
    """A real ACRO output folder: two crosstabs, one with small cells."""
    folder = tmp_path_factory.mktemp("acro-real")
    with (folder / "micro.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["region", "sex"])
        writer.writerows([["North", "F"]] * 40 + [["North", "M"]] * 35 + [["South", "F"]] * 3
                         + [["South", "M"]] * 25)
    (folder / "tables.json").write_text(json.dumps([{"index": ["region"], "columns": "sex"},
                                                    {"index": ["sex"], "columns": "region"}]))
    run = subprocess.run([str(acro_python), str(acro_venv.ACRO_DIR / "crosstabs.py"), str(folder / "micro.csv"),
                          str(folder / "tables.json"), str(folder / "out")], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    return folder / "out"


def test_a_real_acro_folder_is_read_with_its_checksums(acro_folder):
    files = {f"acro/{p.relative_to(acro_folder)}": CheckInput(f"acro/{p.relative_to(acro_folder)}", p.read_bytes())
             for p in acro_folder.rglob("*") if p.is_file()}
    parsed = acro_results.parse(files["acro/results.json"].content, "acro/results.json", files)
    tables = [o for o in parsed["outputs"] if o["type"] == "table"]
    assert [o["status"] for o in tables] == ["fail", "fail"]
    first = tables[0]["files"][0]
    assert first["request_path"] == "acro/output_0_0.csv" and first["checksum"] == "ok"
    assert first["sdc_cells"]["MinimumThresholdCheck"] == [[1, 0]]  # South, F = 3
    # One changed byte in the output: the checksum says so.
    files["acro/output_0_0.csv"] = CheckInput("acro/output_0_0.csv", files["acro/output_0_0.csv"].content + b" ")
    again = acro_results.parse(files["acro/results.json"].content, "acro/results.json", files)
    assert again["outputs"][0]["files"][0]["checksum"] == "mismatch"


def test_a_haven_release_opens_with_acros_own_loader(engine, blobs, signer, acro_python, tmp_path):
    checks = BackgroundChecks(session_factory(engine), blobs)
    service = EgressService(session_factory(engine), blobs, signer=signer, checks=checks)
    checks.start()
    try:
        files = [upload("out/regions.csv", b"region,count\nNorth,30\nSouth,45\n"),
                 upload("out/small.csv", b"region,count\nNorth,3\nSouth,45\n")]
        request_id = create_request_at_status(service, State.SUBMITTED, files)
        assert checks.wait_idle(30)
        from .factories import CHECKER, CHECKER_2, vote_all
        service.start_review(CHECKER, request_id)
        vote_all(service, request_id, CHECKER, "approve")
        vote_all(service, request_id, CHECKER_2, "approve")
        service.release(CHECKER, request_id)
        with zipfile.ZipFile(io.BytesIO(service.bundle(AUTHOR, request_id))) as archive:
            archive.extractall(tmp_path / "release")
    finally:
        checks.stop()
    run = subprocess.run([str(acro_python), str(acro_venv.ACRO_DIR / "load_results.py"), str(tmp_path / "release")],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    loaded = json.loads(run.stdout)
    assert [(r["uid"], r["status"], r["outputs"]) for r in loaded] == [("output_0", "pass", 1), ("output_1", "fail", 1)]
    assert "1 cell below 10" in loaded[1]["summary"]
