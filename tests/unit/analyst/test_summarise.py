"""haven.summarise: the table and its evidence, checked by the egress rules exactly as ACRO
would judge the underlying contributions."""

from __future__ import annotations

import csv
import json

import duckdb
import pytest

import haven
from haven_disclosure import check_file
from haven_disclosure.rules_dominance import n_k_dominated, p_ratio_dominated


def read_csv(path):
    with open(path, newline="") as handle:
        return list(csv.reader(handle))


@pytest.fixture
def tiny(tmp_path):
    con = duckdb.connect()
    con.execute("create table t (region varchar, sex varchar, cost double)")
    # North/F: one dominant payer; South/M: 12 even contributions; East/F: 3 rows.
    rows = [("North", "F", 10_000.0)] + [("North", "F", 10.0)] * 11 + [("South", "M", 100.0)] * 12 \
        + [("East", "F", 5.0)] * 3 + [("South", None, 7.0)] * 10
    con.executemany("insert into t values (?, ?, ?)", rows)
    yield con
    con.close()


def test_table_and_evidence_agree_with_the_microdata(tiny, tmp_path):
    out = haven.summarise(tiny.table("t"), by=["region", "sex"], value="cost", stat="sum",
                          path=tmp_path / "outputs" / "cost.csv")
    table = read_csv(out)
    assert table[0] == ["region", "sex", "sum_cost"]
    assert ["North", "F", "10110"] in table and ["South", "", "70"] in table
    evidence = json.loads(out.with_name("cost.csv.evidence.json").read_text())
    north = next(c for c in evidence["cells"] if c["labels"] == ["North", "F"])
    assert north == {"labels": ["North", "F"], "column": "sum_cost", "count": 12, "total": 10110.0,
                     "largest": [10000.0, 10.0, 10.0, 10.0, 10.0], "negative": 0}
    assert evidence["label_columns"] == ["region", "sex"] and len(evidence["cells"]) == 4


def test_the_checks_use_the_evidence(tiny, tmp_path):
    out = haven.summarise(tiny.table("t"), by=["region", "sex"], value="cost", stat="mean",
                          path=tmp_path / "mean.csv")
    result = check_file(out, kind="magnitude", evidence=str(out) + ".evidence.json")
    by_rule = {f.rule: f for f in result.findings}
    flagged = {rule: {tuple(c.row_labels.values()) for c in by_rule[rule].cells}
               for rule in ("dominance_nk", "dominance_p_ratio", "min_contributors")}
    assert flagged["dominance_nk"] == {("North", "F")}
    assert flagged["dominance_p_ratio"] == {("North", "F")}
    assert flagged["min_contributors"] == {("East", "F")}
    assert result.verdict.value == "fail" and result.evidence == "mean.csv.evidence.json"
    # The same verdicts as the rules give on the full list of contributions.
    north = [10_000.0] + [10.0] * 11
    assert n_k_dominated(north, 2, 0.9) and p_ratio_dominated(north, 0.1)


def test_without_evidence_the_dominance_rules_ask_for_review(tiny, tmp_path):
    out = haven.summarise(tiny.table("t"), by=["region"], value="cost", stat="sum", path=tmp_path / "s.csv")
    result = check_file(out, kind="magnitude")
    review = [f for f in result.findings if f.rule == "dominance_nk"][0]
    assert review.verdict.value == "review" and "no evidence" in review.message


def test_sql_text_and_counts(tiny, tmp_path):
    out = haven.summarise("select * from t", by=["region"], path=tmp_path / "n.csv", connection=tiny)
    assert read_csv(out)[1:] == [["East", "3"], ["North", "12"], ["South", "22"]]


@pytest.mark.parametrize("kwargs, message", [
    ({"stat": "median", "value": "cost"}, "stat must be one of"),
    ({"stat": "sum"}, "needs value="),
    ({"by": []}, "at least one column"),
    ({"by": ["region; drop table t"]}, "not a plain column name"),
    ({"by": ["nowhere"]}, "not in the source"),
    ({"path": "x.parquet"}, "must end in .csv"),
    ({"top": 1, "value": "cost", "stat": "sum"}, "top must be at least 2"),
])
def test_bad_arguments_are_refused_and_nothing_is_written(tiny, tmp_path, kwargs, message):
    arguments = {"by": ["region"], "path": tmp_path / "bad.csv", **kwargs}
    if isinstance(arguments["path"], str):
        arguments["path"] = tmp_path / arguments["path"]
    with pytest.raises(haven.HavenError, match=message):
        haven.summarise(tiny.table("t"), **arguments)
    assert list(tmp_path.iterdir()) == []


def test_through_the_locked_project_connection(project_env):
    workspace = project_env["workspace"]
    out = haven.summarise(haven.table("admissions"), by=["admission_method"], value="cost_gbp",
                          stat="sum", path=workspace / "outputs" / "cost_by_method.csv")
    assert out.exists() and (workspace / "outputs" / "cost_by_method.csv.evidence.json").exists()
    result = check_file(out, kind="magnitude", evidence=str(out) + ".evidence.json")
    assert {f.rule for f in result.findings} >= {"dominance_nk", "dominance_p_ratio"}
    assert not [f for f in result.findings if f.rule == "evidence"]  # every cell had evidence
