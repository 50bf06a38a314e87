"""Rules for outputs that are not tables of counts: model outputs, and everything a person
must read (figures, code, free text, notebooks). Nothing here ever passes a file on its own
say-so except the residual degrees of freedom of a model, when they are stated.
"""

from __future__ import annotations

import re

from .results import Finding, Verdict
from .settings import Settings
from .tables import Table

# The ways model summaries state residual degrees of freedom:
#   statsmodels  "Df Residuals:   123"
#   R lm / glm   "Residual standard error: 1.2 on 123 degrees of freedom",
#                "Residual deviance: 45.6  on 123  degrees of freedom"
#   tables       "df_resid,123", "residual df: 123", "Residual DoF = 123"
_DOF_PATTERNS = (
    re.compile(r"df[ _.]?resid(?:uals?)?\W{0,4}?[\s:=,;|\t\"']+\s*(\d+)", re.IGNORECASE),
    re.compile(r"resid(?:ual)?s?[ _.]?(?:df|dof|degrees of freedom)\W{0,4}?[\s:=,;|\t\"']+\s*"
               r"(\d+)", re.IGNORECASE),
    re.compile(r"residual (?:standard error|deviance):.*?\bon\s+(\d+)\s+degrees of freedom",
               re.IGNORECASE),
)


def stated_residual_dof(text: str) -> list[int]:
    return [int(match.group(1)) for pattern in _DOF_PATTERNS for match in pattern.finditer(text)]


def residual_dof(text: str, name: str, settings: Settings) -> list[Finding]:
    params = {"min_residual_dof": settings.min_residual_dof}
    stated = stated_residual_dof(text)
    if not stated:
        return [Finding("residual_dof", Verdict.REVIEW,
                        f"{name} does not state its residual degrees of freedom; a person "
                        "must judge whether the model is fitted on enough records", params)]
    lowest = min(stated)  # several models in one output: the weakest one decides
    if lowest < settings.min_residual_dof:
        return [Finding("residual_dof", Verdict.FAIL,
                        f"residual degrees of freedom {lowest} below "
                        f"{settings.min_residual_dof} in {name}", params)]
    return [Finding("residual_dof", Verdict.PASS,
                    f"residual degrees of freedom {lowest} (lowest of {len(stated)} stated) "
                    f"at least {settings.min_residual_dof} in {name}", params)]


# A histogram's table: bins as intervals ("(0.0, 10.0]", as pandas.cut labels them) or as
# edge columns ("bin_start", "lower" …).
_INTERVAL = re.compile(r"^[\[(]\s*-?[\d.eE+-]+\s*,\s*-?[\d.eE+-]+\s*[\])]$")
_EDGE_NAME = re.compile(r"(?<![a-z])(bin|edge|lower|upper)s?(?![a-z])", re.IGNORECASE)


def histogram_edges(table: Table) -> list[Finding]:
    """ACRO's histogram check says it too: the counts are checked like any frequency table,
    but the outermost bins' edges can give away the smallest and largest values."""
    rows = table.raw.rows
    edges = [name for name in table.label_columns if _EDGE_NAME.search(name)]
    intervals = [name for name in table.label_columns
                 if rows and all(_INTERVAL.match(row[table.raw.header.index(name)])
                                 for row in rows)]
    if not (edges or intervals):
        return []
    return [Finding("histogram", Verdict.REVIEW,
                    f"{table.raw.name} is a histogram's table (bins in "
                    f"{', '.join(edges or intervals)}): its counts were checked; a person must "
                    "check that the extreme bins' edges do not give away the smallest or "
                    "largest value", {"bins": edges or intervals})]


_WHY_A_PERSON = {
    "figure": "figures can show small groups or single points; no automatic check reads them",
    "code": "code can embed data or results; a person must read it",
    "text": "free text can quote small numbers or describe individuals; a person must read it",
    "notebook": "notebooks hold code, text and figures beside their tables; a person must "
                "read them",
    "other": "this kind of output has no automatic check",
}


def human_review(kind: str, name: str, detail: str = "") -> Finding:
    message = f"{name}: {_WHY_A_PERSON.get(kind, _WHY_A_PERSON['other'])}"
    return Finding("human_review", Verdict.REVIEW, message + (f" ({detail})" if detail else ""),
                   {"kind": kind})
