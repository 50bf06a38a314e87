"""The project's disclosure rules as ``haven.safe`` applies them when a table is made.

``haven`` imports nothing of Haven's other packages (it runs in the notebook image, where
the checks' library is not installed). A project server is given its project's rules as the
checks resolve them (``HAVEN_DISCLOSURE_RULES``, JSON, overrides included); elsewhere the few
parameters the helpers need are copied here from ``haven_disclosure.settings.PRESETS``
(tests/unit/analyst/test_safe.py fails when the two disagree), chosen by
``HAVEN_DISCLOSURE_PRESET`` or else ACRO's, the checks' default.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, replace

from ._catalogue import HavenError

PRESET_ENV = "HAVEN_DISCLOSURE_PRESET"
# Set by the hub for each server (haven_hub.server_description): the rules resolved, overrides
# included, so an operator's stricter threshold reaches the helpers too.
RULES_ENV = "HAVEN_DISCLOSURE_RULES"
DEFAULT_PRESET = "acro"
SUPPRESSED = "*"  # a marker every preset's checks read as "already suppressed"


@dataclass(frozen=True)
class Rules:
    """What a published cell must satisfy; the names are the checks' setting names."""

    preset: str
    threshold: int
    rounding_base: int | None
    zeros_are_structural: bool = False
    nk_n: int = 2
    nk_k: float = 0.9
    p_ratio: float = 0.1


PRESETS: dict[str, Rules] = {
    "acro": Rules("acro", threshold=10, rounding_base=None),
    "opensafely": Rules("opensafely", threshold=8, rounding_base=5),
}


def project_rules(preset: str | None = None, *, threshold: int | None = None,
                  rounding_base: int | None = None) -> Rules:
    """The preset's rules (the project's by default), made stricter by the arguments only:
    a threshold below the preset's, or a rounding base the preset's counts would not be
    multiples of, is refused, since the output would then fail the checks."""
    served = os.environ.get(RULES_ENV, "").strip()
    if preset is None and served:
        rules = _served_rules(served)
        name = rules.preset
    else:
        name = preset or os.environ.get(PRESET_ENV, "").strip() or DEFAULT_PRESET
        if name not in PRESETS:
            raise HavenError(f"unknown disclosure preset {name!r}; known presets: "
                             f"{', '.join(PRESETS)}")
        rules = PRESETS[name]
    if threshold is not None:
        if not isinstance(threshold, int) or threshold < rules.threshold:
            raise HavenError(f"threshold must be a whole number of at least "
                             f"{rules.threshold} (the {name} preset's)")
        rules = replace(rules, threshold=threshold)
    if rounding_base is not None:
        if not isinstance(rounding_base, int) or rounding_base < 2:
            raise HavenError("rounding_base must be a whole number of at least 2")
        if rules.rounding_base is not None and rounding_base % rules.rounding_base:
            raise HavenError(f"rounding_base must be a multiple of {rules.rounding_base} "
                             f"(the {name} preset's)")
        rules = replace(rules, rounding_base=rounding_base)
    return rules


def _served_rules(served: str) -> Rules:
    """The rules the hub gave this server: its project's preset with the operator's overrides."""
    try:
        given = json.loads(served)
        rules = Rules(preset=str(given["preset"]), threshold=int(given["threshold"]),
                      rounding_base=None if given["rounding_base"] is None else int(given["rounding_base"]),
                      zeros_are_structural=bool(given["zeros_are_structural"]), nk_n=int(given["nk_n"]),
                      nk_k=float(given["nk_k"]), p_ratio=float(given["p_ratio"]))
    except (ValueError, TypeError, KeyError) as exc:
        raise HavenError(f"this server's disclosure rules ({RULES_ENV}) cannot be read ({exc}); "
                         "ask an administrator to restart it") from None
    if rules.threshold < 1 or (rules.rounding_base is not None and rules.rounding_base < 2):
        raise HavenError(f"this server's disclosure rules ({RULES_ENV}) are not usable: {served}")
    return rules


def round_count(count: int, base: int) -> int:
    """To the nearest multiple of ``base``, halves up (as ACRO's ``round`` mitigation)."""
    return int(base * math.floor(count / base + 0.5))


def publish_count(count: int, rules: Rules) -> tuple[int | str, str]:
    """The count as published and, when it is not published as counted, why."""
    if count == 0 and not rules.zeros_are_structural:
        return SUPPRESSED, "zero (a zero can disclose that nobody in a group has a trait)"
    if 0 < count < rules.threshold:
        return SUPPRESSED, f"below {rules.threshold}"
    if rules.rounding_base is None:
        return count, ""
    rounded = round_count(count, rules.rounding_base)
    if rounded < rules.threshold and not (rounded == 0 and rules.zeros_are_structural):
        return SUPPRESSED, f"below {rules.threshold} once rounded to {rules.rounding_base}"
    return rounded, ""


def dominated(count: int, total: float, largest: list[float], negative: bool,
              rules: Rules) -> str:
    """Why a magnitude cell may not be published ('' when it may): the rules of
    ``haven_disclosure.rules_dominance`` (ACRO's), boundaries included."""
    if count < rules.threshold:
        return f"fewer than {rules.threshold} contributors"
    if negative:
        return "negative contributions (dominance cannot be judged)"
    if total != 0 and sum(largest[:rules.nk_n]) / total >= rules.nk_k:
        return f"the {rules.nk_n} largest contributors make {rules.nk_k:g} or more of it"
    if largest:
        remainder = total - sum(largest[:2])
        if (remainder if largest[0] == 0 else remainder / largest[0]) < rules.p_ratio:
            return f"its p-ratio is below {rules.p_ratio:g}"
    return ""
