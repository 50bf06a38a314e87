"""ACRO's own verdicts on boundary cases, for Haven's tests to pin its rules against.

Runs INSIDE the ACRO virtual environment (``haven_egress.acro_venv``). Input: a JSON file
``{"cells": {name: [contribution, ...]}, "counts": {name: count}, "dof": [residual df, ...]}``.
Each magnitude cell becomes one row of an ACRO ``crosstab(..., aggfunc="mean")``, each count
one cell of a frequency ``crosstab``, each df an ``ols`` fitted on just enough rows. Output on
stdout: the cells (by name) each ACRO check flagged, and each model's status, read back from
the ``results.json`` ACRO writes, plus that file's check names.

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
        acro.finalise(outdir, "json")
    results = json.loads((Path(outdir) / "results.json").read_text())["results"]
    outputs = [results[f"output_{i}"] for i in range(2 + len(cases["dof"]))]

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
    }, sys.stdout)


if __name__ == "__main__":
    main(*sys.argv[1:3])
