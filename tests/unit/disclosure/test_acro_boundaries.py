"""Every boundary where Haven says it follows ACRO, pinned against ACRO 1.0.x's own verdicts.

ACRO runs for real in its venv (``acro_reference``; computed once, then cached by content).
Each case sits on or just beside a limit of the ACRO preset: the N-K share at exactly K, the
p-ratio at exactly p, all-zero contributions, 9 and 10 contributors or people, a zero count,
residual degrees of freedom of 9 and 10. Haven's rule must flag exactly the cells ACRO flags.
"""

from __future__ import annotations

import pytest

from haven_disclosure import check_file

from .acro_reference import acro_answers

ONES = [1] * 10
CASES = {
    "cells": {
        "nk_at_limit": [45, 45, *ONES],           # top 2 = 90 of 100: exactly K
        "nk_below_limit": [44, 45, *ONES, 1],     # 89 of 100
        "p_at_limit": [100, 10, *ONES],           # (120 - 110) / 100 = exactly p
        "p_below_limit": [100, 10, *ONES[:9]],    # 9 / 100
        "all_zero": [0] * 10,
        "one_contributor": [500],
        "nine_contributors": [5, 6, 7, 8, 9, 10, 11, 12, 13],
        "ten_contributors": [5, 6, 7, 8, 9, 10, 11, 12, 13, 14],
    },
    "counts": {"nine": 9, "ten": 10, "zero": 0, "fifty": 50},
    "dof": [9, 10],
}
# ACRO's check -> Haven's rule(s) that must flag the same cells under the ACRO preset.
MAGNITUDE = {"NKCheck": {"dominance_nk"}, "PPercentCheck": {"dominance_p_ratio"},
             "MinimumThresholdCheck": {"min_contributors"}}
FREQUENCY = {"MinimumThresholdCheck": {"min_frequency", "zeros"},  # ACRO counts 0 as < 10
             "PresenceOfZeroCheck": {"zeros"}}


@pytest.fixture(scope="session")
def acro():
    return acro_answers(CASES)


def flagged_by(result, rules: set[str]) -> list[str]:
    return sorted({cell.row_labels["cell"] for f in result.findings if f.rule in rules
                   and f.verdict.value == "fail" for cell in f.cells})


def test_acro_still_uses_the_check_names_haven_maps(acro):
    assert acro["version"].startswith("1.0.")
    assert set(MAGNITUDE) <= set(acro["magnitude_checks"])
    assert set(FREQUENCY) <= set(acro["frequency_checks"])


def test_dominance_and_contributor_boundaries_agree_with_acro(acro, tmp_path):
    table = tmp_path / "means.csv"
    evidence = tmp_path / "means.csv.evidence.csv"
    table.write_text("cell,v\n" + "".join(f"{name},{sum(values) / len(values)}\n"
                                          for name, values in CASES["cells"].items()))
    evidence.write_text("cell,value\n" + "".join(f"{name},{value}\n" for name, values
                                                 in CASES["cells"].items() for value in values))
    result = check_file(table, kind="magnitude", evidence=evidence, label_columns=["cell"])
    for check, rules in MAGNITUDE.items():
        assert flagged_by(result, rules) == acro["magnitude"][check], check
    # The cases do sit on both sides of each boundary.
    assert "nk_at_limit" in acro["magnitude"]["NKCheck"]
    assert "nk_below_limit" not in acro["magnitude"]["NKCheck"]
    assert "p_below_limit" in acro["magnitude"]["PPercentCheck"]
    assert "p_at_limit" not in acro["magnitude"]["PPercentCheck"]


def test_threshold_and_zero_boundaries_agree_with_acro(acro, tmp_path):
    table = tmp_path / "counts.csv"
    table.write_text("cell,a\n" + "".join(f"{name},{n}\n" for name, n in CASES["counts"].items()))
    result = check_file(table, kind="frequency", label_columns=["cell"])
    for check, rules in FREQUENCY.items():
        assert flagged_by(result, rules) == acro["frequency"][check], check
    assert acro["frequency"]["MinimumThresholdCheck"] == ["nine", "zero"]


@pytest.mark.parametrize("position", [0, 1])
def test_residual_dof_boundary_agrees_with_acro(acro, tmp_path, position):
    answer = acro["dof"][position]
    model = tmp_path / "model.txt"
    model.write_text(f"OLS Regression Results\nDf Residuals: {answer['dof']}\n")
    result = check_file(model, kind="model")
    verdicts = {f.rule: f.verdict.value for f in result.findings}
    assert verdicts["residual_dof"] == answer["status"]
