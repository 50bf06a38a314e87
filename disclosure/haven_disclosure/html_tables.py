"""Tables out of HTML (notebooks rendered by nbconvert, pandas' ``to_html``) with the stdlib.

lxml and BeautifulSoup are not in Haven's environment, and ``html.parser`` is enough for the
regular HTML pandas writes: header rows in <thead> (or leading all-<th> rows), row labels as
<th> cells, and multi-level labels spread with rowspan/colspan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from .reading import RawTable


@dataclass
class _Cell:
    text: str
    is_header: bool
    rowspan: int
    colspan: int


@dataclass
class _Table:
    rows: list[list[_Cell]] = field(default_factory=list)
    head_rows: int = 0  # how many rows came from <thead>


class _TableCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[_Table] = []
        self.images = 0
        self._stack: list[_Table] = []  # nested tables: each is collected on its own
        self._in_head = False
        self._cell: _Cell | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img" or tag == "svg":
            self.images += 1
        elif tag == "table":
            self._stack.append(_Table())
        elif not self._stack:
            return
        elif tag == "thead":
            self._in_head = True
        elif tag == "tr":
            self._stack[-1].rows.append([])
            if self._in_head:
                self._stack[-1].head_rows += 1
        elif tag in ("td", "th"):
            spans = dict(attrs)
            self._cell = _Cell("", tag == "th", _span(spans.get("rowspan")),
                               _span(spans.get("colspan")))
            self._text = []
        elif tag == "br" and self._cell is not None:
            self._text.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self._stack:
            self.tables.append(self._stack.pop())
        elif tag == "thead":
            self._in_head = False
        elif tag in ("td", "th") and self._cell is not None and self._stack:
            self._cell.text = " ".join("".join(self._text).split())
            table = self._stack[-1]
            if not table.rows:
                table.rows.append([])
            table.rows[-1].append(self._cell)
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._text.append(data)


def _span(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 1000))
    except ValueError:
        return 1


def _grid(table: _Table) -> list[list[_Cell]]:
    """Rows with rowspan/colspan expanded, so every row has one entry per column."""
    pending: dict[int, tuple[int, _Cell]] = {}  # column -> (rows still covered, cell)
    grid: list[list[_Cell]] = []
    for row in table.rows:
        out: list[_Cell] = []
        cells = iter(row)
        column = 0
        while True:
            if column in pending:
                left, cell = pending[column]
                out.append(cell)
                if left > 1:
                    pending[column] = (left - 1, cell)
                else:
                    del pending[column]
                column += 1
                continue
            cell = next(cells, None)
            if cell is None:
                break
            for _ in range(cell.colspan):
                if cell.rowspan > 1:
                    pending[column] = (cell.rowspan - 1, cell)
                out.append(cell)
                column += 1
        grid.append(out)
    return grid


def _merge_header(rows: list[list[str]], width: int) -> tuple[str, ...]:
    # pandas writes the column names on the first header row(s) and, when the index is named,
    # a last row holding only the index names (the label columns) followed by empty cells.
    # Label columns take those names; the other columns join their levels with " / ".
    rows = [row + [""] * (width - len(row)) for row in rows]
    index_names: list[str] = []
    if len(rows) > 1:
        last = rows[-1]
        filled = next((i for i, text in enumerate(last) if not text), width)
        if filled and not any(last[filled:]):
            index_names, rows = last[:filled], rows[:-1]
    merged = []
    for position in range(width):
        if position < len(index_names):
            merged.append(index_names[position])
            continue
        parts = [row[position] for row in rows if row[position]]
        merged.append(" / ".join(dict.fromkeys(parts)) or f"column {position + 1}")
    if not index_names and rows and not rows[0][0]:
        merged[0] = ""  # an unnamed index, as pandas writes it
    return tuple(merged)


def extract_tables(html: str, source: str) -> tuple[list[RawTable], int]:
    """Every <table> in ``html`` as a RawTable, and the number of images seen."""
    collector = _TableCollector()
    collector.feed(html)
    collector.close()
    tables = []
    for number, table in enumerate(collector.tables, start=1):
        grid = [[c for c in row] for row in _grid(table)]
        if not grid:
            continue
        head = table.head_rows or next(
            (i for i, row in enumerate(grid) if not all(c.is_header for c in row)), len(grid))
        head = max(head, 1)
        width = max(len(row) for row in grid)
        header = _merge_header([[c.text for c in row] for row in grid[:head]], width)
        body = tuple(tuple(c.text for c in row) + ("",) * (width - len(row))
                     for row in grid[head:])
        tables.append(RawTable(f"{source} table {number}", _dedupe(header), body))
    return tables, collector.images


def _dedupe(header: tuple[str, ...]) -> tuple[str, ...]:
    seen: dict[str, int] = {}
    out = []
    for name in header:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return tuple(out)
