"""From a raw table of text to cells the rules can judge: which columns are labels, which hold
counts or magnitudes, and what each value cell is (a number, a suppression marker, missing,
or stray text). Totals are recognised by their labels, for the secondary-disclosure rule.
"""

from __future__ import annotations

import enum
import functools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .errors import InvalidSetting
from .reading import RawTable
from .results import CellRef
from .settings import Settings

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_LESS_THAN = re.compile(r"^(<|<=|≤)\s*\d+$")
_MISSING = {"", "nan", "na", "n/a", "null", "none", "-", "."}
# Leading columns with numbers in them that are nonetheless labels (years, age bands, codes).
# "(?<![a-z])" rather than \b, since \b counts "_" as a letter and "age_band" is a label.
_LABEL_NAME = re.compile(
    r"^$|(?<![a-z])(year|age|month|week|date|day|period|quarter|code|id|band|group|category"
    r"|rank)s?(?![a-z])", re.IGNORECASE)
_MODEL_NAME = re.compile(
    r"coef|std\.? ?err|estimate|p>\|?[tz]|t value|z value|conf|odds ratio|^se$|beta",
    re.IGNORECASE)
_MAGNITUDE_NAME = re.compile(
    r"(?<![a-z])(mean|median|average|sum|sd|std|rate|cost|amount|income|spend)s?(?![a-z])",
    re.IGNORECASE)


class CellState(str, enum.Enum):
    NUMBER = "number"
    SUPPRESSED = "suppressed"
    MISSING = "missing"
    TEXT = "text"


@dataclass(frozen=True)
class Cell:
    ref: CellRef
    state: CellState
    number: float | None
    in_total_row: bool
    in_total_column: bool

    @property
    def is_total(self) -> bool:
        return self.in_total_row or self.in_total_column

    @property
    def coordinates(self) -> tuple[str, ...]:
        # Without label columns the row's position is its only label.
        labels = tuple(self.ref.row_labels.values()) or (f"#{self.ref.row_index}",)
        return labels + (self.ref.column,)


@dataclass(frozen=True)
class Table:
    raw: RawTable
    label_columns: tuple[str, ...]
    value_columns: tuple[str, ...]
    cells: tuple[Cell, ...]

    @property
    def layout(self) -> str:
        return "long" if len(self.value_columns) <= 1 else "wide"


def parse_number(text: str) -> float | None:
    text = text.strip()
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    if not _NUMBER.match(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def classify(text: str, settings: Settings) -> tuple[CellState, float | None]:
    stripped = text.strip()
    lowered = stripped.lower()
    if stripped == "" and settings.empty_is_suppressed:
        return CellState.SUPPRESSED, None
    if lowered in _lowered(settings.suppression_markers) or _LESS_THAN.match(lowered):
        return CellState.SUPPRESSED, None
    if lowered in _MISSING:
        return CellState.MISSING, None
    number = parse_number(stripped)
    if number is None:
        return CellState.TEXT, None
    return CellState.NUMBER, number


def is_total_label(text: str, settings: Settings) -> bool:
    return text.strip().lower() in _lowered(settings.total_labels)


@functools.lru_cache(maxsize=64)
def _lowered(texts: tuple[str, ...]) -> frozenset[str]:
    # Called for every cell: the set is built once per settings, not once per cell.
    return frozenset(text.lower() for text in texts)


def split_columns(raw: RawTable, settings: Settings) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Label columns then value columns: values are the columns right of the last column that
    is mostly text, and leading numeric columns named like labels (year, age band …) are labels.
    "Mostly": a stray word in a count column is then reported as a bad cell, not taken as a
    label.
    """
    def holds_values(position: int) -> bool:
        states = [classify(row[position], settings)[0] for row in raw.rows]
        values = sum(s in (CellState.NUMBER, CellState.SUPPRESSED) for s in states)
        return values > 0 and values >= states.count(CellState.TEXT)

    value_like = [holds_values(i) for i in range(len(raw.header))]
    last_text = max((i for i, v in enumerate(value_like) if not v), default=-1)
    while (last_text + 1 < len(raw.header) - 1
           and _LABEL_NAME.search(raw.header[last_text + 1])):
        last_text += 1
    return raw.header[:last_text + 1], raw.header[last_text + 1:]


def build_table(raw: RawTable, settings: Settings,
                label_columns: Sequence[str] | None = None) -> Table:
    """``label_columns`` as declared by the author; guessed by ``split_columns`` when None."""
    if label_columns is None:
        labels, values = split_columns(raw, settings)
    else:
        unknown = [name for name in label_columns if name not in raw.header]
        if unknown:
            raise InvalidSetting(f"label column(s) {', '.join(map(repr, unknown))} not in the "
                                 f"header of {raw.name}: {', '.join(raw.header)}")
        labels = tuple(name for name in raw.header if name in label_columns)
        values = tuple(name for name in raw.header if name not in label_columns)
    label_positions = [raw.header.index(name) for name in labels]
    cells = []
    for row_index, row in enumerate(raw.rows):
        row_labels = {raw.header[p]: row[p] for p in label_positions}
        in_total_row = any(is_total_label(v, settings) for v in row_labels.values())
        for name in values:
            position = raw.header.index(name)
            state, number = classify(row[position], settings)
            ref = CellRef(row_index, position, row_labels, name, row[position])
            cells.append(Cell(ref, state, number, in_total_row, is_total_label(name, settings)))
    return Table(raw, labels, values, tuple(cells))


def guess_kind(table: Table) -> tuple[str, str]:
    """A best guess at the kind of a table, with the reason, for when none was declared."""
    names = " ".join(table.raw.header)
    if _MODEL_NAME.search(names):
        return "model", "column names look like a model's coefficients"
    numbers = [c.number for c in table.cells if c.number is not None]
    if any(n < 0 or not float(n).is_integer() for n in numbers):
        return "magnitude", "some values are negative or not whole numbers"
    if any(_MAGNITUDE_NAME.search(name) for name in table.value_columns):
        return "magnitude", "value column names suggest magnitudes"
    return "frequency", "all values are whole numbers of zero or more"
