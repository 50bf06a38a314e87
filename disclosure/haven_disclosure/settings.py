"""The checks' parameters: one schema, the presets as data, and overrides validated against both.

Every parameter is declared once, in ``Settings``, with its help text beside it; the docs and
the CLI's error messages are written from the same declarations.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import InvalidSetting

DEFAULT_MARKERS = ("*", "<10", "[REDACTED]", "~", "c")
DEFAULT_TOTAL_LABELS = ("total", "totals", "all", "overall", "grand total")


def _option(default: Any, help: str) -> Any:
    # Tuples are immutable, so they can be plain defaults of a frozen dataclass.
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    threshold: int = _option(
        10, "minimum count a published cell may hold: a count c with 0 < c < threshold fails; "
            "for magnitude tables, the minimum number of contributors to a cell")
    zeros_are_structural: bool = _option(
        False, "when true, zero counts are taken as structural (impossible combinations) and "
               "pass; when false they are disclosive (they reveal that nobody has a trait)")
    rounding_base: int | None = _option(
        None, "when set, every count must be a multiple of this base; unset: no rounding rule")
    nk_n: int = _option(2, "N of the N-K dominance rule: how many largest contributors")
    nk_k: float = _option(
        0.9, "K of the N-K rule: the N largest must stay below this share of a cell (a share of "
                  "exactly K fails, as in ACRO)")
    p_ratio: float = _option(
        0.1, "p-ratio rule: a cell fails when (total - largest - second) / largest < p")
    min_residual_dof: int = _option(10, "minimum residual degrees of freedom of a model")
    survival_threshold: int = _option(
        10, "fewest people a survival table's step may remove from the risk set, and fewest "
            "events a survival (Cox) model may rest on (ACRO's survival_safe_threshold)")
    suppression_markers: tuple[str, ...] = _option(
        DEFAULT_MARKERS, "cell texts that mean 'already suppressed' (case-insensitive); "
                         "any '<N' or '<=N' is recognised as well")
    empty_is_suppressed: bool = _option(
        False, "when true an empty cell counts as suppressed; when false it is a missing value")
    total_labels: tuple[str, ...] = _option(
        DEFAULT_TOTAL_LABELS, "row or column labels (case-insensitive) that mark totals")

    def as_dict(self) -> dict[str, Any]:
        return {name: list(value) if isinstance(value, tuple) else value
                for name, value in dataclasses.asdict(self).items()}


PRESETS: dict[str, dict[str, Any]] = {
    # ACRO's default.yaml (SACRO): safe_threshold 10, N-K 2/0.9, p-ratio 0.1, dof 10,
    # zeros disclosive; ACRO does not require rounding.
    "acro": {},
    # OpenSAFELY's output rules: counts <= 7 redacted (so 8 is the smallest allowed count),
    # everything else rounded to a multiple of 5.
    "opensafely": {"threshold": 8, "rounding_base": 5},
}
DEFAULT_PRESET = "acro"

_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


def setting_names() -> list[str]:
    return [f.name for f in dataclasses.fields(Settings)]


def setting_help() -> dict[str, str]:
    return {f.name: f.metadata["help"] for f in dataclasses.fields(Settings)}


def resolve_settings(preset: str = DEFAULT_PRESET,
                     overrides: Mapping[str, Any] | None = None) -> Settings:
    """The preset's values with ``overrides`` applied; strings (from ``--set``) are coerced."""
    if preset not in PRESETS:
        raise InvalidSetting(f"unknown preset {preset!r}; known presets: {', '.join(PRESETS)}")
    fields_by_name = {f.name: f for f in dataclasses.fields(Settings)}
    values = dict(PRESETS[preset])
    for key, raw in (overrides or {}).items():
        if key not in fields_by_name:
            raise InvalidSetting(
                f"unknown setting {key!r}; known settings: {', '.join(fields_by_name)}")
        values[key] = _coerce(key, fields_by_name[key].type, raw)
    settings = Settings(**values)
    _validate(settings)
    return settings


def _coerce(key: str, type_name: Any, raw: Any) -> Any:
    # With `from __future__ import annotations` the field types are strings; match on them.
    type_name = str(type_name)
    try:
        if type_name == "bool":
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise ValueError("expected true or false")
        if type_name == "int | None":
            if raw is None or str(raw).strip().lower() in {"", "none", "off"}:
                return None
            return _as_int(raw)
        if type_name == "int":
            return _as_int(raw)
        if type_name == "float":
            if isinstance(raw, bool):
                raise ValueError("expected a number")
            return float(raw)
        if type_name == "tuple[str, ...]":
            items = raw.split(",") if isinstance(raw, str) else list(raw)
            return tuple(str(item).strip() for item in items if str(item).strip())
    except (TypeError, ValueError) as error:
        raise InvalidSetting(f"setting {key!r}: cannot use {raw!r}: {error}") from None
    raise AssertionError(f"no coercion for {type_name}")  # a new field type needs a branch here


def _as_int(raw: Any) -> int:
    if isinstance(raw, bool):
        raise ValueError("expected a whole number")
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    return int(str(raw).strip())


def _validate(s: Settings) -> None:
    problems = []
    if s.threshold < 1:
        problems.append("threshold must be at least 1")
    if s.rounding_base is not None and s.rounding_base < 2:
        problems.append("rounding_base must be at least 2 (or none)")
    if s.nk_n < 1:
        problems.append("nk_n must be at least 1")
    if not 0 < s.nk_k <= 1:
        problems.append("nk_k must be in (0, 1]")
    if s.p_ratio < 0:
        problems.append("p_ratio must not be negative")
    if s.survival_threshold < 1:
        problems.append("survival_threshold must be at least 1")
    if s.min_residual_dof < 0:
        problems.append("min_residual_dof must not be negative")
    if problems:
        raise InvalidSetting("; ".join(problems))
