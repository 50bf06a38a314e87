"""Which columns of a table are labels (the row variables) and which hold the checked values.

In order of authority: what the author declared (``haven check --labels``, or a control
``label columns: a, b`` on the request's file, ``declared_label_columns``), what an evidence
summary names, then cues in the table itself. The cues are the header (a column named like
a label: year, age band, quintile, code …) and the content (text labels; a column of small
consecutive whole numbers or of years, which are codes, not counts). Being numeric is never
enough to make a column a value column on its own say: a layout only a guess could settle is
returned as ``ambiguous``, with the reason, and the checks ask a person to review it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .reading import RawTable
from .settings import Settings

# Leading columns with numbers in them that are nonetheless labels (years, age bands, codes).
# "(?<![a-z])" rather than \b, since \b counts "_" as a letter and "age_band" is a label.
LABEL_NAME = re.compile(
    r"^$|(?<![a-z])(year|age|month|week|date|day|period|quarter|code|id|band|group|category"
    r"|rank|quintile|decile|tertile|quartile|centile|percentile|imd|cohort"
    r"|bin|edge|lower|upper|start|end)s?(?![a-z])",  # a histogram's bin edges
    re.IGNORECASE)
# How an author declares label columns among a file's disclosure controls.
_DECLARED = re.compile(r"^\s*label[ _-]?columns?\s*[:=]\s*(.*)$", re.IGNORECASE)
# How an author declares rounding as a mitigation to be verified: "rounded to base 5",
# "rounding base: 10", "Rounded (base 5)". The word "base" is required: a free-text note such
# as "rounded to 5" stays a note for the checker, as it always was.
_ROUNDED = re.compile(r"^\s*round(?:ed|ing)?\b[^0-9]*?\bbase\b\W*(\d+)\W*$", re.IGNORECASE)
_MAX_CODE = 20  # a run of whole numbers 0/1..N up to this is read as codes (quintile 1-5 …)


@dataclass(frozen=True)
class LabelSplit:
    labels: tuple[str, ...]
    values: tuple[str, ...]
    reason: str
    ambiguous: bool = False


def declared_label_columns(controls: Sequence[str]) -> list[str] | None:
    """The label columns an author named in a control ``label columns: a, b`` (None: none)."""
    for control in controls:
        found = _DECLARED.match(control)
        if found:
            return [name.strip() for name in found.group(1).split(",") if name.strip()]
    return None


def declared_rounding_base(controls: Sequence[str]) -> int | None:
    """The base of a control ``rounded to base N`` (None: no rounding declared)."""
    for control in controls:
        found = _ROUNDED.match(control)
        if found and int(found.group(1)) >= 2:  # "rounded to 1" rounds nothing
            return int(found.group(1))
    return None


def split_columns(raw: RawTable, settings: Settings) -> LabelSplit:
    """Label columns then value columns, from the table's own cues, with the reason."""
    from .tables import CellState, classify  # tables builds on this module

    def states(position: int) -> list[CellState]:
        return [classify(row[position], settings)[0] for row in raw.rows]

    def holds_values(position: int) -> bool:
        found = states(position)
        values = sum(s in (CellState.NUMBER, CellState.SUPPRESSED) for s in found)
        # "Mostly": a stray word in a count column is then reported as a bad cell, not
        # taken as a label.
        return values > 0 and values >= found.count(CellState.TEXT)

    header = raw.header
    value_like = [holds_values(i) for i in range(len(header))]
    last = max((i for i, v in enumerate(value_like) if not v), default=-1)
    reasons = [f"{', '.join(header[:last + 1])}: text"] if last >= 0 else []
    ambiguous: list[str] = []
    while last + 1 < len(header) - 1:  # the last column is always left as a value
        name = header[last + 1]
        codes = _codes(raw, last + 1)
        if LABEL_NAME.search(name):
            reasons.append(f"{name or '(unnamed)'}: its header names a label")
        elif codes:
            reasons.append(f"{name}: {codes}")
            ambiguous.append(f"{name!r} holds {codes} and its header does not say it is a "
                             "label; it was read as labels")
        else:
            break
        last += 1
    labels, values = header[:last + 1], header[last + 1:]
    if not labels and len(raw.rows) > 1 and len(values) > 1:
        ambiguous.append("no column holds text and no header names a label, so every column "
                         "was read as values")
    reason = "; ".join(reasons) or "no label column found"
    if ambiguous:
        reason += (". Ambiguous: " + "; ".join(ambiguous)
                   + " (declare the label columns to settle it)")
    return LabelSplit(labels, values, reason, bool(ambiguous))


def _codes(raw: RawTable, position: int) -> str:
    """'codes 1-5' or 'years 2015-2023' when a column's content is that, else ''."""
    numbers = []
    for row in raw.rows:
        text = row[position].strip()
        if not text.isdigit():
            return ""
        numbers.append(int(text))
    distinct = sorted(set(numbers))
    if len(raw.rows) < 2 or len(distinct) < 2:
        return ""
    low, high = distinct[0], distinct[-1]
    if low in (0, 1) and high <= _MAX_CODE and distinct == list(range(low, high + 1)):
        return f"whole numbers {low}-{high} in a run (codes, not counts)"
    if 1800 <= low and high <= 2100 and high - low <= 100:
        return f"years {low}-{high}"
    return ""
