"""The machine-readable result: a stable, JSON-serialisable schema and the overall verdict."""

from __future__ import annotations

import json

import pytest

from haven_disclosure import SCHEMA_VERSION, Verdict, combine

PASS, REVIEW, FAIL = Verdict.PASS, Verdict.REVIEW, Verdict.FAIL


@pytest.mark.parametrize("verdicts, overall", [
    ([], PASS), ([PASS, PASS], PASS), ([PASS, REVIEW], REVIEW),
    ([REVIEW, FAIL, PASS], FAIL), ([FAIL], FAIL),
])
def test_overall_verdict(verdicts, overall):
    assert combine(verdicts) is overall


def test_result_is_json_with_a_stable_schema(check):
    result = check("region,n\nNorth,3\nSouth,*\nTotal,40\n", name="a.csv", preset="opensafely",
                   overrides={"threshold": "9"})
    record = json.loads(json.dumps(result.to_dict()))
    assert record["schema_version"] == SCHEMA_VERSION == 1
    assert set(record) == {"schema_version", "file", "kind", "kind_guessed", "preset",
                           "settings", "evidence", "verdict", "tables", "findings"}
    assert (record["file"], record["preset"], record["verdict"]) == ("a.csv", "opensafely",
                                                                     "fail")
    assert record["settings"]["threshold"] == 9 and record["settings"]["rounding_base"] == 5
    assert record["tables"][0] == {
        "index": 0, "name": "a.csv", "kind": "frequency", "kind_guessed": True,
        "kind_reason": "all values are whole numbers of zero or more",
        "label_columns": ["region"], "value_columns": ["n"], "layout": "long", "rows": 3,
        "label_reason": "region: text"}
    small = next(f for f in record["findings"] if f["rule"] == "min_frequency")
    assert small == {
        "rule": "min_frequency", "verdict": "fail", "message": "1 cell below 9 in a.csv",
        "parameters": {"threshold": 9}, "table": 0,
        "cells": [{"row_index": 0, "column_index": 1, "row_labels": {"region": "North"},
                   "column": "n", "value": "3"}]}
    rules = [f["rule"] for f in record["findings"]]
    assert rules == ["min_frequency", "zeros", "rounding", "suppression_markers",
                     "secondary_disclosure"]
