"""N-K, p-ratio and contributor counts for magnitude tables, on evidence with known answers."""

from __future__ import annotations

import pytest

from haven_disclosure import UnreadableTable, check_file
from haven_disclosure.rules_dominance import n_k_dominated, p_ratio_dominated

from .sdc_helpers import finding, flagged


@pytest.mark.parametrize("values, dominated", [
    ([50, 41, 9], True),           # 91 of 100 > 0.9
    ([50, 40, 10], True),          # exactly 0.9 fails, as in ACRO (>=)
    ([50, 39, 11], False),         # 0.89
    ([10] * 10, False),
    ([100], True),                 # one contributor is the whole cell
    ([0, 0, 0], False),            # 0 / 0: ACRO's NaN share passes
])
def test_n_k_rule(values, dominated):
    assert n_k_dominated(values, 2, 0.9) is dominated


@pytest.mark.parametrize("values, dominated", [
    ([100, 50, 9], True),          # (159-100-50)/100 = 0.09 < 0.1
    ([100, 50, 10], False),        # 0.10 is not below 0.1
    ([100, 50], True),             # no third contributor: remainder 0
    ([0, 0], True),                # ACRO: a largest of 0 leaves 0 undivided, and 0 < p
])
def test_p_ratio_rule(values, dominated):
    assert p_ratio_dominated(values, 0.1) is dominated


TABLE = "region,mean_income\nNorth,30.0\nSouth,25.5\nTotal,27.7\n"


def _evidence(rows: dict[str, list[float]]) -> str:
    lines = ["region,value"]
    for region, values in rows.items():
        lines += [f"{region},{v}" for v in values]
    return "\n".join(lines) + "\n"


def test_without_evidence_every_dominance_rule_asks_for_review(check):
    result = check(TABLE, kind="magnitude")
    for rule in ("dominance_nk", "dominance_p_ratio", "min_contributors"):
        review = finding(result, rule)
        assert review.verdict.value == "review"
        assert "no evidence of the contributions" in review.message
    assert finding(result, "dominance_nk").parameters == {"n": 2, "k": 0.9}
    assert result.verdict.value == "review"


def test_evidence_decides_each_cell(write):
    evidence = write("evidence.csv", _evidence({
        "North": [10] * 12,                      # even spread: passes everything
        "South": [1000, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5],  # one contributor dominates
    }))
    result = check_file(write("means.csv", TABLE), kind="magnitude", evidence=evidence)
    # The total draws on all 23 contributions: 1010 of 1170 is 0.86, not dominated.
    assert flagged(result, "dominance_nk") == {("South", "mean_income")}
    assert not [f for f in result.findings if f.rule == "evidence"]
    assert flagged(result, "dominance_p_ratio") == {("South", "mean_income")}
    assert finding(result, "min_contributors").verdict.value == "pass"
    assert result.evidence == "evidence.csv"
    assert result.verdict.value == "fail"


def test_too_few_contributors_fail(write):
    evidence = write("evidence.csv", _evidence({"North": [10] * 9, "South": [10] * 10}))
    result = check_file(write("means.csv", TABLE), kind="magnitude", evidence=evidence)
    assert flagged(result, "min_contributors") == {("North", "mean_income")}


def test_wide_table_matches_its_column_dimension(write):
    evidence = "region,sex,value\n" + "".join(
        f"{r},{s},{v}\n" for r in ("North", "South") for s in ("F", "M")
        for v in ([90, 5, 3, 1, 1, 1, 1, 1, 1, 1] if (r, s) == ("South", "M") else [10] * 10))
    table = "region,F,M\nNorth,10,10\nSouth,10,10.5\n"
    result = check_file(write("means.csv", table), kind="magnitude",
                        evidence=write("ev.csv", evidence))
    assert flagged(result, "dominance_nk") == {("South", "M")}


def test_cells_without_evidence_and_negative_contributions_need_review(write):
    evidence = write("evidence.csv", _evidence({"North": [-5] + [10] * 11}))
    result = check_file(write("means.csv", TABLE), kind="magnitude", evidence=evidence)
    reviews = [f for f in result.findings if f.rule == "evidence"]
    assert {f.message.split(" ", 2)[2] for f in reviews} == {
        "in means.csv have no contributions in the evidence",
        "in means.csv have negative contributions, where dominance is undefined"}
    assert result.verdict.value == "review"


def test_evidence_without_the_table_labels_is_unreadable(write):
    with pytest.raises(UnreadableTable, match="lacks the table's label column"):
        check_file(write("means.csv", TABLE), kind="magnitude",
                   evidence=write("ev.csv", "area,value\nNorth,5\n"))


def test_evidence_with_a_non_number_names_its_line(write):
    with pytest.raises(UnreadableTable) as raised:
        check_file(write("means.csv", TABLE), kind="magnitude",
                   evidence=write("ev.csv", "region,value\nNorth,5\nSouth,lots\n"))
    assert (raised.value.line, raised.value.column) == (3, "value")


def test_overridden_parameters_are_used_and_recorded(write):
    evidence = write("evidence.csv", _evidence({"North": [50, 41, 9], "South": [10] * 10}))
    result = check_file(write("means.csv", TABLE), kind="magnitude", evidence=evidence,
                        overrides={"nk_k": 0.95, "threshold": 3})
    assert finding(result, "dominance_nk").verdict.value == "pass"
    assert finding(result, "dominance_nk").parameters == {"n": 2, "k": 0.95}
