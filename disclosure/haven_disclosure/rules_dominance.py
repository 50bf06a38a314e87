"""Dominance rules for magnitude tables (sums, means), judged on the contributions behind
each cell: the N-K rule, the p-ratio rule and a minimum number of contributors.

The evidence comes in one of two forms. ``haven.summarise`` writes a JSON summary
(``SUMMARY_FORMAT``): per cell its labels, count, total and largest contributions, which is
all the rules need (see ``parse_summary``). Otherwise it is a long table of contributions: the table's label columns (matched by name),
at most one further label column naming the table's value column (for wide tables), and one
numeric column of contributions (named ``value`` or, failing that, the last column). A total
cell draws on every contribution that matches its other labels.

The rules follow ACRO's definitions, so that findings agree with ACRO's ``nk-rule``,
``p-ratio`` and ``threshold`` masks:
  N-K:     sum of the N largest contributions > K * cell total           -> fail
  p-ratio: (cell total - largest - second largest) / largest < p         -> fail
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import UnreadableTable
from .reading import RawTable
from .results import Finding, Verdict
from .settings import Settings
from .tables import Cell, CellState, Table, is_total_label, parse_number

RULES = ("min_contributors", "dominance_nk", "dominance_p_ratio")
SUMMARY_FORMAT = "haven-evidence/1"


@dataclass(frozen=True)
class CellEvidence:
    """What the rules need of one cell's contributions."""

    count: int
    total: float
    largest: tuple[float, ...]  # descending; at least the N of N-K and the two of p-ratio
    negative: bool

    @classmethod
    def of(cls, values: list[float]) -> CellEvidence:
        return cls(len(values), sum(values), tuple(sorted(values, reverse=True)),
                   any(v < 0 for v in values))

    def knows_largest(self, n: int) -> bool:
        return len(self.largest) >= min(n, self.count)


@dataclass(frozen=True)
class Evidence:
    label_columns: tuple[str, ...]
    column_dimension: str | None
    rows: tuple[tuple[tuple[str, ...], str | None, float], ...]  # (labels, column, value)
    # The summarised form: (labels, value column or None) -> the cell's evidence.
    cells: dict[tuple[tuple[str, ...], str | None], CellEvidence] | None = None


def parse_summary(data: object, source: str, table: Table) -> Evidence:
    """A ``haven.summarise`` evidence file: one entry per cell of the table it sits beside."""
    if not isinstance(data, dict) or data.get("format") != SUMMARY_FORMAT:
        raise UnreadableTable(source, f"not a Haven evidence file (format {SUMMARY_FORMAT!r})")
    labels = data.get("label_columns")
    if labels is None or list(labels) != list(table.label_columns):
        raise UnreadableTable(source, f"evidence is for label columns {labels}, the table has "
                              f"{list(table.label_columns)}")
    cells: dict[tuple[tuple[str, ...], str | None], CellEvidence] = {}
    for position, entry in enumerate(data.get("cells") or []):
        try:
            key = (tuple(str(v) for v in entry["labels"]), entry.get("column"))
            largest = tuple(sorted((float(v) for v in entry["largest"]), reverse=True))
            cells[key] = CellEvidence(int(entry["count"]), float(entry["total"]), largest,
                                      int(entry.get("negative", 0)) > 0)
        except (KeyError, TypeError, ValueError) as error:
            raise UnreadableTable(source, f"cell {position} of the evidence is malformed: "
                                  f"{error!r}") from None
    return Evidence(tuple(table.label_columns), None, (), cells)


def parse_evidence(raw: RawTable, table: Table) -> Evidence:
    header = list(raw.header)
    value_column = "value" if "value" in header else header[-1]
    missing = [name for name in table.label_columns if name not in header]
    if missing:
        raise UnreadableTable(raw.name, "evidence lacks the table's label column(s) "
                              + ", ".join(repr(m) for m in missing))
    extra = [n for n in header if n not in table.label_columns and n != value_column]
    if len(extra) > 1:
        raise UnreadableTable(raw.name, "evidence has more than one column that is neither a "
                              "label of the table nor the value: " + ", ".join(extra))
    column_dimension = extra[0] if extra else None
    label_positions = [header.index(n) for n in table.label_columns]
    value_position = header.index(value_column)
    column_position = header.index(column_dimension) if column_dimension else None
    rows = []
    for offset, row in enumerate(raw.rows):
        value = parse_number(row[value_position])
        if value is None:
            raise UnreadableTable(raw.name, f"contribution {row[value_position]!r} is not a "
                                  "number", line=raw.first_data_line + offset,
                                  column=value_column)
        rows.append((tuple(row[p] for p in label_positions),
                     row[column_position] if column_position is not None else None, value))
    return Evidence(tuple(table.label_columns), column_dimension, tuple(rows))


def cell_evidence(cell: Cell, evidence: Evidence, settings: Settings) -> CellEvidence | None:
    if evidence.cells is not None:
        labels = tuple(cell.ref.row_labels.values())
        return evidence.cells.get((labels, cell.ref.column)) or evidence.cells.get((labels, None))
    values = contributions(cell, evidence, settings)
    return CellEvidence.of(values) if values else None


def contributions(cell: Cell, evidence: Evidence, settings: Settings) -> list[float]:
    labels = tuple(cell.ref.row_labels.values())
    wanted_column = None
    if evidence.column_dimension is not None and not is_total_label(cell.ref.column, settings):
        wanted_column = cell.ref.column
    out = []
    for row_labels, column, value in evidence.rows:
        if wanted_column is not None and column != wanted_column:
            continue
        if all(is_total_label(want, settings) or want == have
               for want, have in zip(labels, row_labels)):
            out.append(value)
    return out


def n_k_dominated(values: list[float] | CellEvidence, n: int, k: float) -> bool:
    cell = values if isinstance(values, CellEvidence) else CellEvidence.of(values)
    if cell.total <= 0:
        return False
    return sum(cell.largest[:n]) > k * cell.total


def p_ratio_dominated(values: list[float] | CellEvidence, p: float) -> bool:
    cell = values if isinstance(values, CellEvidence) else CellEvidence.of(values)
    if not cell.largest or cell.largest[0] <= 0:
        return False
    second = cell.largest[1] if len(cell.largest) > 1 else 0.0
    return (cell.total - cell.largest[0] - second) / cell.largest[0] < p


def dominance(table: Table, settings: Settings, evidence: Evidence | None) -> list[Finding]:
    name = table.raw.name
    params = {"min_contributors": {"threshold": settings.threshold},
              "dominance_nk": {"n": settings.nk_n, "k": settings.nk_k},
              "dominance_p_ratio": {"p": settings.p_ratio}}
    if evidence is None:
        why = (f"no evidence of the contributions behind {name}; dominance and the number of "
               "contributors cannot be checked (submit the table with its evidence file)")
        return [Finding(rule, Verdict.REVIEW, why, params[rule]) for rule in RULES]
    flagged: dict[str, list[Cell]] = {rule: [] for rule in RULES}
    unmatched, negative, too_few = [], [], []
    for cell in table.cells:
        if cell.state is not CellState.NUMBER:
            continue
        found = cell_evidence(cell, evidence, settings)
        if found is None or found.count == 0:
            unmatched.append(cell)
            continue
        if found.negative:
            negative.append(cell)  # dominance is not defined over negative contributions
            continue
        if not found.knows_largest(max(settings.nk_n, 2)):
            too_few.append(cell)  # a summary that kept fewer largest values than N needs
            continue
        if found.count < settings.threshold:
            flagged["min_contributors"].append(cell)
        if n_k_dominated(found, settings.nk_n, settings.nk_k):
            flagged["dominance_nk"].append(cell)
        if p_ratio_dominated(found, settings.p_ratio):
            flagged["dominance_p_ratio"].append(cell)
    sentences = {"min_contributors": f"fewer than {settings.threshold} contributors",
                 "dominance_nk": f"the {settings.nk_n} largest contributors exceed "
                                 f"{settings.nk_k:g} of the total",
                 "dominance_p_ratio": f"the p-ratio is below {settings.p_ratio:g}"}
    findings = []
    for rule in RULES:
        cells = flagged[rule]
        if cells:
            findings.append(Finding(rule, Verdict.FAIL,
                                    f"{len(cells)} cell(s) in {name}: {sentences[rule]}",
                                    params[rule], tuple(c.ref for c in cells)))
        else:
            findings.append(Finding(rule, Verdict.PASS,
                                    f"no cell in {name} where {sentences[rule]}", params[rule]))
    for cells, why in ((unmatched, "have no contributions in the evidence"),
                       (negative, "have negative contributions, where dominance is undefined"),
                       (too_few, f"have fewer largest contributions in the evidence than the "
                                 f"N-K rule's N={settings.nk_n}")):
        if cells:
            findings.append(Finding("evidence", Verdict.REVIEW,
                                    f"{len(cells)} cell(s) in {name} {why}", {},
                                    tuple(c.ref for c in cells)))
    return findings
