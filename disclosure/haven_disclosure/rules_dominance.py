"""Dominance rules for magnitude tables (sums, means), judged on the contributions behind
each cell (``evidence``): the N-K rule, the p-ratio rule and a minimum number of contributors.

The rules are ACRO 1.0.x's (``acro.sdcchecks``), boundaries included, so that findings agree
with its ``NKCheck``, ``PPercentCheck`` and ``MinimumThresholdCheck`` masks (pinned against
ACRO itself by tests/unit/disclosure/test_acro_boundaries.py):
  N-K:     (sum of the N largest) / cell total >= K                      -> fail
           (a total of 0 divides to NaN, which ACRO's comparison passes)
  p-ratio: (cell total - (largest + second)) / largest < p               -> fail
           (a largest of 0 leaves the numerator undivided: all zeros fail)
  contributors: count < threshold                                         -> fail
"""

from __future__ import annotations

from .evidence import SUMMARY_FORMAT, CellEvidence, Evidence, parse_evidence, parse_summary
from .results import Finding, Verdict
from .settings import Settings
from .tables import Cell, CellState, Table

RULES = ("min_contributors", "dominance_nk", "dominance_p_ratio")
__all__ = ["RULES", "SUMMARY_FORMAT", "CellEvidence", "Evidence", "dominance", "n_k_dominated",
           "p_ratio_dominated", "parse_evidence", "parse_summary"]


def n_k_dominated(values: list[float] | CellEvidence, n: int, k: float) -> bool:
    cell = values if isinstance(values, CellEvidence) else CellEvidence.of(values)
    if cell.total == 0:
        return False  # ACRO: 0 / 0 is NaN, and NaN >= K is false
    return sum(cell.largest[:n]) / cell.total >= k


def p_ratio_dominated(values: list[float] | CellEvidence, p: float) -> bool:
    cell = values if isinstance(values, CellEvidence) else CellEvidence.of(values)
    if not cell.largest:
        return False
    largest = cell.largest[0]
    remainder = cell.total - sum(cell.largest[:2])  # ACRO: sum - top_2_sum, in that order
    return (remainder if largest == 0 else remainder / largest) < p


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
        found = evidence.for_cell(cell, settings)
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
                 "dominance_nk": f"the {settings.nk_n} largest contributors make "
                                 f"{settings.nk_k:g} or more of the total",
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
