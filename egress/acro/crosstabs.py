"""Run ACRO's own ``crosstab`` on microdata; print what ACRO flagged, as JSON.

Runs INSIDE the ACRO virtual environment (``haven_egress.acro_venv``), so it imports only
ACRO and pandas 2. Input: the microdata CSV and a JSON list of tables, each
``{"index": [column, ...], "columns": column}``. Output on stdout: per table, its row labels,
column labels and counts as ACRO computed them, and the cells ACRO's checks flagged, read
back from the ``results.json`` ACRO itself writes (so the format is exercised too).

    python crosstabs.py microdata.csv tables.json outdir
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import sys
from pathlib import Path

import pandas as pd
from acro import ACRO


def main(microdata: str, tables: str, outdir: str) -> None:
    logging.disable(logging.CRITICAL)  # ACRO logs every table at INFO level
    data = pd.read_csv(microdata, dtype=str, keep_default_na=False)
    specs = json.loads(Path(tables).read_text())
    answers = []
    with contextlib.redirect_stdout(io.StringIO()):  # ACRO prints its tables
        acro = ACRO(suppress=False)
        for spec in specs:
            index = [data[name] for name in spec["index"]]
            table = acro.crosstab(index if len(index) > 1 else index[0], data[spec["columns"]])
            answers.append({
                "index": spec["index"], "columns": spec["columns"],
                "row_labels": [list(map(str, label)) if isinstance(label, tuple) else [str(label)]
                               for label in table.index],
                "column_labels": [str(label) for label in table.columns],
                "counts": [[int(v) for v in row] for row in table.to_numpy()],
            })
        acro.finalise(outdir, "json")
    results = json.loads((Path(outdir) / "results.json").read_text())["results"]
    for position, answer in enumerate(answers):
        output = results[f"output_{position}"]
        answer["status"] = output["status"]
        answer["cells"] = output["files"][0]["sdc"]["cells"]
    json.dump(answers, sys.stdout)


if __name__ == "__main__":
    main(*sys.argv[1:4])
