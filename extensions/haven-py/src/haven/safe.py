"""``haven.safe``: tables made safe when they are made, with the project's disclosure rules.

    from haven import safe
    t = safe.crosstab(haven.table("admissions"), rows=["region"], cols="admission_method",
                      path="outputs/method_by_region.csv")
    t            # what was withheld and why; t.df() is the table as it will be published
    t.controls   # what to declare on the release request

Small counts and zeros are replaced by ``*``; counts are rounded when the preset (or the
call) asks for it; a mean is withheld where its contributors are too few or one or two
dominate. No totals are added, so no withheld cell can be recovered by subtraction. What
comes out passes ``haven check`` by construction (the unit tests prove it for every preset);
the checks still run on release, and a person still reviews.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from ._catalogue import HavenError
from ._safe_rules import (PRESET_ENV, PRESETS, SUPPRESSED, Rules, dominated, project_rules,
                          publish_count)
from ._summarise import (DEFAULT_TOP, EVIDENCE_FORMAT, EVIDENCE_SUFFIX, _SOURCE, _IDENTIFIER,
                         _float, _label, _number, _query, _relation)

__all__ = ["PRESET_ENV", "PRESETS", "Rules", "SafeTable", "Withheld", "counts", "crosstab", "mean", "rules"]

rules = project_rules  # haven.safe.rules() says which rules a table would be made with


@dataclass(frozen=True)
class Withheld:
    labels: tuple[str, ...]
    column: str
    reason: str


@dataclass(frozen=True)
class SafeTable:
    """A table as it will be published, and what was done to make it so."""

    header: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    label_columns: tuple[str, ...]
    kind: str  # "frequency" or "magnitude": what to declare the file as
    rules: Rules
    withheld: tuple[Withheld, ...]
    rounded_to: int | None
    path: Path | None = None
    evidence_path: Path | None = None

    def df(self):
        """The published table as a pandas DataFrame (withheld cells hold ``*``)."""
        import pandas

        return pandas.DataFrame([list(row) for row in self.rows], columns=list(self.header))

    @property
    def controls(self) -> list[str]:
        """The disclosure controls to declare on the release request, one per line."""
        said = [f"label columns: {', '.join(self.label_columns)}"]
        said.append(f"suppressed: {len(self.withheld)} cell(s) replaced by {SUPPRESSED} "
                    f"(haven.safe, {self.rules.preset} preset, threshold {self.rules.threshold})")
        if self.rounded_to:
            said.append(f"rounded to base {self.rounded_to}")
        return said

    def explain(self) -> str:
        lines = [f"{self.kind} table, {len(self.rows)} row(s); {self.rules.preset} preset: "
                 f"threshold {self.rules.threshold}"
                 + (f", counts rounded to base {self.rounded_to}" if self.rounded_to else "")]
        if not self.withheld:
            lines.append("nothing withheld")
        for cell in self.withheld:
            where = ", ".join(f"{n}={v}" for n, v in zip(self.label_columns, cell.labels))
            lines.append(f"withheld ({SUPPRESSED}): {where} | {cell.column}: {cell.reason}")
        if self.path is not None:
            lines.append(f"written to {self.path}"
                         + (f" (evidence: {self.evidence_path.name})" if self.evidence_path
                            else ""))
        lines.append("declare on the request: " + "; ".join(self.controls))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.explain()

    def write(self, path: str | Path) -> Path:
        out = _csv_path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(self.header)
            writer.writerows(self.rows)
        return out


def counts(source: Any, by: Sequence[str], *, path: str | Path | None = None,
           preset: str | None = None, threshold: int | None = None,
           rounding_base: int | None = None,
           connection: duckdb.DuckDBPyConnection | None = None) -> SafeTable:
    """Rows per group of ``by`` (a long table: the groups, then ``count``), made safe.

    ``source``: a relation (``haven.table(...)``, ``haven.sql(...)``), SQL text, or a pandas
    or polars DataFrame. ``threshold`` and ``rounding_base`` may only be stricter than the
    preset's."""
    made = project_rules(preset, threshold=threshold, rounding_base=rounding_base)
    by = _names(by)
    grouped = _grouped(source, by, connection)
    rows, withheld = [], []
    for labels, count in grouped:
        published, why = publish_count(count, made)
        rows.append((*labels, published))
        if why:
            withheld.append(Withheld(labels, "count", why))
    return _made((*by, "count"), rows, by, "frequency", made, withheld, path)


def crosstab(source: Any, rows: Sequence[str] | str, cols: str, *,
             path: str | Path | None = None, preset: str | None = None,
             threshold: int | None = None, rounding_base: int | None = None,
             connection: duckdb.DuckDBPyConnection | None = None) -> SafeTable:
    """Counts of ``rows`` (one or more columns) by the values of ``cols`` (a wide table, one
    column per value, as ``pandas.crosstab`` and ACRO's ``crosstab`` lay it out); every
    combination is shown, so an empty one is a zero (and withheld, as zeros disclose)."""
    made = project_rules(preset, threshold=threshold, rounding_base=rounding_base)
    row_names = _names([rows] if isinstance(rows, str) else rows)
    (column,) = _names([cols])
    if column in row_names:
        raise HavenError(f"{column!r} cannot be both a row and the column variable")
    grouped = dict(_grouped(source, [*row_names, column], connection))
    row_keys = sorted({key[:-1] for key in grouped})
    values = sorted({key[-1] for key in grouped})
    if column in values or any(v in row_names for v in values):
        raise HavenError(f"a value of {column!r} is also a column name; rename it first")
    table, withheld = [], []
    for key in row_keys:
        cells = []
        for value in values:
            published, why = publish_count(grouped.get((*key, value), 0), made)
            cells.append(published)
            if why:
                withheld.append(Withheld(key, value, why))
        table.append((*key, *cells))
    return _made((*row_names, *values), table, row_names, "frequency", made, withheld, path)


def mean(source: Any, by: Sequence[str], value: str, *, path: str | Path | None = None,
         evidence: bool = True, preset: str | None = None, threshold: int | None = None,
         connection: duckdb.DuckDBPyConnection | None = None) -> SafeTable:
    """The mean of ``value`` per group of ``by``, withheld where the contributors are fewer
    than the threshold or dominated (N-K, p-ratio). With ``path`` and ``evidence`` (the
    default) the evidence the dominance checks need is written beside the table, as
    ``haven.summarise`` writes it (shown to checkers, never released)."""
    made = project_rules(preset, threshold=threshold)
    by = _names(by)
    (value,) = _names([value])
    if value in by:
        raise HavenError("the value may not also be a group")
    relation = _source(source, connection)
    _require(relation, [*by, value])
    found = relation.query(_SOURCE, _query(by, value, "mean", DEFAULT_TOP)).fetchall()
    column = f"mean_{value}"
    rows, withheld, cells = [], [], []
    for row in found:
        labels = tuple(_label(v) for v in row[:len(by)])
        contributors, total = int(row[len(by) + 1]), _float(row[len(by) + 2])
        largest = [_float(v) for v in row[len(by) + 4] or []]
        negative = int(row[len(by) + 5] or 0)
        why = dominated(contributors, total, largest, negative > 0, made)
        rows.append((*labels, SUPPRESSED if why else _number(row[len(by) + 3])))
        if why:
            withheld.append(Withheld(labels, column, why))
        cells.append({"labels": list(labels), "column": column, "count": contributors,
                      "total": total, "largest": largest, "negative": negative})
    table = _made((*by, column), rows, by, "magnitude", made, withheld, path)
    if table.path is None or not evidence:
        return table
    evidence_path = table.path.with_name(table.path.name + EVIDENCE_SUFFIX)
    document = {"format": EVIDENCE_FORMAT, "table": table.path.name, "stat": "mean",
                "value": value, "label_columns": by, "value_column": column,
                "top": DEFAULT_TOP, "cells": cells}
    evidence_path.write_text(json.dumps(document, separators=(",", ":")) + "\n",
                             encoding="utf-8")
    return SafeTable(**{**table.__dict__, "evidence_path": evidence_path})


def _made(header: Sequence[str], rows: list[tuple], labels: Sequence[str], kind: str,
          made: Rules, withheld: list[Withheld], path: str | Path | None) -> SafeTable:
    if not rows:
        raise HavenError("the source has no rows: there is no table to make")
    table = SafeTable(tuple(header), tuple(rows), tuple(labels), kind, made, tuple(withheld),
                      made.rounding_base if kind == "frequency" else None)
    if path is None:
        return table
    return SafeTable(**{**table.__dict__, "path": table.write(path)})


def _names(names: Sequence[str]) -> list[str]:
    names = list(names)
    if not names:
        raise HavenError("name at least one column to group by")
    for name in names:
        if not isinstance(name, str) or not _IDENTIFIER.match(name):
            raise HavenError(f"{name!r} is not a plain column name")
    if len(set(names)) != len(names):
        raise HavenError("each column may appear once")
    return names


def _source(source: Any, connection: duckdb.DuckDBPyConnection | None
            ) -> duckdb.DuckDBPyRelation:
    if isinstance(source, (duckdb.DuckDBPyRelation, str)):
        return _relation(source, connection)
    module = type(source).__module__.split(".")[0]
    if module in ("pandas", "polars", "pyarrow"):
        # A frame of the analyst's own: grouped in a private in-memory database.
        private = duckdb.connect()
        arrow = source.to_arrow() if module == "polars" else source
        return private.from_arrow(arrow) if module != "pandas" else private.from_df(source)
    raise HavenError("source must be a DuckDB relation, SQL text, or a pandas, polars or "
                     "Arrow table")


def _require(relation: duckdb.DuckDBPyRelation, names: Sequence[str]) -> None:
    missing = [name for name in names if name not in relation.columns]
    if missing:
        raise HavenError(f"column(s) {', '.join(missing)} not in the source; it has "
                         f"{', '.join(relation.columns)}")


def _grouped(source: Any, by: list[str], connection: duckdb.DuckDBPyConnection | None
             ) -> list[tuple[tuple[str, ...], int]]:
    relation = _source(source, connection)
    _require(relation, by)
    texts = ", ".join(f'CAST("{name}" AS VARCHAR)' for name in by)
    query = (f"SELECT {texts}, count(*) FROM {_SOURCE} GROUP BY ALL "
             f"ORDER BY {', '.join(str(i + 1) for i in range(len(by)))}")
    return [(tuple(_label(v) for v in row[:-1]), int(row[-1]))
            for row in relation.query(_SOURCE, query).fetchall()]


def _csv_path(path: str | Path) -> Path:
    out = Path(path)
    if out.suffix.lower() != ".csv":
        raise HavenError(f"path must end in .csv, not {out.name!r}")
    return out
