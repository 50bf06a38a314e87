"""``haven.summarise`` (a table of means plus its dominance evidence) vs a plain DuckDB group-by.

On the synthetic admissions joined to patients, the mean cost by region, diagnosis chapter
and age band is computed

- by ``haven.summarise``: the table as CSV and, in the same pass, each cell's count, total
  and largest contributions as ``.evidence.json``;
- by the same GROUP BY in plain DuckDB, written with COPY to CSV (the baseline: what an
  analyst would do without the evidence).

Then the checks (``check_file`` with the evidence: threshold, N-K, p-ratio) are timed on the
result. With ``--acro`` the same table of means with its N-K and p-ratio checks is also made
by ACRO's own ``crosstab`` in ACRO's venv (``haven_egress.acro_venv``), timed inside that
process, and the cells each flags are compared. Medians of ``--repeat`` runs; the ratios
come from this one run.

usage: python bench/summarise_evidence.py [--rows N] [--repeat K] [--acro] [--json]
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import haven  # noqa: E402
from haven_egress import acro_venv  # noqa: E402
from haven_disclosure import check_file  # noqa: E402
from haven_hub.datasets.synthetic import write_synthetic  # noqa: E402

BY = ["region", "diagnosis_chapter", "age_band"]
VALUE = "cost_gbp"
THREADS = 2
DOMINANCE = ("min_contributors", "dominance_nk", "dominance_p_ratio")


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def flagged(result) -> dict[str, set[tuple[str, ...]]]:
    return {f.rule: {tuple(c.row_labels[name] for name in BY) for c in f.cells}
            for f in result.findings if f.rule in DOMINANCE and f.verdict.value == "fail"}


def run_acro(folder: Path, microdata: Path) -> dict:
    script = folder / "acro_means.py"
    script.write_text(ACRO_SCRIPT)
    python = acro_venv.ensure()
    answer = subprocess.run([str(python), str(script), str(microdata)], capture_output=True, text=True,
                            timeout=3600)
    if answer.returncode != 0:
        raise SystemExit(answer.stderr[-3000:])
    return json.loads(answer.stdout.strip().splitlines()[-1])


# Runs inside ACRO's venv: the same table of means through ACRO, its flags by labels.
ACRO_SCRIPT = f'''
import contextlib, io, json, logging, sys, time
import pandas as pd
from acro import ACRO
logging.disable(logging.CRITICAL)
data = pd.read_csv(sys.argv[1], dtype={{c: str for c in {BY!r}}})
by = {BY!r}
with contextlib.redirect_stdout(io.StringIO()):
    acro = ACRO(suppress=False)
    started = time.perf_counter()
    table = acro.crosstab([data[c] for c in by[:-1]], data[by[-1]], values=data[{VALUE!r}], aggfunc="mean")
    seconds = time.perf_counter() - started
record = list(acro.results.results.values())[-1]
cells = {{}}
for check, positions in record.sdc["cells"].items():
    cells[check] = sorted({{tuple(map(str, table.index[r])) + (str(table.columns[c]),)
                           for r, c in positions}})
print(json.dumps({{"seconds": seconds, "cells": cells}}))
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=float, default=1e6)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--acro", action="store_true", help="also time ACRO's crosstab (builds its venv)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="haven-bench-summarise-") as tmp:
        folder = Path(tmp)
        write_synthetic(folder / "raw", rows=int(args.rows), seed=7)
        con = duckdb.connect(config={"threads": THREADS})
        con.execute(f"CREATE TABLE micro AS SELECT p.region, a.diagnosis_chapter, p.age_band, a.{VALUE} "
                    f"FROM '{folder}/raw/admissions.parquet' a JOIN '{folder}/raw/patients.parquet' p "
                    f"USING (patient_id)")
        micro = con.table("micro")
        groups = ", ".join(BY)
        plain_sql = (f"COPY (SELECT {groups}, avg({VALUE}) AS mean_{VALUE} FROM micro GROUP BY ALL "
                     f"ORDER BY {groups}) TO '{folder}/plain.csv' (HEADER)")
        summarise_s, plain_s = [], []
        for _ in range(args.repeat):  # interleaved, so drift hits both alike
            plain_s.append(timed(lambda: con.execute(plain_sql)))
            summarise_s.append(timed(lambda: haven.summarise(micro, by=BY, value=VALUE, stat="mean",
                                                             path=folder / "means.csv")))
        table = folder / "means.csv"
        evidence = folder / "means.csv.evidence.json"
        results = []
        check_s = statistics.median(timed(lambda: results.append(
            check_file(table, kind="magnitude", evidence=evidence))) for _ in range(args.repeat))
        ours = flagged(results[-1])
        figures = {
            "rows": int(args.rows), "cells": sum(1 for _ in table.open()) - 1,
            "summarise_s": statistics.median(summarise_s), "plain_group_by_s": statistics.median(plain_s),
            "check_s": check_s, "evidence_bytes": evidence.stat().st_size,
            "flagged": {rule: len(cells) for rule, cells in ours.items()},
        }
        figures["ratio"] = figures["summarise_s"] / figures["plain_group_by_s"]
        if args.acro:
            con.execute(f"COPY micro TO '{folder}/micro.csv' (HEADER)")  # ACRO's venv has no pyarrow
            acro = run_acro(folder, folder / "micro.csv")
            # ACRO 1.0.2's names for the same three rules. ACRO's crosstab also has the empty
            # combinations (NaN, flagged as below the threshold); a long table has no such rows.
            with table.open(newline="") as handle:
                present = {tuple(row[:len(BY)]) for row in list(csv.reader(handle))[1:]}
            theirs = {rule: set(map(tuple, acro["cells"].get(check, []))) & present for rule, check in
                      (("min_contributors", "MinimumThresholdCheck"), ("dominance_nk", "NKCheck"),
                       ("dominance_p_ratio", "PPercentCheck"))}
            figures["acro_s"] = acro["seconds"]
            figures["acro_ratio"] = acro["seconds"] / (figures["summarise_s"] + figures["check_s"])
            figures["same_dominance_flags_as_acro"] = all(
                ours.get(rule, set()) == theirs[rule] for rule in theirs)
            figures["flag_differences"] = {rule: [len(ours.get(rule, set()) - theirs[rule]),
                                                  len(theirs[rule] - ours.get(rule, set()))]
                                           for rule in theirs}
            figures["acro_checks"] = sorted(acro["cells"])
        con.close()
    if args.json:
        print(json.dumps(figures))
    else:
        print(f"{figures['rows']} rows -> {figures['cells']} cells of mean {VALUE} by {', '.join(BY)}")
        print(f"haven.summarise (table + evidence): {figures['summarise_s']:.3f} s")
        print(f"plain DuckDB group-by to CSV:       {figures['plain_group_by_s']:.3f} s")
        print(f"ratio: {figures['ratio']:.2f}x; checks with the evidence: {figures['check_s']:.3f} s")
        if args.acro:
            print(f"ACRO crosstab of means with its checks: {figures['acro_s']:.2f} s, "
                  f"{figures['acro_ratio']:.1f}x slower than summarise + checks; "
                  f"same N-K / p-ratio cells: {figures['same_dominance_flags_as_acro']}")


if __name__ == "__main__":
    main()
