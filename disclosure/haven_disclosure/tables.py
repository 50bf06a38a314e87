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
from .labels import split_columns
from .reading import RawTable
from .results import CellRef
from .settings import Settings

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_LESS_THAN = re.compile(r"^(<|<=|≤)\s*\d+$")
_MISSING = {"", "nan", "na", "n/a", "null", "none", "-", "."}
_MODEL_NAME = re.compile(
    r"coef|std\.? ?err|estimate|p>\|?[tz]|t value|z value|conf|odds ratio|^se$|beta",
    re.IGNORECASE)
_MODEL_SUMMARY = re.compile(
    r"dep\. variable|df residuals|df model|no\. observations|r-squared|log-likelihood"
    r"|covariance type|prob \(f-statistic\)|omnibus|durbin-watson|jarque-bera|cond\. no"
    r"|pseudo r-squ|llr p-value|degrees of freedom", re.IGNORECASE)
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
    label_reason: str = ""
    ambiguous: bool = False  # the layout is a guess a person must confirm (label_reason says)

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


def build_table(raw: RawTable, settings: Settings,
                label_columns: Sequence[str] | None = None,
                declared_by: str = "declared by the author") -> Table:
    """``label_columns`` as declared (``declared_by`` says by whom); found from the table's own
    cues by ``labels.split_columns`` when None."""
    ambiguous = False
    if label_columns is None:
        split = split_columns(raw, settings)
        labels, values, reason, ambiguous = (split.labels, split.values, split.reason,
                                             split.ambiguous)
    else:
        reason = declared_by
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
    return Table(raw, labels, values, tuple(cells), reason, ambiguous)


def guess_kind(table: Table) -> tuple[str, str]:
    """A best guess at the kind of a table, with the reason, for when none was declared."""
    names = " ".join(table.raw.header)
    if _MODEL_NAME.search(names):
        return "model", "column names look like a model's coefficients"
    # ACRO writes a regression as CSVs of statsmodels' summary tables: the model's facts
    # ("Dep. Variable:", "Df Residuals:" …) are the cells, and the header is their first row.
    text = " ".join(" ".join(row) for row in (table.raw.header, *table.raw.rows[:60]))
    if _MODEL_SUMMARY.search(text):
        return "model", "its cells name a model's statistics (a regression summary)"
    numbers = [c.number for c in table.cells if c.number is not None]
    if any(n < 0 or not float(n).is_integer() for n in numbers):
        return "magnitude", "some values are negative or not whole numbers"
    if any(_MAGNITUDE_NAME.search(name) for name in table.value_columns):
        return "magnitude", "value column names suggest magnitudes"
    return "frequency", "all values are whole numbers of zero or more"
