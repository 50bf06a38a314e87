"""A Haven release bundle opens in the SACRO viewer: the viewer's own code (the PyPI package
"Sacroviewer", in a venv of its own) picks the bundle's results.json, finds every file
unmodified by its ``checksums/`` folder, and highlights the cells Haven's checks flagged,
zeros included, where its page draws them."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from haven_egress import acro_venv
from haven_egress.checking import BackgroundChecks
from haven_egress.service import EgressService
from haven_egress.storage import session_factory
from haven_egress.workflow import State

from .factories import AUTHOR, CHECKER, CHECKER_2, create_request_at_status, upload, vote_all

# The bundle does not depend on the database engine: SQLite alone keeps the test cheap.
pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

# South/F = 3 is below 10; North/M = 0 is a disclosive zero (ACRO: under both checks).
COUNTS = b"region,F,M\nNorth,30,0\nSouth,3,45\n"
SAFE = b"region,count\nNorth,30\nSouth,45\n"


@pytest.fixture(scope="module")
def viewer_python():
    return acro_venv.ensure(acro_venv.VIEWER_LOCK, acro_venv.VIEWER_PROBE)


@pytest.fixture
def release(engine, blobs, signer, tmp_path) -> Path:
    checks = BackgroundChecks(session_factory(engine), blobs)
    service = EgressService(session_factory(engine), blobs, signer=signer, checks=checks)
    checks.start()
    try:
        files = [upload("out/counts.csv", COUNTS, kind="frequency_table"),
                 upload("out/safe.csv", SAFE, kind="frequency_table")]
        request_id = create_request_at_status(service, State.SUBMITTED, files)
        assert checks.wait_idle(30)
        service.start_review(CHECKER, request_id)
        vote_all(service, request_id, CHECKER, "approve")
        vote_all(service, request_id, CHECKER_2, "approve")
        service.release(CHECKER, request_id)
        with zipfile.ZipFile(io.BytesIO(service.bundle(AUTHOR, request_id))) as archive:
            archive.extractall(tmp_path / "release")
    finally:
        checks.stop()
    return tmp_path / "release"


def open_in_viewer(python: Path, *folders: Path) -> list[dict]:
    run = subprocess.run([str(python), str(acro_venv.VIEWER_DIR / "open_bundle.py"),
                          *map(str, folders)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout)


def files_by_name(shown: dict) -> dict[str, dict]:
    return {f["name"]: f for output in shown["outputs"].values() for f in output["files"]}


def test_the_viewer_opens_a_release_unmodified_with_its_cells_highlighted(viewer_python, release):
    # Beside the release as made, two copies (the viewer is started once for all three):
    # one with a changed byte, and the control, the bundle as it was before checksums/.
    changed, unchecked = release.with_name("changed"), release.with_name("unchecked")
    shutil.copytree(release, changed)
    counts = changed / "files" / "out" / "counts.csv"
    counts.write_bytes(counts.read_bytes().replace(b"45", b"46"))
    shutil.copytree(release, unchecked)
    shutil.rmtree(unchecked / "checksums")
    shown, shown_changed, shown_unchecked = open_in_viewer(viewer_python, release, changed,
                                                           unchecked)

    assert shown["metadata_file"] == "results.json" and shown["index_status"] == 200
    files = files_by_name(shown)
    assert set(files) == {"files/out/counts.csv", "files/out/safe.csv"}
    assert all(f["checksum_valid"] for f in files.values())  # no "modified" banner
    # [row, column] as the viewer draws them: data row, header column - 1.
    highlighted = {cell: sorted(checks) for cell, checks
                   in files["files/out/counts.csv"]["highlighted"].items()}
    assert highlighted == {"1,0": ["MinimumThresholdCheck"],
                           "0,1": ["MinimumThresholdCheck", "PresenceOfZeroCheck"]}
    assert files["files/out/safe.csv"]["highlighted"] == {}
    statuses = {o["files"][0]["name"]: o["status"] for o in shown["outputs"].values()}
    assert statuses == {"files/out/counts.csv": "fail", "files/out/safe.csv": "pass"}

    # The viewer's own checksum code marks the changed file, and only it, modified.
    files = files_by_name(shown_changed)
    assert not files["files/out/counts.csv"]["checksum_valid"]
    assert files["files/out/safe.csv"]["checksum_valid"]
    # Without checksums/ every file is "modified" and no cell is lit.
    files = files_by_name(shown_unchecked)
    assert not any(f["checksum_valid"] or f["highlighted"] for f in files.values())
