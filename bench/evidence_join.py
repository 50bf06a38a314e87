"""The dominance checks of a large table of means with a long contributions CSV: join vs scan.

A wide table of means (region x age band x diagnosis chapter rows, one column per year:
17,820 cells at the default size) is written with its evidence, a long CSV of 600,000
contributions (labels, year, value), and ``check_file`` runs the N-K, p-ratio and contributor
checks on it. Two baselines from the same run:

- ``scan``: the matching Haven used before (every cell scans every contribution row), timed on
  ``--scan-cells`` cells and scaled to the whole table (the whole scan takes minutes);
- ``read``: Haven's strict CSV reader on the table and the evidence, without any check.

Medians of ``--repeat`` runs. The goal: the whole check under 2 s at the default size.

usage: python bench/evidence_join.py [--cells-scale F] [--rows N] [--repeat K] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from haven_disclosure import check_file  # noqa: E402
from haven_disclosure.reading import read_table  # noqa: E402
from haven_disclosure.settings import resolve_settings  # noqa: E402
from haven_disclosure.tables import build_table, is_total_label  # noqa: E402

REGIONS, AGE_BANDS, CHAPTERS, YEARS = 9, 20, 11, 9  # 1,980 rows x 9 columns = 17,820 cells
GOAL_SECONDS = 2.0


def write_inputs(folder: Path, scale: float, rows: int, seed: int = 5) -> tuple[Path, Path, int]:
    """The table of means and its evidence; returns their paths and the number of cells."""
    shape = [max(1, round(n * scale)) for n in (REGIONS, AGE_BANDS, CHAPTERS)]
    years = [f"y{2015 + i}" for i in range(YEARS)]
    keys = [(f"region{r}", f"band{a}", f"chapter{c}") for r in range(shape[0])
            for a in range(shape[1]) for c in range(shape[2])]
    generator = random.Random(seed)
    sums: dict[tuple, list[float]] = {}
    lines = ["region,age_band,chapter,year,value"]
    for _ in range(rows):
        labels = keys[generator.randrange(len(keys))]
        year = years[generator.randrange(YEARS)]
        value = round(generator.lognormvariate(6, 1), 2)
        if generator.random() < 0.0005:
            value *= 1000  # a dominant contributor: some cells must fail N-K and p-ratio
        lines.append(f"{','.join(labels)},{year},{value}")
        found = sums.setdefault((labels, year), [0.0, 0])
        found[0] += value
        found[1] += 1
    evidence = folder / "means.csv.evidence.csv"
    evidence.write_text("\n".join(lines) + "\n")
    table = folder / "means.csv"
    out = ["region,age_band,chapter," + ",".join(years)]
    for labels in keys:
        means = [sums.get((labels, y), [0.0, 0]) for y in years]
        out.append(",".join(labels) + "," + ",".join(f"{s / n:.2f}" if n else "" for s, n in means))
    table.write_text("\n".join(out) + "\n")
    return table, evidence, len(keys) * YEARS


def scan_per_cell(table_path: Path, evidence_path: Path, cells: int) -> float:
    """Seconds per cell of the old matching: every cell scans every contribution row."""
    settings = resolve_settings("acro")
    raw, evidence = read_table(table_path), read_table(evidence_path)
    table = build_table(raw, settings, ["region", "age_band", "chapter"])
    header = list(evidence.header)
    rows = [(row[:3], row[3], float(row[4])) for row in evidence.rows]
    sample = table.cells[:cells]
    started = time.perf_counter()
    for cell in sample:
        labels = tuple(cell.ref.row_labels.values())
        wanted = None if is_total_label(cell.ref.column, settings) else cell.ref.column
        [value for row_labels, column, value in rows
         if (wanted is None or column == wanted)
         and all(is_total_label(w, settings) or w == h for w, h in zip(labels, row_labels))]
    assert header[:4] == ["region", "age_band", "chapter", "year"]
    return (time.perf_counter() - started) / len(sample)


def median_time(action, repeat: int) -> tuple[float, float]:
    """Median wall and CPU seconds (CPU: this process, DuckDB's threads included)."""
    wall, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        action()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells-scale", type=float, default=1.0,
                        help="scale of each label dimension (1.0: 17,820 cells)")
    parser.add_argument("--rows", type=float, default=600_000, help="contribution rows")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scan-cells", type=int, default=40)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="haven-bench-evidence-") as folder:
        table, evidence, cells = write_inputs(Path(folder), args.cells_scale, int(args.rows))
        labels = ["region", "age_band", "chapter"]
        result = check_file(table, kind="magnitude", evidence=evidence, label_columns=labels)
        flagged = {f.rule: len(f.cells) for f in result.findings if f.verdict.value == "fail"}
        join_s, join_cpu = median_time(lambda: check_file(table, kind="magnitude",
                                                          evidence=evidence,
                                                          label_columns=labels), args.repeat)
        read_s, _ = median_time(lambda: (read_table(table), read_table(evidence)), args.repeat)
        scan_s = scan_per_cell(table, evidence, min(args.scan_cells, cells)) * cells
    figures = {"cells": cells, "contribution_rows": int(args.rows), "check_s": join_s,
               "check_cpu_s": join_cpu, "load_average": os.getloadavg()[0],
               "read_s": read_s, "scan_estimate_s": scan_s, "ratio_vs_scan": scan_s / join_s,
               "ratio_vs_read": join_s / read_s, "flagged": flagged,
               "goal_met": join_s < GOAL_SECONDS}
    if args.json:
        print(json.dumps(figures))
        return
    print(f"{cells} cells, {int(args.rows)} contributions: checks {join_s:.3f} s "
          f"(goal < {GOAL_SECONDS} s: {'met' if figures['goal_met'] else 'NOT met'}), "
          f"{join_cpu:.3f} s of CPU; load average {figures['load_average']:.1f}")
    print(f"  reading the two files alone {read_s:.3f} s ({join_s / read_s:.2f}x)")
    print(f"  the old scan, scaled from {min(args.scan_cells, cells)} cells: {scan_s:.1f} s "
          f"({scan_s / join_s:.0f}x slower)")
    print(f"  flagged: {flagged}")


if __name__ == "__main__":
    main()
