"""A histogram's table: its bin edges are labels (never counts), its counts are checked like
any frequency table, and a person is asked to look at the extreme bins' edges, as ACRO asks."""

from __future__ import annotations

from .sdc_helpers import finding, flagged


def test_bin_edge_columns_are_labels_and_small_bins_fail(check):
    result = check("bin_start,bin_end,count\n0,10,25\n10,20,4\n20,30,31\n")
    assert result.tables[0].label_columns == ("bin_start", "bin_end")
    assert flagged(result, "min_frequency") == {("10", "count")}
    histogram = finding(result, "histogram")
    assert histogram.verdict.value == "review" and "extreme bins' edges" in histogram.message
    assert histogram.parameters == {"bins": ["bin_start", "bin_end"]}


def test_interval_labels_as_pandas_cut_writes_them_are_a_histogram(check):
    result = check('age,count\n"(0.0, 10.0]",25\n"(10.0, 20.0]",14\n')
    assert finding(result, "histogram").parameters == {"bins": ["age"]}
    assert finding(result, "min_frequency").verdict.value == "pass"


def test_an_ordinary_table_is_not_a_histogram(check):
    result = check("region,count\nNorth,25\nSouth,14\n")
    assert not [f for f in result.findings if f.rule == "histogram"]
