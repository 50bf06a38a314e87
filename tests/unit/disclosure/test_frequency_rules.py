"""Minimum frequency, zeros, rounding and odd values, on small tables with known answers."""

from __future__ import annotations

import io

import pytest

from .sdc_helpers import finding, flagged

WIDE = """region,F,M,Total
North,12,3,15
South,0,40,40
Total,12,43,55
"""


def test_single_cell_below_threshold_fails_with_its_labels_and_value(check):
    result = check(WIDE, name="admissions_by_region.csv", kind="frequency")
    small = finding(result, "min_frequency")
    assert small.verdict.value == "fail"
    assert small.message == "1 cell below 10 in admissions_by_region.csv"
    (cell,) = small.cells
    assert (cell.row_labels, cell.column, cell.value) == ({"region": "North"}, "M", "3")
    assert (cell.row_index, cell.column_index) == (0, 2)
    assert small.parameters == {"threshold": 10}
    assert result.verdict.value == "fail"


def test_threshold_boundary_nine_fails_ten_passes(check):
    result = check("group,n\na,9\nb,10\nc,11\n", kind="frequency")
    assert flagged(result, "min_frequency") == {("a", "n")}


def test_message_counts_several_cells(check):
    result = check("group,n\na,1\nb,2\nc,3\nd,30\n", name="admissions_by_region.csv")
    assert finding(result, "min_frequency").message == \
        "3 cells below 10 in admissions_by_region.csv"


def test_long_and_wide_layouts_flag_the_same_cells(check):
    long = check("region,sex,n\nNorth,F,12\nNorth,M,3\nSouth,F,25\nSouth,M,40\n")
    wide = check("region,F,M\nNorth,12,3\nSouth,25,40\n")
    assert long.tables[0].layout == "long" and wide.tables[0].layout == "wide"
    assert long.tables[0].label_columns == ("region", "sex")
    (long_cell,) = finding(long, "min_frequency").cells
    (wide_cell,) = finding(wide, "min_frequency").cells
    assert long_cell.row_labels == {"region": "North", "sex": "M"}
    assert (wide_cell.row_labels, wide_cell.column) == ({"region": "North"}, "M")


def test_zero_is_disclosive_by_default_and_not_a_small_count(check):
    result = check(WIDE, kind="frequency")
    assert flagged(result, "zeros") == {("South", "F")}
    assert ("South", "F") not in flagged(result, "min_frequency")
    assert finding(result, "zeros").verdict.value == "fail"


def test_structural_zeros_pass_but_are_still_listed(check):
    result = check(WIDE, kind="frequency", overrides={"zeros_are_structural": True})
    zeros = finding(result, "zeros")
    assert zeros.verdict.value == "pass" and len(zeros.cells) == 1


def test_all_zero_table_fails_on_zeros_only(check):
    result = check("region,F,M\nNorth,0,0\nSouth,0,0\n", kind="frequency")
    assert len(finding(result, "zeros").cells) == 4
    assert finding(result, "min_frequency").verdict.value == "pass"
    assert result.verdict.value == "fail"
    structural = check("region,F,M\nNorth,0,0\nSouth,0,0\n", kind="frequency",
                       overrides={"zeros_are_structural": "true"})
    assert structural.verdict.value == "pass"


def test_a_table_of_totals_is_checked_like_any_other(check):
    result = check("measure,Total\nAll patients,1200\nAll admissions,7\n", kind="frequency")
    assert flagged(result, "min_frequency") == {("All admissions", "Total")}


def test_small_total_is_itself_disclosive(check):
    result = check("region,F,M,Total\nNorth,12,15,27\nTotal,12,15,27\n"
                   "Other,5,0,5\n", kind="frequency")
    assert ("Other", "Total") in flagged(result, "min_frequency")


def test_rounding_opensafely_preset(check):
    result = check("group,n\na,10\nb,15\nc,12\nd,0\n", preset="opensafely")
    rounding = finding(result, "rounding")
    assert rounding.verdict.value == "fail"
    assert flagged(result, "rounding") == {("c", "n")}
    assert rounding.parameters == {"rounding_base": 5}


def test_rounded_table_passes_rounding(check):
    result = check("group,n\na,10\nb,15\nc,20\n", preset="opensafely")
    assert finding(result, "rounding").verdict.value == "pass"
    assert result.verdict.value == "pass"


def test_opensafely_redacts_seven_but_not_eight(check):
    result = check("group,n\na,7\nb,8\n", preset="opensafely",
                   overrides={"rounding_base": None})
    assert flagged(result, "min_frequency") == {("a", "n")}


def test_acro_preset_has_no_rounding_rule(check):
    result = check("group,n\na,11\nb,13\n")
    assert not [f for f in result.findings if f.rule == "rounding"]
    assert result.verdict.value == "pass"


@pytest.mark.parametrize("value, problem", [
    ("-4", "negative"),
    ("12.5", "not a whole number"),
    ("NaN", "missing (empty or NaN)"),
    ("", "missing (empty or NaN)"),
    ("twelve", "holding text that is neither a number nor a suppression marker"),
])
def test_values_that_cannot_be_counts_need_review(check, value, problem):
    result = check(f"group,n\na,{value}\nb,20\nc,30\n", kind="frequency")
    odd = finding(result, "values")
    assert odd.verdict.value == "review"
    assert odd.parameters == {"problem": problem}
    assert [c.value for c in odd.cells] == [value]
    assert finding(result, "min_frequency").verdict.value == "pass"
    assert result.verdict.value == "review"


def test_negative_small_value_is_not_counted_as_small(check):
    result = check("group,n\na,-3\nb,20\n", kind="frequency")
    assert finding(result, "min_frequency").verdict.value == "pass"


def test_thousands_separators_are_numbers(check):
    result = check('group,n\na,"1,234"\nb,5\n', kind="frequency")
    assert flagged(result, "min_frequency") == {("b", "n")}
    assert not [f for f in result.findings if f.rule == "values"]


def test_numeric_label_columns_named_like_labels_are_not_counts(check):
    result = check("year,age_band,n\n2019,0-9,12\n2020,0-9,3\n")
    assert result.tables[0].label_columns == ("year", "age_band")
    assert flagged(result, "min_frequency") == {("2020", "n")}


def test_declared_label_columns_override_the_guess(check):
    guessed = check("site,n,m\n1,12,30\n2,14,40\n")
    # Codes 1-2 read as labels by their content, which only a person can confirm.
    assert guessed.tables[0].label_columns == ("site",)
    assert [f.rule for f in guessed.findings if f.verdict.value == "review"] == ["layout"]
    declared = check("site,n,m\n1,12,30\n2,14,40\n", label_columns=["n"])
    assert declared.tables[0].label_columns == ("n",)
    assert declared.tables[0].value_columns == ("site", "m")
    assert declared.tables[0].label_reason == "declared by the author"
    assert not [f for f in declared.findings if f.rule == "layout"]


def test_magnitude_tables_accept_negatives_but_not_missing_values(check):
    result = check("group,mean_change\na,-2.5\nb,NaN\nc,4.0\n", kind="magnitude")
    odd = finding(result, "values")
    assert [c.value for c in odd.cells] == ["NaN"]
    assert odd.parameters == {"problem": "missing (empty or NaN)"}


def test_declared_rounding_is_verified_and_recorded_as_a_mitigation(check):
    from haven_disclosure.labels import declared_rounding_base

    assert [declared_rounding_base([text]) for text in
            ("rounded to base 5", "Rounding base: 10", "rounded (base 5)", "rounded to 5",
             "rounded to base 1", "suppressed < 10")] == [5, 10, 5, None, None, None]
    rounded = check("region,n\nNorth,15\nSouth,20\n", controls=["rounded to base 5"])
    assert finding(rounded, "rounding").parameters == {"rounding_base": 5, "mitigation": "rounding",
                                                        "declared_base": 5}
    assert finding(rounded, "rounding").verdict.value == "pass"
    assert flagged(check("region,n\nNorth,15\nSouth,22\n", controls=["rounded to base 5"]),
                   "rounding") == {("South", "n")}
    # A declared base that is not a multiple of the preset's does not replace it.
    kept = check("region,n\nNorth,15\nSouth,21\n", preset="opensafely",
                 controls=["rounded to base 3"])
    assert finding(kept, "rounding").parameters["rounding_base"] == 5
    assert flagged(kept, "rounding") == {("South", "n")}
    assert not [f for f in check("region,n\nNorth,15\n").findings if f.rule == "rounding"]


def test_the_cli_reads_declared_controls(write):
    from haven_disclosure.cli import main

    path = write("t.csv", "region,n\nNorth,15\nSouth,22\n")
    assert main([str(path), "--json"], out=io.StringIO()) == 0
    assert main([str(path), "--control", "rounded to base 5", "--json"], out=io.StringIO()) == 1
