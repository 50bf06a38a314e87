"""Suppression markers are recognised as protected; suppressed cells that a total gives back
are flagged."""

from __future__ import annotations

import pytest

from .sdc_helpers import finding, flagged


@pytest.mark.parametrize("marker", ["*", "<10", "[REDACTED]", "[redacted]", "~", "c", "C",
                                    "<5", "<= 7", "≤7"])
def test_markers_are_suppressed_not_bad_values(check, marker):
    result = check(f"group,n\na,{marker}\nb,20\nc,30\n", kind="frequency")
    markers = finding(result, "suppression_markers")
    assert markers.verdict.value == "pass"
    assert [c.value for c in markers.cells] == [marker]
    assert not [f for f in result.findings if f.rule == "values"]
    assert result.verdict.value == "pass"


def test_empty_cells_are_missing_unless_declared_suppressed(check):
    text = "group,n\na,\nb,20\n"
    assert finding(check(text, kind="frequency"), "values").verdict.value == "review"
    result = check(text, kind="frequency", overrides={"empty_is_suppressed": True})
    assert len(finding(result, "suppression_markers").cells) == 1
    assert result.verdict.value == "pass"


def test_custom_markers_replace_the_defaults(check):
    result = check("group,n\na,x\nb,*\nc,20\n", kind="frequency",
                   overrides={"suppression_markers": "x"})
    assert [c.value for c in finding(result, "suppression_markers").cells] == ["x"]
    assert [c.value for c in finding(result, "values").cells] == ["*"]


ROW_RECOVERABLE = """region,F,M,Total
North,12,*,15
South,25,40,65
Total,37,43,80
"""


def test_only_suppressed_cell_in_a_row_with_a_total_is_recoverable(check):
    result = check(ROW_RECOVERABLE, kind="frequency")
    secondary = finding(result, "secondary_disclosure")
    assert secondary.verdict.value == "fail"
    assert flagged(result, "secondary_disclosure") == {("North", "M")}
    assert result.verdict.value == "fail"


def test_only_suppressed_cell_in_a_column_with_a_total_row_is_recoverable(check):
    result = check("region,n\nNorth,*\nSouth,25\nEast,30\nTotal,60\n", kind="frequency")
    assert flagged(result, "secondary_disclosure") == {("North", "n")}


def test_suppressed_total_is_recoverable_by_addition(check):
    result = check("region,n\nNorth,12\nSouth,25\nTotal,*\n", kind="frequency")
    assert flagged(result, "secondary_disclosure") == {("Total", "n")}


def test_pandas_margins_named_all_are_totals(check):
    result = check("region,F,M,All\nNorth,12,*,15\nSouth,25,40,65\nAll,37,43,80\n",
                   kind="frequency")
    assert ("North", "M") in flagged(result, "secondary_disclosure")


def test_complementary_suppression_protects(check):
    # Two suppressed cells in every line that has a total: none can be recovered alone.
    text = "region,F,M,Total\nNorth,*,*,30\nSouth,*,*,65\nTotal,37,58,95\n"
    result = check(text, kind="frequency")
    assert finding(result, "secondary_disclosure").verdict.value == "pass"
    assert result.verdict.value == "pass"


def test_no_totals_means_nothing_to_recover_from(check):
    result = check("region,F,M\nNorth,12,*\nSouth,25,40\n", kind="frequency")
    assert finding(result, "secondary_disclosure").verdict.value == "pass"


def test_long_table_with_two_label_columns(check):
    text = ("region,sex,n\nNorth,F,12\nNorth,M,*\nNorth,Total,40\n"
            "South,F,25\nSouth,M,30\nSouth,Total,55\n")
    result = check(text, kind="frequency")
    (cell,) = finding(result, "secondary_disclosure").cells
    assert cell.row_labels == {"region": "North", "sex": "M"}


def test_missing_neighbour_makes_the_line_unknowable(check):
    # The second unknown (a missing value) means the subtraction has two unknowns.
    result = check("region,F,M,Total\nNorth,NaN,*,15\nSouth,25,40,65\n", kind="frequency")
    assert finding(result, "secondary_disclosure").verdict.value == "pass"


def test_magnitude_tables_only_ask_for_review(check):
    result = check("region,F,M,Total\nNorth,12.5,*,15.5\nSouth,25.1,40.2,65.3\n",
                   kind="magnitude")
    secondary = finding(result, "secondary_disclosure")
    assert secondary.verdict.value == "review"
    assert "if the values are sums" in secondary.message


def test_custom_total_labels(check):
    result = check("region,n\nNorth,*\nSouth,25\nSum,60\n", kind="frequency",
                   overrides={"total_labels": "sum"})
    assert flagged(result, "secondary_disclosure") == {("North", "n")}
