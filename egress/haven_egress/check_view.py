"""The shape in which a file's automated disclosure checks are shown: the API, the checkers'
pages and the preflight answer all use it, so it is defined once, here.

``FileView.checks`` is always a dict of this shape (never None)::

    {
      "status": "pending" | "done" | "error",
      "verdict": "pass" | "review" | "fail" | None,   # None unless status is "done"
      "summary": "3 cells below 10 in admissions_by_region.csv",  # one sentence
      "preset": "acro" | "opensafely" | None,
      "checked_at": "2026-11-22T19:30:00+00:00" | None,
      "error": "why the checks could not run" | None,  # only when status is "error"
      "kind": "frequency" | ... | None, "kind_guessed": bool,
      "tables": [ {index, name, kind, kind_guessed, kind_reason, label_columns,
                   value_columns, layout, rows}, ... ],
      "findings": [
        {"rule": "min_frequency", "verdict": "fail", "message": "...",
         "parameters": {"threshold": 10},
         "table": 0 | None,             # index into "tables"; None for file-level findings
         "row": {"region": "North"} | None,   # the cell's row labels
         "row_index": 3 | None,         # 0-based data row of the cell
         "column": "count" | None, "column_index": 2 | None,
         "value": "3" | None},          # the cell's text as submitted
        ...
      ],
    }

A finding about several cells appears once per cell (so a page can mark each cell with its
rule); a finding about no cell (a rule that passed, a figure to look at) appears once with
``row``, ``column`` and ``value`` set to None. Fields may be added; none will change meaning.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

PENDING = "pending"
DONE = "done"
ERROR = "error"
STATUSES = (PENDING, DONE, ERROR)


def pending() -> dict[str, Any]:
    return _empty(PENDING, "the automated checks have not run yet")


def failed(error: str, preset: str | None, checked_at: datetime | None) -> dict[str, Any]:
    view = _empty(ERROR, f"the automated checks could not run: {error}")
    view.update(error=error, preset=preset, checked_at=_time(checked_at))
    return view


def done(result: dict[str, Any], checked_at: datetime | None) -> dict[str, Any]:
    """``result`` is a stored ``FileResult.to_dict()``."""
    findings = [entry for finding in result.get("findings", []) for entry in _entries(finding)]
    return {
        "status": DONE, "verdict": result["verdict"], "summary": summary(result),
        "preset": result.get("preset"), "checked_at": _time(checked_at), "error": None,
        "kind": result.get("kind"), "kind_guessed": bool(result.get("kind_guessed")),
        "tables": list(result.get("tables", [])), "findings": findings,
    }


def preflight_entry(name: str, sha256: str, size: int, outcome: Any) -> dict[str, Any]:
    """One file of a preflight answer: the ``done``/``failed`` shape plus the file's identity."""
    shown = (done(outcome.result, None) if outcome.status == DONE
             else failed(outcome.error, None, None))
    entry = {"name": name, "sha256": sha256, "size": size}
    entry.update({key: shown[key] for key in ("status", "verdict", "summary", "error", "kind",
                                              "kind_guessed", "tables", "findings")})
    entry["acro"] = outcome.acro
    return entry


def summary(result: dict[str, Any]) -> str:
    """One sentence for a person: what failed or needs review, or that everything passed."""
    name = result.get("file", "the file")
    failing = [f for f in result.get("findings", []) if f["verdict"] == "fail"]
    review = [f for f in result.get("findings", []) if f["verdict"] == "review"]
    if failing:
        parts = [_count_phrase(f, result.get("settings", {})) for f in failing]
        return f"{'; '.join(parts)} in {name}"
    if review:
        # The reasons in plain words (a rule id means nothing to the person who must look).
        reasons = dict.fromkeys(_reason(f, name) for f in review)
        return f"{name} needs a person to look: " + "; ".join(reasons)
    return f"{name} passed every check"


def _reason(finding: dict[str, Any], name: str) -> str:
    message = finding.get("message") or finding["rule"]
    return message.removeprefix(f"{name}: ")


_PHRASES = {
    "min_frequency": lambda s: f"below {s.get('threshold', 10)}",
    "zeros": lambda s: "zero",
    "rounding": lambda s: f"not a multiple of {s.get('rounding_base')}",
    "min_contributors": lambda s: f"with fewer than {s.get('threshold', 10)} contributors",
    "dominance_nk": lambda s: f"dominated (N-K {s.get('nk_n')}/{s.get('nk_k')})",
    "dominance_p_ratio": lambda s: f"dominated (p-ratio {s.get('p_ratio')})",
    "secondary_disclosure": lambda s: "recoverable from totals",
}


def _count_phrase(finding: dict[str, Any], settings: dict[str, Any]) -> str:
    cells = len(finding.get("cells", []))
    phrase = _PHRASES.get(finding["rule"])
    if cells and phrase is not None:
        return f"{cells} cell{'s' if cells != 1 else ''} {phrase(settings)}"
    return finding.get("message") or finding["rule"]


def _entries(finding: dict[str, Any]) -> list[dict[str, Any]]:
    base = {"rule": finding["rule"], "verdict": finding["verdict"],
            "message": finding.get("message", ""), "parameters": dict(finding.get("parameters", {})),
            "table": finding.get("table")}
    cells = finding.get("cells") or []
    if not cells:
        return [{**base, "row": None, "row_index": None, "column": None, "column_index": None,
                 "value": None}]
    return [{**base, "row": dict(cell["row_labels"]), "row_index": cell["row_index"],
             "column": cell["column"], "column_index": cell["column_index"],
             "value": cell["value"]} for cell in cells]


def _empty(status: str, summary_: str) -> dict[str, Any]:
    return {"status": status, "verdict": None, "summary": summary_, "preset": None,
            "checked_at": None, "error": None, "kind": None, "kind_guessed": False,
            "tables": [], "findings": []}


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
