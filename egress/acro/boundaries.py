"""ACRO's own verdicts on boundary cases, for Haven's tests to pin its rules against.

Runs INSIDE the ACRO virtual environment (``haven_egress.acro_venv``). Input: a JSON file
``{"cells": {name: [contribution, ...]}, "counts": {name: count}, "dof": [residual df, ...]}``
and, optionally, ``"pie": {slice: count}`` and ``"survival": [{"time": [...], "status": [...]}]``.
Each magnitude cell becomes one row of an ACRO ``crosstab(..., aggfunc="mean")``, each count
one cell of a frequency ``crosstab``, each df an ``ols`` fitted on just enough rows; the pie's
slices one ``pie`` of a column with that many rows per slice; each survival case a
``surv_func`` table, once as checked and once with ACRO's suppression (its survival
mitigation). The frequency crosstab is made once more with ACRO's ``round`` mitigation, to
show how ACRO records a mitigation. Output on stdout: the cells (by name) each ACRO check
flagged, each model's status, read back from the ``results.json`` ACRO writes, plus that
file's check names.

    python boundaries.py cases.json outdir
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from acro import ACRO


def main(cases_file: str, outdir: str) -> None:
    logging.disable(logging.CRITICAL)
    cases = json.loads(Path(cases_file).read_text())
    magnitude_names = sorted(cases["cells"])
    count_names = sorted(cases["counts"])
    with contextlib.redirect_stdout(io.StringIO()):
        acro = ACRO(suppress=False)
        rows = [(name, value) for name in magnitude_names for value in cases["cells"][name]]
        contributions = pd.DataFrame(rows, columns=["cell", "value"])
        contributions["column"] = "v"
        means = acro.crosstab(contributions["cell"], contributions["column"],
                              values=contributions["value"], aggfunc="mean")
        # A frequency table: each named count in column "a"; a zero where the count is 0
        # (the cell's one row then sits in column "b", so the row itself exists).
        people = [(name, "a") for name in count_names for _ in range(cases["counts"][name])]
        people += [(name, "b") for name in count_names if cases["counts"][name] == 0]
        frequency = pd.DataFrame(people, columns=["cell", "column"])
        counts = acro.crosstab(frequency["cell"], frequency["column"])
        generator = np.random.default_rng(7)
        for dof in cases["dof"]:
            n = dof + 2  # a constant and one slope
            x = generator.normal(size=n)
            y = 2 * x + generator.normal(size=n)
            acro.ols(y, pd.DataFrame({"const": 1.0, "x": x}))
        extra = _pie_survival_rounding(acro, cases, frequency)
        acro.finalise(outdir, "json")
    results = json.loads((Path(outdir) / "results.json").read_text())["results"]
    outputs = [results[f"output_{i}"] for i in range(2 + len(cases["dof"]))]
    later = iter(results[f"output_{i}"] for i in range(len(outputs), len(results))
                 if f"output_{i}" in results)

    def flagged(output: dict, labels: list[str], column: int | None) -> dict[str, list[str]]:
        cells = output["files"][0]["sdc"]["cells"]
        return {check: sorted(labels[r] for r, c in positions if column is None or c == column)
                for check, positions in cells.items()}

    json.dump({
        "magnitude": flagged(outputs[0], [str(v) for v in means.index], None),
        "magnitude_checks": sorted(outputs[0]["files"][0]["sdc"]["summary"]),
        "frequency": flagged(outputs[1], [str(v) for v in counts.index],
                             list(counts.columns).index("a")),
        "frequency_checks": sorted(outputs[1]["files"][0]["sdc"]["summary"]),
        "dof": [{"dof": dof, "status": output["status"]}
                for dof, output in zip(cases["dof"], outputs[2:])],
        "version": json.loads((Path(outdir) / "results.json").read_text())["version"],
        **_read_back(extra, later),
    }, sys.stdout)


def _pie_survival_rounding(acro: ACRO, cases: dict, frequency: pd.DataFrame) -> dict:
    """Run the optional cases (recorded in this order after the models)."""
    extra: dict = {}
    if cases.get("pie"):
        column = pd.Series([name for name, n in sorted(cases["pie"].items()) for _ in range(n)],
                           name="slice")
        # ACRO's cell positions index the slices sorted by label (its mask's order, not
        # value_counts'; seen with slices of 3, 20, 30 and 5).
        extra["pie_order"] = sorted(str(v) for v in column.unique())
        acro.pie(pd.DataFrame({"slice": column}), "slice", filename="pie.png")
    extra["survival"] = []
    mitigating = ACRO(suppress=True) if cases.get("survival") else None
    for case in cases.get("survival", []):
        time, status = pd.Series(case["time"]), pd.Series(case["status"])
        table = acro.surv_func(time, status, output="table")
        merged = mitigating.surv_func(time.copy(), status.copy(), output="table")
        curve = merged["rounded_survival_fun"].tolist()
        extra["survival"].append({
            "time": [float(v) for v in table.index], "at_risk": table["num at risk"].tolist(),
            "events": table["num events"].tolist(),
            "survival": table["Surv prob"].tolist(),
            # A step ACRO's mitigation merged into the next keeps the curve flat there,
            # although the raw table had events at it (every row of the table has some).
            "merged": [i for i in range(1, len(curve)) if curve[i] == curve[i - 1]]})
    if cases.get("counts"):
        acro.enable_rounding()
        acro.crosstab(frequency["cell"], frequency["column"])
        extra["rounded"] = True
    return extra


def _read_back(extra: dict, later) -> dict:
    answers: dict = {}
    if "pie_order" in extra:
        pie = next(later)
        cells = pie["files"][0]["sdc"]["cells"]
        answers["pie"] = {"status": pie["status"], "checks": sorted(cells),
                          "flagged": {check: sorted(extra["pie_order"][r] for r, _ in where)
                                      for check, where in cells.items()}}
    if extra["survival"]:
        answers["survival"] = [{**case, "status": output["status"],
                                "summary": output["summary"]}
                               for case, output in zip(extra["survival"], later)]
    if extra.get("rounded"):
        rounded = next(later)
        answers["rounding"] = {"properties": rounded["properties"],
                               "exception": rounded["exception"],
                               "status": rounded["status"]}
    return answers


if __name__ == "__main__":
    main(*sys.argv[1:3])
