"""Checking one submitted file: decide its kind, read its tables, run the rules that apply to
that kind, and gather the findings into a ``FileResult``. The CLI and the egress service both
call ``check_file``; nothing here prints or exits.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from . import rules_dominance, rules_frequency, rules_other, rules_suppression, rules_survival
from .errors import InvalidSetting, UnreadableTable
from .evidence import read_evidence_csv
from .content import Limits
from .html_tables import extract_tables
from .inspect import IMAGE_KINDS, content_findings
from .labels import declared_label_columns, declared_rounding_base
from .reading import RawTable, decode_text, read_bytes, read_table
from .results import FileResult, Finding, TableInfo, Verdict
from .settings import DEFAULT_PRESET, Settings, resolve_settings
from .tables import build_table, guess_kind

KINDS = ("frequency", "magnitude", "model", "survival", "figure", "code", "text", "notebook",
         "other")
TABLE_KINDS = ("frequency", "magnitude")

_BY_SUFFIX = {
    **dict.fromkeys((".png", ".jpg", ".jpeg", ".svg", ".gif", ".pdf"), "figure"),
    **dict.fromkeys((".py", ".r", ".sql", ".do", ".sas", ".sh", ".jl", ".js"), "code"),
    **dict.fromkeys((".txt", ".md", ".log", ".rst"), "text"),
    **dict.fromkeys((".html", ".htm", ".ipynb"), "notebook"),
    **dict.fromkeys((".csv", ".tsv"), "table"),
}
_PIE = re.compile(r"(?<![a-z])pie(?![a-z])", re.IGNORECASE)  # "pie.png", "sex_pie_0.png"
_MAGIC = {".png": (b"\x89PNG",), ".jpg": (b"\xff\xd8\xff",), ".jpeg": (b"\xff\xd8\xff",),
          ".gif": (b"GIF8",), ".pdf": (b"%PDF",)}


def check_file(path: Path | str, *, kind: str | None = None, preset: str = DEFAULT_PRESET,
               overrides: Mapping[str, Any] | None = None,
               evidence: Path | str | None = None,
               label_columns: Sequence[str] | None = None,
               limits: Limits | None = None, controls: Sequence[str] = ()) -> FileResult:
    """Check one file. Raises UnreadableTable for unreadable input, InvalidSetting for a bad
    kind, preset or override. ``label_columns`` overrides the guess of which columns are row
    labels (all other columns are then values); it applies to CSV/TSV tables. ``limits``
    (the egress service's, by default its defaults) hold the content whatever its name.
    ``controls`` are the author's declared disclosure controls: ``label columns: a, b``
    (when ``label_columns`` is not given) and ``rounded to base N`` (verified, then recorded
    as a mitigation)."""
    path = Path(path)
    if label_columns is None:
        label_columns = declared_label_columns(controls)
    rounding_declared = declared_rounding_base(controls)
    if kind is not None and kind not in KINDS:
        raise InvalidSetting(f"unknown kind {kind!r}; known kinds: {', '.join(KINDS)}")
    settings = resolve_settings(preset, overrides)
    suffix_kind = _BY_SUFFIX.get(path.suffix.lower(), "other")
    declared = kind
    file_kind = kind or ("table" if suffix_kind == "table" else suffix_kind)
    tables: list[TableInfo] = []
    # The content is judged first, by its bytes: a refusal there ends the checks (what the
    # bytes are is not what the rest of them would assume).
    findings, refused, content_kind = content_findings(read_bytes(path), path.name, kind,
                                                       limits or Limits())
    if refused:
        return FileResult(file=path.name, kind=file_kind, kind_guessed=declared is None,
                          preset=preset, settings=settings.as_dict(), tables=(),
                          findings=tuple(findings))
    if content_kind in (*IMAGE_KINDS, "pdf"):
        file_kind = "figure"  # pictures and PDFs are for a person, whatever kind was declared

    if file_kind in ("table", *TABLE_KINDS) and suffix_kind != "notebook":
        raw = read_table(path)  # the table's own faults are reported before the evidence's
        evidence_raw = _read_evidence(Path(evidence)) if evidence else None
        declared_by = "declared by the author"
        if label_columns is None and isinstance(evidence_raw, tuple):
            # haven.summarise says which columns are the groups: no guess needed.
            named = evidence_raw[1].get("label_columns") if isinstance(evidence_raw[1], dict) else None
            if isinstance(named, list) and set(named) <= set(raw.header):
                label_columns, declared_by = named, "named by the evidence (haven.summarise)"
        file_kind = _check_raw_table(raw, declared, settings, evidence_raw, tables, findings,
                                     label_columns, declared_by, rounding_declared)
    elif file_kind == "model":
        text = _text_of(path)
        findings += _model_findings(text, path.name, settings)
    elif file_kind in ("notebook", *TABLE_KINDS):
        html, images = _notebook_html(path)
        raws, more_images = extract_tables(html, path.name)
        for raw in raws:
            _check_raw_table(raw, declared if declared in TABLE_KINDS else None, settings,
                             None, tables, findings)
        if rules_other.stated_residual_dof(html):
            findings += rules_other.residual_dof(html, path.name, settings)
        if declared in (None, "notebook"):
            findings.append(rules_other.human_review(
                "notebook", path.name, f"{len(raws)} table(s) checked, "
                                       f"{images + more_images} image(s) to look at"))
    elif file_kind == "text" and declared is None:
        text = _text_of(path)
        if (rules_other.stated_residual_dof(text) or rules_survival.stated_events(text)
                or rules_survival.is_survival_model(text)):  # a model summary saved as text
            file_kind = "model"
            findings += _model_findings(text, path.name, settings)
        findings.append(rules_other.human_review("text", path.name))
    else:
        findings.append(rules_other.human_review(file_kind, path.name, _figure_note(path)
                                                 if file_kind == "figure" else ""))
    return FileResult(file=path.name, kind=file_kind, kind_guessed=declared is None,
                      preset=preset, settings=settings.as_dict(), tables=tuple(tables),
                      findings=tuple(findings),
                      # only named when it was used: frequency tables have no use for it
                      evidence=Path(evidence).name if evidence and file_kind == "magnitude"
                      else None)


def _read_evidence(path: Path) -> Path | tuple[str, Any]:
    """A long table of contributions (CSV: its path, read by a join on the table's labels once
    the table is known to be a magnitude table), or a ``haven.summarise`` summary (JSON)."""
    if path.suffix.lower() != ".json":
        try:
            path.stat()
        except OSError as error:
            raise UnreadableTable(path.name, f"cannot open: {error.strerror or error}") from None
        return path
    try:
        return path.name, json.loads(_text_of(path))
    except ValueError as error:
        raise UnreadableTable(path.name, f"evidence is not JSON: {error}") from None


def _check_raw_table(raw: RawTable, declared: str | None, settings: Settings,
                     evidence_raw: Path | tuple[str, Any] | None, tables: list[TableInfo],
                     findings: list[Finding], label_columns: Sequence[str] | None = None,
                     declared_by: str = "declared by the author",
                     rounding_declared: int | None = None) -> str:
    """Check one table, appending its TableInfo and findings; returns the kind it was checked as."""
    table = build_table(raw, settings, label_columns, declared_by)
    if declared in (None, "model", "survival") and rules_survival.is_survival_table(raw.header):
        kind, guessed = "survival", declared is None
        reason = ("declared by the author" if declared == "survival" else
                  "its columns name a survival table's numbers at risk or survival")
    elif declared in (*TABLE_KINDS, "model"):
        kind, reason, guessed = declared, "declared by the author", False
    else:
        kind, reason = guess_kind(table)
        guessed = True
    index = len(tables)
    tables.append(TableInfo(index, raw.name, kind, guessed, reason, table.label_columns,
                            table.value_columns, table.layout, len(raw.rows),
                            table.label_reason))
    found: list[Finding] = []
    if table.ambiguous and kind not in ("model", "survival"):
        found.append(Finding("layout", Verdict.REVIEW,
                             f"{raw.name}: which columns are labels is a guess: "
                             f"{table.label_reason}", {"label_columns": list(table.label_columns)}))
    if not raw.rows or not table.value_columns:
        what = "no data rows" if not raw.rows else "no column of numbers to check"
        found.append(Finding("values", Verdict.REVIEW, f"{raw.name} has {what}", {}))
    elif kind == "frequency":
        for rule in (rules_frequency.count_values, rules_frequency.minimum_frequency,
                     rules_frequency.zeros):
            found += rule(table, settings)
        found += rules_frequency.rounding(table, settings, rounding_declared)
        found += rules_suppression.suppression_markers(table, settings)
        found += rules_suppression.secondary_disclosure(table, settings, kind)
        found += rules_other.histogram_edges(table)
    elif kind == "survival":
        found += rules_survival.steps(table, settings)
    elif kind == "magnitude":
        if evidence_raw is None:
            evidence = None
        elif isinstance(evidence_raw, tuple):
            evidence = rules_dominance.parse_summary(evidence_raw[1], evidence_raw[0], table)
        else:
            evidence = read_evidence_csv(evidence_raw, table, keep=max(settings.nk_n, 2))
        found += rules_frequency.magnitude_values(table, settings)
        found += rules_dominance.dominance(table, settings, evidence)
        found += rules_suppression.suppression_markers(table, settings)
        found += rules_suppression.secondary_disclosure(table, settings, kind)
    else:  # a model's coefficients: only the degrees of freedom can be judged
        text = "\n".join(",".join(row) for row in (raw.header, *raw.rows))
        found += _model_findings(text, raw.name, settings)
    findings += [replace(f, table=index) for f in found]
    return kind


def _model_findings(text: str, name: str, settings: Settings) -> list[Finding]:
    """A model's residual degrees of freedom; a survival (Cox) model's events, which it
    rests on instead (its summary states no residual degrees of freedom)."""
    events = rules_survival.model_events(text, name, settings)
    if events and not rules_other.stated_residual_dof(text):
        return events
    return rules_other.residual_dof(text, name, settings) + events


def _text_of(path: Path) -> str:
    return decode_text(read_bytes(path), path.name)


def _notebook_html(path: Path) -> tuple[str, int]:
    """The HTML to search for tables, and the number of images outside it (for .ipynb)."""
    text = _text_of(path)
    if path.suffix.lower() != ".ipynb":
        return text, 0
    try:
        notebook = json.loads(text)
        outputs = [o for cell in notebook.get("cells", []) for o in cell.get("outputs", [])]
    except (ValueError, AttributeError) as error:
        raise UnreadableTable(path.name, f"not a Jupyter notebook: {error}") from None
    html, images = [], 0
    for output in outputs:
        data = output.get("data", {}) if isinstance(output, dict) else {}
        html.append("".join(data.get("text/html", "")))
        images += sum(1 for mime in data if mime.startswith("image/"))
    return "\n".join(html), images


def _figure_note(path: Path) -> str:
    data = read_bytes(path)
    suffix = path.suffix.lower()
    if suffix == ".svg":
        return "" if b"<svg" in data[:4096].lower() else "content does not look like SVG"
    if _PIE.search(path.stem):
        return ("a pie chart: each slice is a count; release it with its table of slice "
                "counts (category,count), which is checked against the threshold slice by "
                "slice, as ACRO's pie check does")
    magic = _MAGIC.get(suffix)
    if magic and not data.startswith(magic):
        return f"content does not look like {suffix[1:].upper()}"
    return ""

