"""``haven.summarise``: a table of counts, sums or means, with the evidence its checks need.

Dominance rules (N-K, p-ratio) judge a magnitude cell by the contributions behind it, which
the published table no longer shows. This computes the table and, in the same DuckDB pass,
each cell's number of contributors, total and largest contributions, and writes them beside
the table as ``<table>.evidence.json``. The egress service checks the pair with the full
N-K and p-ratio rules; the evidence is shown to checkers only and never released.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from ._catalogue import HavenError

STATS = ("count", "sum", "mean")
EVIDENCE_FORMAT = "haven-evidence/1"  # read by haven_disclosure.rules_dominance
EVIDENCE_SUFFIX = ".evidence.json"
# Largest contributions kept per cell: N-K needs N of them (2 by default), p-ratio two.
DEFAULT_TOP = 5
_SOURCE = "haven_summarise_source"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def summarise(source: duckdb.DuckDBPyRelation | str, by: Sequence[str], *, path: str | Path,
              value: str | None = None, stat: str = "count", top: int = DEFAULT_TOP,
              connection: duckdb.DuckDBPyConnection | None = None) -> Path:
    """Write ``path`` (CSV: the ``by`` columns, then the statistic) and its evidence beside it.

    ``source`` is a relation (``haven.table("admissions")``, ``haven.sql(...)``) or SQL text.
    ``stat`` is ``count`` (rows per cell; ``value`` optional: its non-missing values),
    ``sum`` or ``mean`` of ``value``. Returns the table's path; the evidence is at
    ``path + '.evidence.json'``.
    """
    if stat not in STATS:
        raise HavenError(f"stat must be one of {', '.join(STATS)}, not {stat!r}")
    if stat != "count" and not value:
        raise HavenError(f"stat={stat!r} needs value=<the column to {stat}>")
    by = list(by)
    if not by:
        raise HavenError("by=[...] needs at least one column to group by")
    for name in [*by, *([value] if value else [])]:
        if not isinstance(name, str) or not _IDENTIFIER.match(name):
            raise HavenError(f"{name!r} is not a plain column name")
    if len(set(by)) != len(by) or (value in by):
        raise HavenError("each column may appear once, and the value may not also be a group")
    if not isinstance(top, int) or top < 2:
        raise HavenError("top must be at least 2 (the p-ratio rule needs the two largest)")
    relation = _relation(source, connection)
    missing = [name for name in [*by, *([value] if value else [])] if name not in relation.columns]
    if missing:
        raise HavenError(f"column(s) {', '.join(missing)} not in the source; it has "
                         f"{', '.join(relation.columns)}")
    out = Path(path)
    if out.suffix.lower() != ".csv":
        raise HavenError(f"path must end in .csv, not {out.name!r}")
    rows = relation.query(_SOURCE, _query(by, value, stat, top)).fetchall()
    column = "count" if stat == "count" else f"{stat}_{value}"
    # Offsets after the labels: rows, contributors, total, mean (see _query).
    figure_at = {"sum": 2, "mean": 3}.get(stat, 1 if value else 0)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([*by, column])
        for row in rows:
            labels, figure = row[:len(by)], row[len(by) + figure_at]
            writer.writerow([*(_label(v) for v in labels), _number(figure)])
    evidence = {
        "format": EVIDENCE_FORMAT, "table": out.name, "stat": stat, "value": value,
        "label_columns": by, "value_column": column, "top": top,
        "cells": [{"labels": [_label(v) for v in row[:len(by)]], "column": column,
                   "count": int(row[len(by) + 1]), "total": _float(row[len(by) + 2]),
                   "largest": [_float(v) for v in row[len(by) + 4] or []],
                   "negative": int(row[len(by) + 5] or 0)} for row in rows],
    }
    evidence_path = out.with_name(out.name + EVIDENCE_SUFFIX)
    evidence_path.write_text(json.dumps(evidence, separators=(",", ":")) + "\n", encoding="utf-8")
    return out


def _relation(source: duckdb.DuckDBPyRelation | str,
              connection: duckdb.DuckDBPyConnection | None) -> duckdb.DuckDBPyRelation:
    if isinstance(source, duckdb.DuckDBPyRelation):
        return source
    if isinstance(source, str):
        if connection is None:
            from . import sql  # the shared, locked connection

            relation = sql(source)
        else:
            relation = connection.sql(source)
        if relation is None:
            raise HavenError("the SQL returned no rows to summarise (is it a query?)")
        return relation
    raise HavenError("source must be a DuckDB relation or SQL text")


def _query(by: list[str], value: str | None, stat: str, top: int) -> str:
    labels = ", ".join(f'"{name}"' for name in by)
    # Labels as text, once, so the CSV and the evidence spell every cell the same way.
    texts = ", ".join(f'CAST("{name}" AS VARCHAR) AS "{name}"' for name in by)
    # A count's contributors are its rows (each contributing 1); otherwise the value's.
    contribution = f'CAST("{value}" AS DOUBLE)' if value else "1.0"
    return (
        f"SELECT {texts}, count(*) AS cell_rows, count(v) AS contributors, sum(v) AS total, "
        f"avg(v) AS mean, max(v, {top}) AS largest, count_if(v < 0) AS negative "
        f"FROM (SELECT {labels}, {contribution} AS v FROM {_SOURCE}) "
        f"GROUP BY ALL ORDER BY {', '.join(str(i + 1) for i in range(len(by)))}"
    )


def _label(value: Any) -> str:
    return "" if value is None else str(value)


def _float(value: Any) -> float:
    return 0.0 if value is None else float(value)


def _number(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    number = float(value)
    if not math.isfinite(number):
        return ""
    return str(int(number)) if number.is_integer() else repr(number)
