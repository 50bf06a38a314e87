"""The machine-readable record of a check: findings per rule, gathered into one result per file.

The schema is versioned (``SCHEMA_VERSION``); add fields freely, but bump the version when a
field changes meaning or disappears, since stored results are read back by the review pages.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = 1


class Verdict(str, enum.Enum):
    PASS = "pass"
    REVIEW = "review"  # a person must look; never treated as a pass
    FAIL = "fail"


def combine(verdicts: list[Verdict]) -> Verdict:
    """Fail if any fails, else review if any needs review, else pass (an empty list passes)."""
    if Verdict.FAIL in verdicts:
        return Verdict.FAIL
    if Verdict.REVIEW in verdicts:
        return Verdict.REVIEW
    return Verdict.PASS


@dataclass(frozen=True)
class CellRef:
    """One cell: its position (0-based data row and header column) and what a person reads."""

    row_index: int
    column_index: int
    row_labels: dict[str, str]
    column: str
    value: str  # the text as submitted: a marker stays '*', a count stays '3'

    def describe(self) -> str:
        labels = ", ".join(f"{k or '(row)'}={v}" for k, v in self.row_labels.items())
        return f"{labels or f'row {self.row_index + 1}'} | {self.column} = {self.value}"

    def to_dict(self) -> dict[str, Any]:
        return {"row_index": self.row_index, "column_index": self.column_index,
                "row_labels": dict(self.row_labels), "column": self.column, "value": self.value}


@dataclass(frozen=True)
class Finding:
    rule: str
    verdict: Verdict
    message: str
    parameters: dict[str, Any] = field(default_factory=dict)
    cells: tuple[CellRef, ...] = ()
    table: int | None = None  # index into FileResult.tables; None for file-level findings

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "verdict": self.verdict.value, "message": self.message,
                "parameters": dict(self.parameters), "table": self.table,
                "cells": [cell.to_dict() for cell in self.cells]}


@dataclass(frozen=True)
class TableInfo:
    """How a table was read: which columns hold labels and which hold the checked values."""

    index: int
    name: str
    kind: str
    kind_guessed: bool
    kind_reason: str
    label_columns: tuple[str, ...]
    value_columns: tuple[str, ...]
    layout: str  # "long" (one value column) or "wide" (a crosstab)
    rows: int
    label_reason: str = ""  # why these columns are the labels (declared, or the cues found)

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "name": self.name, "kind": self.kind,
                "kind_guessed": self.kind_guessed, "kind_reason": self.kind_reason,
                "label_columns": list(self.label_columns),
                "value_columns": list(self.value_columns), "layout": self.layout,
                "rows": self.rows, "label_reason": self.label_reason}


@dataclass(frozen=True)
class FileResult:
    file: str
    kind: str
    kind_guessed: bool
    preset: str
    settings: dict[str, Any]
    tables: tuple[TableInfo, ...]
    findings: tuple[Finding, ...]
    evidence: str | None = None

    @property
    def verdict(self) -> Verdict:
        return combine([f.verdict for f in self.findings])

    def to_dict(self) -> dict[str, Any]:
        return {"schema_version": SCHEMA_VERSION, "file": self.file, "kind": self.kind,
                "kind_guessed": self.kind_guessed, "preset": self.preset,
                "settings": dict(self.settings), "evidence": self.evidence,
                "verdict": self.verdict.value,
                "tables": [t.to_dict() for t in self.tables],
                "findings": [f.to_dict() for f in self.findings]}


# Haven's rules -> the ACRO 1.0.x checks (``acro/checks.json``) that flag the same cells, by
# the names a results.json uses in ``outputs[*].files[*].sdc.summary`` and ``.sdc.cells``. A
# disclosive zero is under ACRO's threshold check too (ACRO counts 0 as below it). Missing
# values are ACRO's MissingCheck (a review, as in Haven). Rules with no ACRO counterpart
# (rounding, secondary_disclosure, human_review, content, row_limit) go into the output's
# "comments" and decide its "status" with the rest.
ACRO_CHECKS: dict[str, tuple[str, ...]] = {
    "min_frequency": ("MinimumThresholdCheck",),
    "min_contributors": ("MinimumThresholdCheck",),
    "zeros": ("PresenceOfZeroCheck", "MinimumThresholdCheck"),
    "dominance_nk": ("NKCheck",),
    "dominance_p_ratio": ("PPercentCheck",),
    "residual_dof": ("MinimumDoFCheck",),
    "values": ("MissingCheck",),
}
