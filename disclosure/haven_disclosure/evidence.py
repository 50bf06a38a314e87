"""The contributions behind a magnitude table's cells, matched to the cells by a join.

The evidence comes in one of two forms. ``haven.summarise`` writes a JSON summary
(``SUMMARY_FORMAT``): per cell its labels, count, total and largest contributions, which is
all the rules need (``parse_summary``). Otherwise it is a long table of contributions
(``parse_evidence``): the table's label columns (matched by name), at most one further label
column naming the table's value column (for wide tables), and one numeric column of
contributions (named ``value`` or, failing that, the last column).

Matching is a hash join, not a scan: the contributions are grouped once by their labels, and a
cell looks its group up. A total cell (a label or column named like a total) draws on every
contribution that matches its other labels; those groups are rolled up once per pattern of
total positions, from the groups rather than the rows. So the cost is rows + cells, not
rows x cells (17,820 cells x 600k rows: from minutes to about a second).
"""

from __future__ import annotations

import csv
import heapq
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .errors import UnreadableTable
from .reading import MAX_BYTES, RawTable, read_table, sniff_delimiter
from .settings import Settings
from .tables import Cell, Table, is_total_label, parse_number

try:  # where it is installed (the service, the CLI, the notebook image), DuckDB reads the CSV
    import duckdb
except ImportError:  # pragma: no cover - the strict reader alone is correct, only slower
    duckdb = None

SUMMARY_FORMAT = "haven-evidence/1"
# (the cell's labels, in the table's label order; its value column, or None when the
# evidence does not split contributions by column)
Key = tuple[tuple[str | None, ...], str | None]


@dataclass(frozen=True)
class CellEvidence:
    """What the rules need of one cell's contributions."""

    count: int
    total: float
    largest: tuple[float, ...]  # descending; at least the N of N-K and the two of p-ratio
    negative: bool

    @classmethod
    def of(cls, values: Iterable[float], keep: int | None = None) -> CellEvidence:
        """``keep``: how many largest values to keep (all when None)."""
        values = list(values)
        largest = sorted(values, reverse=True) if keep is None else heapq.nlargest(keep, values)
        return cls(len(values), sum(values), tuple(largest), any(v < 0 for v in values))

    def knows_largest(self, n: int) -> bool:
        return len(self.largest) >= min(n, self.count)


@dataclass
class Evidence:
    label_columns: tuple[str, ...]
    column_dimension: str | None
    # The long form: each cell key's contributions, summarised (``Key``; top ``keep`` values).
    groups: dict[Key, CellEvidence] = field(default_factory=dict)
    # The summarised form: (labels, value column or None) -> the cell's evidence.
    cells: dict[Key, CellEvidence] | None = None
    # Rolled-up groups, per pattern of total positions; filled on first use.
    _rollups: dict[tuple[tuple[bool, ...], bool], dict[Key, CellEvidence]] = field(
        default_factory=dict, repr=False)
    _wild: dict[tuple[str, ...], tuple[bool, ...]] = field(default_factory=dict, repr=False)

    def for_cell(self, cell: Cell, settings: Settings) -> CellEvidence | None:
        labels = tuple(cell.ref.row_labels.values())
        if self.cells is not None:
            return self.cells.get((labels, cell.ref.column)) or self.cells.get((labels, None))
        wild = self._wild.get(labels)
        if wild is None:  # the cells of a wide table's row share their labels
            wild = self._wild[labels] = tuple(is_total_label(label, settings) for label in labels)
        wild_column = (self.column_dimension is None
                       or is_total_label(cell.ref.column, settings))
        key = (tuple(None if w else label for w, label in zip(wild, labels)),
               None if wild_column else cell.ref.column)
        return self._rolled_up(wild, wild_column).get(key)

    def _rolled_up(self, wild: tuple[bool, ...], wild_column: bool) -> dict[Key, CellEvidence]:
        if not any(wild) and (not wild_column or self.column_dimension is None):
            return self.groups
        pattern = (wild, wild_column)
        if pattern not in self._rollups:
            rolled: dict[Key, CellEvidence] = {}
            for (labels, column), found in self.groups.items():
                key = (tuple(None if w else label for w, label in zip(wild, labels)),
                       None if wild_column else column)
                rolled[key] = found if key not in rolled else _merge(rolled[key], found)
            self._rollups[pattern] = rolled
        return self._rollups[pattern]


def _merge(one: CellEvidence, other: CellEvidence) -> CellEvidence:
    keep = max(len(one.largest), len(other.largest))
    return CellEvidence(one.count + other.count, one.total + other.total,
                        tuple(heapq.nlargest(keep, one.largest + other.largest)),
                        one.negative or other.negative)


def parse_summary(data: object, source: str, table: Table) -> Evidence:
    """A ``haven.summarise`` evidence file: one entry per cell of the table it sits beside."""
    if not isinstance(data, dict) or data.get("format") != SUMMARY_FORMAT:
        raise UnreadableTable(source, f"not a Haven evidence file (format {SUMMARY_FORMAT!r})")
    labels = data.get("label_columns")
    if labels is None or list(labels) != list(table.label_columns):
        raise UnreadableTable(source, f"evidence is for label columns {labels}, the table has "
                              f"{list(table.label_columns)}")
    cells: dict[Key, CellEvidence] = {}
    for position, entry in enumerate(data.get("cells") or []):
        try:
            key = (tuple(str(v) for v in entry["labels"]), entry.get("column"))
            largest = tuple(sorted((float(v) for v in entry["largest"]), reverse=True))
            cells[key] = CellEvidence(int(entry["count"]), float(entry["total"]), largest,
                                      int(entry.get("negative", 0)) > 0)
        except (KeyError, TypeError, ValueError) as error:
            raise UnreadableTable(source, f"cell {position} of the evidence is malformed: "
                                  f"{error!r}") from None
    return Evidence(tuple(table.label_columns), None, cells=cells)


def read_evidence_csv(path: Path, table: Table, keep: int = 2) -> Evidence:
    """A long CSV of contributions, grouped by the table's cells; the ``keep`` largest values
    of each group are kept. DuckDB reads and groups it when it is plainly well-formed; any
    doubt (an error, padded or odd cells, a value that is not a plain number) sends it to the
    strict Python reader, which gives the precise error or the same groups."""
    if duckdb is not None:
        try:
            return _grouped_by_duckdb(path, table, keep)
        except _NotPlain:
            pass
    return parse_evidence(read_table(path), table, keep)


def evidence_columns(header: Sequence[str], source: str,
                     table: Table) -> tuple[list[int], int | None, int]:
    """Positions of the table's label columns, of the column dimension (or None), of the value."""
    header = list(header)
    value_column = "value" if "value" in header else header[-1]
    missing = [name for name in table.label_columns if name not in header]
    if missing:
        raise UnreadableTable(source, "evidence lacks the table's label column(s) "
                              + ", ".join(repr(m) for m in missing))
    extra = [n for n in header if n not in table.label_columns and n != value_column]
    if len(extra) > 1:
        raise UnreadableTable(source, "evidence has more than one column that is neither a "
                              "label of the table nor the value: " + ", ".join(extra))
    return ([header.index(n) for n in table.label_columns],
            header.index(extra[0]) if extra else None, header.index(value_column))


def parse_evidence(raw: RawTable, table: Table, keep: int = 2) -> Evidence:
    label_positions, column_position, value_position = evidence_columns(raw.header, raw.name,
                                                                        table)
    groups: dict[Key, list[float]] = {}
    for offset, row in enumerate(raw.rows):
        text = row[value_position]
        value = _number(text)
        if value is None:
            raise UnreadableTable(raw.name, f"contribution {text!r} is not a number",
                                  line=raw.first_data_line + offset,
                                  column=raw.header[value_position])
        key = (tuple([row[p] for p in label_positions]),
               row[column_position] if column_position is not None else None)
        found = groups.get(key)
        if found is None:
            groups[key] = [value]
        else:
            found.append(value)
    return Evidence(tuple(table.label_columns),
                    raw.header[column_position] if column_position is not None else None,
                    {key: CellEvidence.of(values, keep) for key, values in groups.items()})


class _NotPlain(Exception):
    """The file needs the strict reader (to be read exactly, or to say what is wrong)."""


_PLAIN_NUMBER = r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?"  # tables._NUMBER


def _grouped_by_duckdb(path: Path, table: Table, keep: int) -> Evidence:
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(64 * 1024)
    except OSError:
        raise _NotPlain from None
    if not 0 < size <= MAX_BYTES or head.startswith(b"\xef\xbb\xbf") or not head[:1].strip():
        raise _NotPlain  # a BOM or leading blank lines: the strict reader handles them
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        text = head[:-3].decode("utf-8", "replace")  # a character cut at 64 KiB
    delimiter = sniff_delimiter(text, path.suffix.lower() == ".tsv")
    try:
        header = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except (csv.Error, StopIteration):
        raise _NotPlain from None
    if any(name != name.strip() for name in header) or len(set(header)) != len(header):
        raise _NotPlain
    label_positions, column_position, value_position = evidence_columns(header, path.name,
                                                                        table)
    names = [f"c{i}" for i in range(len(header))]
    keys = [names[p] for p in label_positions] + (
        [names[column_position]] if column_position is not None else [])
    value = names[value_position]
    query = f"""
        SELECT {', '.join(f"coalesce({k}, '')" for k in keys)},
               count(*), sum(v), max(v, {int(keep)}), bool_or(v < 0),
               count(*) FILTER (WHERE v IS NULL OR NOT isfinite(v)
                                OR NOT regexp_full_match({value}, '{_PLAIN_NUMBER}'))
        FROM (SELECT *, TRY_CAST({value} AS DOUBLE) AS v FROM read_csv(
                  ?, delim = ?, quote = '"', escape = '"', header = true, strict_mode = true,
                  null_padding = false, auto_detect = false,
                  columns = {{{', '.join(f"'{n}': 'VARCHAR'" for n in names)}}}))
        GROUP BY ALL"""
    try:
        with duckdb.connect() as connection:
            rows = connection.execute(query, [str(path), delimiter]).fetchall()
    except duckdb.Error:
        raise _NotPlain from None
    if not rows or any(row[-1] for row in rows):
        raise _NotPlain
    # Labels the strict reader would strip (or refuse, NUL): checked once per distinct key.
    if any(label != label.strip() or "\x00" in label for row in rows for label in row[:len(keys)]):
        raise _NotPlain
    width = len(label_positions)
    groups = {(tuple(row[:width]), row[width] if column_position is not None else None):
              CellEvidence(row[-5], float(row[-4]), tuple(float(v) for v in row[-3]),
                           bool(row[-2]))
              for row in rows}
    return Evidence(tuple(table.label_columns),
                    header[column_position] if column_position is not None else None, groups)


def _number(text: str) -> float | None:
    # Most contributions are plain decimals: one float() call instead of the regex when the
    # text has only the characters of one (no "nan", "inf", "1_000" or thousands commas).
    if text and text.isascii() and not text.strip("0123456789.-+eE"):
        try:
            value = float(text)
        except ValueError:
            return parse_number(text)
        return value if math.isfinite(value) else None  # "1e999"
    return parse_number(text)
