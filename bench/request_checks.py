"""Checking a 20-file request end to end: submission to every file's checks stored.

A request of 20 files (crosstabs of the synthetic admissions, one table of means with its
``haven.summarise`` evidence, a figure, a notebook as HTML) is submitted to the egress
service layer with its background checks running, on SQLite as embedded Haven runs it; the
time is from the submit call to the last check result being readable in the request view.
Baseline, in the same run: ``check_file`` called on the same files one after another, with
no database, blobs or worker. Medians of ``--repeat`` runs.

usage: python bench/request_checks.py [--rows N] [--repeat K] [--json]
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import haven  # noqa: E402
from haven_egress.blobs import BlobStore  # noqa: E402
from haven_egress.checking import BackgroundChecks  # noqa: E402
from haven_disclosure import check_file  # noqa: E402
from haven_egress.file_checks import DECLARED_KINDS  # noqa: E402
from haven_egress.permissions import Caller, Role  # noqa: E402
from haven_egress.service import EgressService  # noqa: E402
from haven_egress.storage import open_engine, session_factory, upgrade  # noqa: E402
from haven_egress.uploads import FileUpload  # noqa: E402
from haven_hub.datasets.synthetic import write_synthetic  # noqa: E402
from tests.fixtures.media import png  # noqa: E402

VARIABLES = ["sex", "age_band", "region", "admission_method", "diagnosis_chapter"]
AUTHOR = Caller("bench", frozenset({Role.ANALYST}), frozenset({"bench"}), server_project="bench")
PNG = png((64, 48))  # a real image: the service decodes and re-encodes every figure


def make_files(folder: Path, rows: int) -> list[tuple[str, bytes, str, bool]]:
    """(path, content, declared kind, supporting) for 20 files."""
    write_synthetic(folder / "raw", rows=rows, seed=5)
    con = duckdb.connect()
    con.execute(f"CREATE TABLE micro AS SELECT p.sex, p.age_band, p.region, a.admission_method, "
                f"a.diagnosis_chapter, a.cost_gbp FROM '{folder}/raw/admissions.parquet' a "
                f"JOIN '{folder}/raw/patients.parquet' p USING (patient_id)")
    files = []
    for group in list(itertools.combinations(VARIABLES, 2))[:9] + list(
            itertools.combinations(VARIABLES, 3))[:7]:
        name = f"out/{'_by_'.join(group)}.csv"
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        columns = ", ".join(group)
        con.execute(f"COPY (SELECT {columns}, count(*) AS count FROM micro GROUP BY ALL ORDER BY ALL) "
                    f"TO '{path}' (HEADER)")
        files.append((name, path.read_bytes(), "frequency_table", False))
    means = haven.summarise(con.table("micro"), by=["region", "age_band"], value="cost_gbp",
                            stat="mean", path=folder / "out" / "cost.csv")
    files.append(("out/cost.csv", means.read_bytes(), "magnitude_table", False))
    files.append(("out/cost.csv.evidence.json", Path(str(means) + ".evidence.json").read_bytes(),
                  "other", True))
    files.append(("out/figure.png", PNG, "figure", False))
    html = con.sql("SELECT region, count(*) AS n FROM micro GROUP BY ALL ORDER BY ALL").df().to_html()
    files.append(("out/notebook.html", f"<html><body>{html}</body></html>".encode(), "notebook", False))
    con.close()
    assert len(files) == 20
    return files


def end_to_end(folder: Path, files: list[tuple[str, bytes, str, bool]], run: int) -> tuple[float, float]:
    """Seconds from the submit call to its return, and to the last check result stored."""
    url = f"sqlite:///{folder / f'egress-{run}.sqlite'}"
    upgrade(url)
    sessions = session_factory(open_engine(url))
    blobs = BlobStore(folder / f"blobs-{run}")
    checks = BackgroundChecks(sessions, blobs)
    service = EgressService(sessions, blobs, checks=checks)
    checks.start()
    uploads = [FileUpload(path=p, content=c, sha256=hashlib.sha256(c).hexdigest(), kind=k, supporting=s)
               for p, c, k, s in files]
    try:
        started = time.perf_counter()
        request_id = service.submit(AUTHOR, "bench", "bench", "bench", uploads)
        submitted = time.perf_counter() - started
        while True:
            view = service.get_request(AUTHOR, request_id)
            if all(f.checks["status"] != "pending" for f in view.versions[-1].files):
                break
            time.sleep(0.01)
        seconds = time.perf_counter() - started
        assert all(f.checks["status"] == "done" for f in view.versions[-1].files)
        return submitted, seconds
    finally:
        checks.stop()


def direct(folder: Path, files: list[tuple[str, bytes, str, bool]]) -> float:
    started = time.perf_counter()
    for path, _content, kind, supporting in files:
        if supporting:
            continue
        evidence = folder / (path + ".evidence.json")
        check_file(folder / path, kind=DECLARED_KINDS[kind],
                   evidence=evidence if evidence.exists() else None)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=float, default=1e6)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="haven-bench-checks-") as tmp:
        folder = Path(tmp)
        files = make_files(folder, int(args.rows))
        for path, content, _, _ in files:  # the direct baseline reads the same bytes from disk
            (folder / path).write_bytes(content)
        submits, served, baseline = [], [], []
        for run in range(args.repeat):
            baseline.append(direct(folder, files))
            submit_s, total_s = end_to_end(folder, files, run)
            submits.append(submit_s)
            served.append(total_s)
    figures = {"files": len(files), "bytes": sum(len(c) for _, c, _, _ in files),
               "submit_s": statistics.median(submits),
               "end_to_end_s": statistics.median(served), "direct_checks_s": statistics.median(baseline)}
    figures["ratio"] = figures["end_to_end_s"] / figures["direct_checks_s"]
    if args.json:
        print(json.dumps(figures))
    else:
        print(f"{figures['files']} files, {figures['bytes']} bytes")
        print(f"submit (files stored durably): {figures['submit_s']:.3f} s")
        print(f"submit to every check stored: {figures['end_to_end_s']:.3f} s")
        print(f"check_file on each, directly:  {figures['direct_checks_s']:.3f} s")
        print(f"ratio: {figures['ratio']:.2f}x")


if __name__ == "__main__":
    main()
