"""Assertion helpers for the disclosure tests."""

from __future__ import annotations

from haven_disclosure import FileResult


def finding(result: FileResult, rule: str, table: int | None = 0):
    matches = [f for f in result.findings if f.rule == rule and f.table == table]
    assert len(matches) == 1, f"expected one {rule} finding, got {result.findings}"
    return matches[0]


def flagged(result: FileResult, rule: str, table: int | None = 0) -> set[tuple[str, str]]:
    """(first row label or row number, column) of each cell a rule reported."""
    return {(next(iter(c.row_labels.values()), str(c.row_index)), c.column)
            for c in finding(result, rule, table).cells}
