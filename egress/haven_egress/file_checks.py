"""Running the disclosure checks on one file of a request, given its sibling files.

Pure apart from a private temporary folder: the background checker (``checking``) and the
preflight endpoint both call ``check_one``, so a preflight answer is exactly what the
checkers will see after submission.

The author's declared label columns (a control ``label columns: a, b`` on the file) decide
which columns of a table are labels; without them the checks find them from the table's cues.

Siblings matter twice: a magnitude table ``x.csv`` is checked for dominance with its evidence
``x.csv.evidence.json`` (written by ``haven.summarise``) or ``x.csv.evidence.csv`` (a long
table of contributions) when the request carries one; and an ACRO ``results.json`` is read
for what ACRO said about the outputs it names.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from . import acro_results
from haven_disclosure import DisclosureCheckError, FileResult, Finding, Verdict, check_file
from haven_disclosure.content import Limits
from haven_disclosure.labels import declared_label_columns
from haven_disclosure.settings import PRESETS, resolve_settings
from .uploads import EVIDENCE_SUFFIXES

# The analyst's declared kind (uploads.KINDS) -> the kind the checks know; None: guess.
DECLARED_KINDS: dict[str, str | None] = {
    "frequency_table": "frequency", "magnitude_table": "magnitude", "model": "model",
    "figure": "figure", "text": "text", "notebook": "notebook", "code": "code", "other": None,
}


def is_evidence(path: str) -> bool:
    return path.lower().endswith(EVIDENCE_SUFFIXES)


def evidence_for(path: str, siblings: Mapping[str, CheckInput]) -> CheckInput | None:
    for suffix in EVIDENCE_SUFFIXES:
        found = siblings.get(path + suffix)
        if found is not None:
            return found
    return None


@dataclass(frozen=True)
class CheckInput:
    path: str
    content: bytes
    kind: str = "other"  # as declared on upload
    supporting: bool = False
    # The author's disclosure controls; "label columns: a, b" among them names the table's
    # label columns (``haven_disclosure.labels.declared_label_columns``).
    controls: tuple[str, ...] = ()


@dataclass(frozen=True)
class CheckPolicy:
    """Which preset a project's files are checked with, and the operator's overrides."""

    default_preset: str = "acro"
    # preset name -> setting name -> value, applied over the preset (``egress.disclosure``).
    overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # The content limits submit enforces (``uploads.limits_of``), shown again on the checks.
    limits: Limits = Limits()

    def __post_init__(self) -> None:
        # Every preset's overrides are resolved once here: a typo stops the service at start.
        for preset in (self.default_preset, *self.overrides):
            resolve_settings(preset, self.overrides.get(preset))

    def preset_for(self, project_preset: str | None) -> str:
        preset = project_preset or self.default_preset
        if preset not in PRESETS:
            raise DisclosureCheckError(f"the project's disclosure preset {preset!r} is unknown; "
                                       f"known presets: {', '.join(PRESETS)}")
        return preset

    def parameters(self, preset: str) -> dict[str, Any]:
        return resolve_settings(preset, self.overrides.get(preset)).as_dict()


@dataclass(frozen=True)
class Outcome:
    status: str  # done | error
    result: dict[str, Any] | None = None
    acro: dict[str, Any] | None = None
    error: str = ""

    @property
    def verdict(self) -> str | None:
        return self.result["verdict"] if self.result is not None else None


def check_one(target: CheckInput, siblings: Mapping[str, CheckInput], preset: str,
              policy: CheckPolicy) -> Outcome:
    """The checks on ``target``; ``siblings`` are the request's files by path (target included)."""
    name = PurePosixPath(target.path).name
    overrides = policy.overrides.get(preset)
    if target.supporting or is_evidence(target.path):
        return _supporting(target, name, preset, policy, siblings)
    with tempfile.TemporaryDirectory(prefix="haven-check-") as folder:
        path = Path(folder) / "file" / name
        path.parent.mkdir()
        path.write_bytes(target.content)
        evidence_path = None
        evidence = evidence_for(target.path, siblings)
        if evidence is not None:
            evidence_path = Path(folder) / "evidence" / PurePosixPath(evidence.path).name
            evidence_path.parent.mkdir()
            evidence_path.write_bytes(evidence.content)
        try:
            result = check_file(path, kind=DECLARED_KINDS.get(target.kind), preset=preset,
                                overrides=overrides, evidence=evidence_path,
                                label_columns=declared_label_columns(target.controls),
                                limits=policy.limits, controls=target.controls)
        except DisclosureCheckError as error:
            return Outcome("error", error=str(error))
    return Outcome("done", result=result.to_dict())


def _supporting(target: CheckInput, name: str, preset: str, policy: CheckPolicy,
                siblings: Mapping[str, CheckInput]) -> Outcome:
    """Supporting files are shown, never released: they get a note, not a verdict of their own."""
    acro = None
    if name == acro_results.RESULTS_NAME:
        try:
            acro = acro_results.parse(target.content, target.path, siblings)
        except acro_results.NotAcroResults as error:
            return Outcome("error", error=str(error))
        note = Finding("acro_results", Verdict.PASS,
                       f"{name}: ACRO's own checks of {len(acro['outputs'])} output(s), shown "
                       "beside Haven's", {})
    elif is_evidence(target.path):
        table = target.path[: -len(next(s for s in EVIDENCE_SUFFIXES
                                        if target.path.lower().endswith(s)))]
        used = table in siblings
        note = Finding("evidence", Verdict.PASS if used else Verdict.REVIEW,
                       f"{name}: evidence for the dominance checks of {table}; never released"
                       if used else f"{name}: evidence for {table}, which this request lacks", {})
    else:
        note = Finding("supporting", Verdict.PASS,
                       f"{name}: supporting file, shown to checkers and never released", {})
    result = FileResult(file=name, kind="supporting", kind_guessed=False, preset=preset,
                        settings=policy.parameters(preset), tables=(), findings=(note,))
    return Outcome("done", result=result.to_dict(), acro=acro)
