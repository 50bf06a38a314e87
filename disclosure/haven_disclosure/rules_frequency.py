"""Rules for frequency tables (counts of people or records): minimum frequency, zeros,
rounding, and the sanity of the values themselves.

Each rule takes the built table and the settings and returns its findings. A rule that finds
nothing wrong still returns a "pass" finding, so the record shows what was checked.
"""

from __future__ import annotations

from .results import Finding, Verdict
from .settings import Settings
from .tables import Cell, CellState, Table


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _counts(table: Table) -> list[Cell]:
    """Cells holding a usable count: a whole number of zero or more."""
    return [c for c in table.cells if c.state is CellState.NUMBER
            and c.number >= 0 and float(c.number).is_integer()]


def minimum_frequency(table: Table, settings: Settings) -> list[Finding]:
    # Zeros are left to the zeros rule, so that a structural zero is not failed twice over.
    small = [c for c in _counts(table) if 0 < c.number < settings.threshold]
    params = {"threshold": settings.threshold}
    name = table.raw.name
    if small:
        return [Finding("min_frequency", Verdict.FAIL,
                        f"{_plural(len(small), 'cell')} below {settings.threshold} in {name}",
                        params, tuple(c.ref for c in small))]
    return [Finding("min_frequency", Verdict.PASS,
                    f"no cells below {settings.threshold} in {name}", params)]


def zeros(table: Table, settings: Settings) -> list[Finding]:
    zero_cells = [c for c in _counts(table) if c.number == 0]
    params = {"zeros_are_structural": settings.zeros_are_structural}
    name = table.raw.name
    if not zero_cells:
        return [Finding("zeros", Verdict.PASS, f"no zero cells in {name}", params)]
    if settings.zeros_are_structural:
        return [Finding("zeros", Verdict.PASS,
                        f"{_plural(len(zero_cells), 'zero cell')} in {name}, declared structural",
                        params, tuple(c.ref for c in zero_cells))]
    return [Finding("zeros", Verdict.FAIL,
                    f"{_plural(len(zero_cells), 'zero cell')} in {name}; a zero can disclose "
                    "that nobody in a group has a trait (set zeros_are_structural if impossible "
                    "by design)", params, tuple(c.ref for c in zero_cells))]


def rounding(table: Table, settings: Settings, declared: int | None = None) -> list[Finding]:
    """Counts must be multiples of the preset's base; an author's declared rounding
    (``labels.declared_rounding_base``) is verified the same way and, when every count
    bears it out, recorded as a mitigation (``parameters["mitigation"]``), as ACRO records
    its ``round`` mitigation. A declared base that is not a multiple of the preset's does
    not replace it."""
    base = settings.rounding_base
    if declared is not None and (base is None or declared % base == 0):
        base = declared
    if base is None:
        return []  # neither the preset nor the author asks for rounding
    params: dict = {"rounding_base": base}
    said = ""
    if declared is not None:
        params.update(mitigation="rounding", declared_base=declared)
        said = (f" (rounding to base {declared} declared by the author)" if declared == base
                else f" (the author declared base {declared}, which is not a multiple of the "
                     f"preset's {base}; checked against the preset's)")
    unrounded = [c for c in _counts(table) if c.number % base != 0]
    name = table.raw.name
    if unrounded:
        return [Finding("rounding", Verdict.FAIL,
                        f"{_plural(len(unrounded), 'cell')} not a multiple of {base} in "
                        f"{name}{said}", params, tuple(c.ref for c in unrounded))]
    if declared == base:
        said += ": recorded as a mitigation"
    return [Finding("rounding", Verdict.PASS,
                    f"all counts are multiples of {base} in {name}{said}", params)]


def count_values(table: Table, settings: Settings) -> list[Finding]:
    """Values that cannot be counts: a person must see them, since no rule can judge them."""
    findings = []
    name = table.raw.name
    problems = {
        "negative": [c for c in table.cells if c.state is CellState.NUMBER and c.number < 0],
        "not a whole number": [c for c in table.cells if c.state is CellState.NUMBER
                               and c.number >= 0 and not float(c.number).is_integer()],
    }
    problems.update(_unjudgeable(table))
    for problem, cells in problems.items():
        if cells:
            findings.append(Finding(
                "values", Verdict.REVIEW,
                f"{_plural(len(cells), 'cell')} {problem} in {name}; not checkable as counts",
                {"problem": problem}, tuple(c.ref for c in cells)))
    return findings


def magnitude_values(table: Table, settings: Settings) -> list[Finding]:
    """Magnitudes may be negative or fractional; only missing and stray text need a person."""
    return [Finding("values", Verdict.REVIEW,
                    f"{_plural(len(cells), 'cell')} {problem} in {table.raw.name}",
                    {"problem": problem}, tuple(c.ref for c in cells))
            for problem, cells in _unjudgeable(table).items() if cells]


def _unjudgeable(table: Table) -> dict[str, list[Cell]]:
    return {
        "missing (empty or NaN)": [c for c in table.cells if c.state is CellState.MISSING],
        "holding text that is neither a number nor a suppression marker":
            [c for c in table.cells if c.state is CellState.TEXT],
    }
