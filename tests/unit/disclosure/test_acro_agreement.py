"""`haven check` under the ACRO preset flags exactly the cells ACRO's own ``crosstab`` flags.

ACRO runs for real, in its own pinned virtual environment (``haven_egress.acro_venv``; the
first run builds it, about 35 s, then it is reused by the content of its lock). The tables
are crosstabs of one, two and three variables of the synthetic admissions data; ACRO's
flags are read from the results.json ACRO writes, Haven's from ``haven check --json``.
"""

from __future__ import annotations

import csv
import itertools
import json
import subprocess
import sys

import duckdb
import pytest

from haven_egress import acro_venv
from haven_hub.datasets.synthetic import write_synthetic

VARIABLES = ["sex", "age_band", "region", "imd_quintile", "admission_method", "diagnosis_chapter"]
ROWS = 20_000
# ACRO's check -> the Haven rules that flag the same cells under the ACRO preset.
ACRO_TO_HAVEN = {"MinimumThresholdCheck": {"min_frequency", "zeros"},  # ACRO counts 0 as < 10
                 "PresenceOfZeroCheck": {"zeros"}}


def specs() -> list[dict]:
    one = [{"index": [v], "columns": "n"} for v in VARIABLES]
    two = [{"index": [a], "columns": b} for a, b in itertools.combinations(VARIABLES, 2)]
    three = [{"index": [a, b], "columns": c} for a, b, c in itertools.combinations(VARIABLES, 3)][:10]
    return one + two + three


@pytest.fixture(scope="module")
def acro_tables(tmp_path_factory):
    folder = tmp_path_factory.mktemp("acro-agreement")
    write_synthetic(folder / "raw", rows=ROWS, seed=11)
    microdata = folder / "microdata.csv"
    duckdb.sql(
        f"COPY (SELECT p.sex, p.age_band, p.region, CAST(p.imd_quintile AS VARCHAR) AS imd_quintile, "
        f"a.admission_method, a.diagnosis_chapter, 'all' AS n "
        f"FROM '{folder}/raw/admissions.parquet' a JOIN '{folder}/raw/patients.parquet' p USING (patient_id)) "
        f"TO '{microdata}' (HEADER)")
    (folder / "tables.json").write_text(json.dumps(specs()))
    python = acro_venv.ensure()
    run = subprocess.run([str(python), str(acro_venv.ACRO_DIR / "crosstabs.py"), str(microdata),
                          str(folder / "tables.json"), str(folder / "acro_out")],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    return folder, json.loads(run.stdout)


def acro_flags(table: dict, check: str) -> set[tuple[tuple[str, ...], str]]:
    return {(tuple(table["row_labels"][r]), table["column_labels"][c]) for r, c in table["cells"].get(check, [])}


def haven_flags(folder, position: int, table: dict) -> dict[str, set]:
    """Write ACRO's table as the analyst would release it, then run `haven check --json`."""
    path = folder / f"table_{position}.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*table["index"], *table["column_labels"]])
        for labels, counts in zip(table["row_labels"], table["counts"]):
            writer.writerow([*labels, *counts])
    run = subprocess.run([sys.executable, "-m", "haven_disclosure", str(path), "--kind", "frequency",
                          "--preset", "acro", "--labels", ",".join(table["index"]), "--json"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode in (0, 1), run.stderr
    result = json.loads(run.stdout)
    flags: dict[str, set] = {}
    for finding in result["findings"]:
        if finding["verdict"] == "fail":
            flags.setdefault(finding["rule"], set()).update(
                (tuple(cell["row_labels"][name] for name in table["index"]), cell["column"])
                for cell in finding["cells"])
    return flags


def test_haven_flags_exactly_the_cells_acro_flags(acro_tables):
    folder, tables = acro_tables
    assert len(tables) >= 30
    assert {len(t["index"]) + (t["columns"] != "n") for t in tables} == {1, 2, 3}
    with_flags = 0
    for position, table in enumerate(tables):
        haven = haven_flags(folder, position, table)
        for check, rules in ACRO_TO_HAVEN.items():
            ours = set().union(*(haven.get(rule, set()) for rule in rules))
            assert ours == acro_flags(table, check), (position, table["index"], table["columns"], check)
        every_acro_flag = set().union(*(acro_flags(table, check) for check in table["cells"]))
        assert set().union(*haven.values()) == every_acro_flag, (position, table["index"], haven.keys())
        assert (table["status"] == "fail") == bool(every_acro_flag)
        with_flags += bool(every_acro_flag)
    print(f"{len(tables)} tables, {with_flags} with flagged cells")
    assert with_flags >= 20, f"only {with_flags} tables with flagged cells"


def test_without_declared_labels_the_cues_find_them_and_agree_with_acro(acro_tables):
    """The found case: integer-coded label columns (imd_quintile 1-5) were checked as counts.
    With nothing declared (no --labels, no --kind), the header and content cues find the
    label columns and the flags are ACRO's."""
    from haven_disclosure import check_file
    folder, tables = acro_tables
    coded = [(p, t) for p, t in enumerate(tables) if "imd_quintile" in t["index"]]
    assert len(coded) >= 5
    for position, table in coded:
        path = folder / f"table_{position}.csv"
        with path.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow([*table["index"], *table["column_labels"]])
            writer.writerows([*labels, *counts] for labels, counts
                             in zip(table["row_labels"], table["counts"]))
        result = check_file(path)
        assert result.tables[0].label_columns == tuple(table["index"]), result.tables[0]
        assert result.tables[0].kind == "frequency"
        flags = {(tuple(c.row_labels[n] for n in table["index"]), c.column)
                 for f in result.findings if f.verdict.value == "fail" for c in f.cells}
        every_acro_flag = set().union(*(acro_flags(table, check) for check in table["cells"]))
        assert flags == every_acro_flag, (position, table["index"])
