"""Submitted files as a checker sees them: tables as tables with each flagged cell marked by
its rule, and what changed in a table since the previous version, cell by cell.

Tables are parsed by the disclosure checks' own reader, so a finding's ``row_index`` and
``column_index`` point at the same cell here as they did when the checks ran.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from haven_disclosure.reading import RawTable, decode_text, parse_delimited

from . import finding_words

TABLE_TYPES = frozenset({"text/csv", "text/tab-separated-values"})
FIGURE_TYPES = frozenset({"image/png", "image/jpeg"})
HTML_TYPES = frozenset({"text/html"})
# Rows drawn on the page; the file may have up to egress.max_table_rows, the page says so.
SHOWN_ROWS = 500


@dataclass
class Cell:
    text: str
    verdict: str = ""  # "fail" | "review" | "" (nothing flagged)
    # (element id of the finding's description, "rule: message") for each finding on this cell
    notes: list[tuple[str, str]] = field(default_factory=list)
    changed_from: str | None = None  # the previous version's text, when it differs

    @property
    def title(self) -> str:
        parts = [note for _, note in self.notes]
        if self.changed_from is not None:
            parts.append(f"changed from {self.changed_from!r} in the previous version")
        return "\n".join(parts)

    @property
    def described_by(self) -> str:
        return " ".join(note_id for note_id, _ in self.notes)


@dataclass
class Table:
    header: list[str]
    rows: list[list[Cell]]
    hidden_rows: int = 0

    @property
    def flagged_rows(self) -> int:
        """Rows with at least one flagged cell (what "flagged rows only" leaves shown)."""
        return sum(any(cell.verdict for cell in row) for row in self.rows)


@dataclass(frozen=True)
class CellChange:
    row: int  # 1-based data row, as a person counts
    column: str
    before: str
    after: str


@dataclass
class TableDiff:
    header_before: list[str] | None = None  # set only when the header changed
    header_after: list[str] | None = None
    cells: list[CellChange] = field(default_factory=list)
    rows_added: int = 0
    rows_removed: int = 0

    @property
    def unchanged(self) -> bool:
        return not (self.header_before or self.cells or self.rows_added or self.rows_removed)


def kind_of(media_type: str) -> str:
    """How the page shows a file: table, figure, html, or other (described, not shown)."""
    if media_type in TABLE_TYPES:
        return "table"
    if media_type in FIGURE_TYPES:
        return "figure"
    if media_type in HTML_TYPES:
        return "html"
    return "other"


def parse(data: bytes, name: str, media_type: str) -> RawTable:
    """The table, or ``disclosure.errors.UnreadableTable`` saying why not."""
    return parse_delimited(decode_text(data, name), name, tab_hint=media_type == "text/tab-separated-values")


def finding_id(file_id: int, index: int) -> str:
    return f"finding-{file_id}-{index}"


def table(raw: RawTable, file_id: int, findings: list[dict[str, Any]], previous: RawTable | None = None) -> Table:
    """The table with each cell a finding names marked (fail outranks review)."""
    cells = [[Cell(text) for text in row] for row in raw.rows[:SHOWN_ROWS]]
    for index, finding in enumerate(findings):
        row, column = finding.get("row_index"), finding.get("column_index")
        if finding.get("table") not in (None, 0) or row is None or column is None:
            continue
        if row >= len(cells) or column >= len(raw.header) or finding["verdict"] not in ("fail", "review"):
            continue
        cell = cells[row][column]
        cell.notes.append((finding_id(file_id, index), finding_words.cell_note(finding, raw.name)))
        if cell.verdict != "fail":
            cell.verdict = finding["verdict"]
    if previous is not None and list(previous.header) == list(raw.header):
        for r, row in enumerate(cells[: len(previous.rows)]):
            for c, cell in enumerate(row):
                if previous.rows[r][c] != cell.text:
                    cell.changed_from = previous.rows[r][c]
    return Table(list(raw.header), cells, max(0, len(raw.rows) - SHOWN_ROWS))


def diff(before: RawTable, after: RawTable) -> TableDiff:
    """Cell-level changes between two versions of a table, rows matched by position."""
    result = TableDiff(rows_added=max(0, len(after.rows) - len(before.rows)),
                       rows_removed=max(0, len(before.rows) - len(after.rows)))
    if list(before.header) != list(after.header):
        result.header_before, result.header_after = list(before.header), list(after.header)
        return result  # columns moved: a cell-by-cell comparison would mislead
    for r, (old, new) in enumerate(zip(before.rows, after.rows)):
        for column, a, b in zip(after.header, old, new):
            if a != b:
                result.cells.append(CellChange(r + 1, column, a, b))
    return result

