"""The automated checks' findings in a checker's words: a short summary per file (how many
cells each rule flagged) instead of one line per cell, and never an internal rule id.

A finding about many cells reaches the page once per cell (``check_view``); here those are
counted back into one line per rule, so a table with 500 small cells reads "Small counts:
500 cells below 10", with the cell-by-cell detail left for a folded list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# What each rule is about, as a heading a person reads. A rule not listed here (added to the
# checks later) is shown by its message, never by its id.
RULE_TITLES = {
    "min_frequency": "Small counts",
    "zeros": "Zero cells",
    "rounding": "Counts not rounded",
    "min_contributors": "Too few contributors",
    "dominance_nk": "Dominated by a few contributors (N-K rule)",
    "dominance_p_ratio": "Dominated by one contributor (p% rule)",
    "secondary_disclosure": "Recoverable from totals",
    "suppression_markers": "Suppressed cells",
    "evidence": "Evidence of contributions",
    "values": "Values that are not counts",
    "residual_dof": "Residual degrees of freedom",
    "row_limit": "Too many rows",
    "content": "What the file contains",
    "human_review": "For a person to look at",
    "layout": "Which columns are labels",
    "histogram": "Histogram bin edges",
    "survival": "Survival table steps",
    "min_events": "Events a survival model rests on",
}
FALLBACK_TITLE = "Other finding"
# Worst first: the order a summary lists its lines in.
VERDICT_ORDER = {"fail": 0, "review": 1, "pass": 2}
VERDICT_WORDS = {"fail": "fails", "review": "to look at", "pass": "passes"}


@dataclass(frozen=True)
class RuleSummary:
    title: str
    verdict: str  # "fail" | "review" | "pass"
    cells: int  # how many cells the rule flagged (0 for a finding about the whole file)
    sentence: str  # the rule's own message, without the file's name

    @property
    def line(self) -> str:
        return f"{self.title}: {self.sentence}"


def title(rule: str) -> str:
    return RULE_TITLES.get(rule, FALLBACK_TITLE)


def sentence(finding: dict[str, Any], file_name: str) -> str:
    """The finding's message without the " in <file>" a per-file summary does not need."""
    message = (finding.get("message") or "").strip()
    base = file_name.rsplit("/", 1)[-1]
    for name in dict.fromkeys((file_name, base)):
        message = message.replace(f" in {name}", "").removeprefix(f"{name}: ").removeprefix(f"{name} ")
    return message or VERDICT_WORDS.get(finding.get("verdict", ""), "")


def cell_note(finding: dict[str, Any], file_name: str) -> str:
    """What a flagged cell's tooltip and screen-reader description say."""
    return f"{title(finding.get('rule', ''))}: {sentence(finding, file_name)}"


def summarise(findings: list[dict[str, Any]], file_name: str, *, flagged_only: bool = True) -> list[RuleSummary]:
    """One line per (rule, verdict), worst first, counting the cells each flagged."""
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for finding in findings:
        if flagged_only and finding.get("verdict") not in ("fail", "review"):
            continue
        grouped.setdefault((finding.get("rule", ""), finding.get("verdict", "")), []).append(finding)
    lines = []
    for (rule, verdict), group in grouped.items():
        cells = sum(1 for f in group if f.get("row_index") is not None or f.get("column") is not None)
        sentences = list(dict.fromkeys(sentence(f, file_name) for f in group))
        lines.append(RuleSummary(title(rule), verdict, cells, "; ".join(sentences)))
    return sorted(lines, key=lambda line: (VERDICT_ORDER.get(line.verdict, 3), -line.cells, line.title))


def where(finding: dict[str, Any]) -> str:
    """The cell a finding names, as a person finds it: its row labels and column."""
    labels = ", ".join(f"{key} {value}" for key, value in (finding.get("row") or {}).items())
    column = finding.get("column")
    if column is None:
        return "the whole file"
    position = f"row {finding['row_index'] + 1}" if finding.get("row_index") is not None else ""
    return ", ".join(part for part in (labels or position, f"column {column}") if part)
