"""Cells already suppressed by the author, and suppressed cells a reader can still recover.

A suppressed cell is recoverable by subtraction when it is the only unknown cell in a line
(a row or a column, or more generally the cells that share every coordinate but one) that
has a published total. Only that single-step case is flagged; chains of recoveries across
lines need a linear-programming audit, which these checks do not attempt.
"""

from __future__ import annotations

from collections import defaultdict

from .results import Finding, Verdict
from .settings import Settings
from .tables import Cell, CellState, Table, is_total_label


def suppression_markers(table: Table, settings: Settings) -> list[Finding]:
    suppressed = [c for c in table.cells if c.state is CellState.SUPPRESSED]
    if not suppressed:
        return []
    markers = sorted({c.ref.value or "(empty)" for c in suppressed})
    return [Finding("suppression_markers", Verdict.PASS,
                    f"{len(suppressed)} cell(s) already suppressed ({', '.join(markers)}) in "
                    f"{table.raw.name}",
                    {"suppression_markers": list(settings.suppression_markers),
                     "empty_is_suppressed": settings.empty_is_suppressed},
                    tuple(c.ref for c in suppressed))]


def recoverable_cells(table: Table, settings: Settings) -> list[Cell]:
    """Each suppressed cell that is the only unknown cell in some line that has a total."""
    dimensions = list(table.label_columns or ["rows"]) + ["column"]
    found: dict[tuple[int, int], Cell] = {}  # keyed by position: a cell is reported once
    for d in range(len(dimensions)):
        lines: dict[tuple[str, ...], list[Cell]] = defaultdict(list)
        for cell in table.cells:
            coordinates = cell.coordinates
            lines[coordinates[:d] + coordinates[d + 1:]].append(cell)
        for members in lines.values():
            totals = [c for c in members if is_total_label(c.coordinates[d], settings)]
            if len(totals) != 1 or len(members) - len(totals) < 2:
                continue
            unknown = [c for c in members if c.state is not CellState.NUMBER]
            if len(unknown) == 1 and unknown[0].state is CellState.SUPPRESSED:
                cell = unknown[0]
                found.setdefault((cell.ref.row_index, cell.ref.column_index), cell)
    return sorted(found.values(), key=lambda c: (c.ref.row_index, c.ref.column_index))


def secondary_disclosure(table: Table, settings: Settings, kind: str) -> list[Finding]:
    name = table.raw.name
    if not any(c.state is CellState.SUPPRESSED for c in table.cells):
        return []
    recoverable = recoverable_cells(table, settings)
    params = {"total_labels": list(settings.total_labels)}
    if not recoverable:
        return [Finding("secondary_disclosure", Verdict.PASS,
                        f"no suppressed cell in {name} can be recovered from a total alone",
                        params)]
    if kind == "frequency":
        verdict, tail = Verdict.FAIL, "recoverable by subtraction from the total"
    else:
        # Means and medians do not add up to their totals; sums do. Only a person can tell.
        verdict, tail = Verdict.REVIEW, "recoverable by subtraction if the values are sums"
    return [Finding("secondary_disclosure", verdict,
                    f"{len(recoverable)} suppressed cell(s) in {name} {tail}",
                    params, tuple(cell.ref for cell in recoverable))]
