"""Pie charts, survival tables and rounding, pinned against ACRO 1.0.x's own answers.

ACRO runs for real in its venv (``acro_reference``; computed once, then cached by content):
a ``pie`` of slices of 3, 9, 10 and 50; ``surv_func`` tables whose steps remove 12, 9, 15, 10,
3 and 20 people, with and without ACRO's survival mitigation; a crosstab with ACRO's
``round`` mitigation, to match how a Haven release records a mitigation in results.json.
"""

from __future__ import annotations

import csv
import random
from datetime import datetime, timezone

import pytest

from haven_disclosure import check_file
from haven_egress import acro_results

from .acro_reference import acro_answers


def _survival_case(removed: list[int]) -> dict:
    """Everyone has the event: ``removed[i]`` people at time i + 1 (so each row of ACRO's
    table has events, and the step into row i + 1 removes ``removed[i]`` people)."""
    time = [i + 1 for i, n in enumerate(removed) for _ in range(n)]
    return {"time": time, "status": [1] * len(time)}


def _random_cases(count: int, seed: int = 16) -> list[dict]:
    """Cohorts of 40 to 300 people, followed for up to 30 days, about a third censored."""
    generator = random.Random(seed)
    cases = []
    for _ in range(count):
        people = generator.randint(40, 300)
        cases.append({"time": [generator.randint(1, 30) for _ in range(people)],
                      "status": [int(generator.random() < 0.7) for _ in range(people)]})
    return cases


STEPS = [12, 9, 15, 10, 3, 20, 11]
RANDOM = 20
CASES = {"cells": {}, "counts": {"nine": 9, "ten": 10, "fifty": 50}, "dof": [],
         "pie": {"nine": 9, "ten": 10, "fifty": 50, "three": 3},
         "survival": [_survival_case(STEPS), _survival_case([30, 25, 40, 15]),
                      *_random_cases(RANDOM)]}


@pytest.fixture(scope="module")
def acro():
    return acro_answers(CASES)


def _write(path, header, rows):
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _failed_rows(result, rule) -> list[int]:
    return sorted(c.row_index for f in result.findings if f.rule == rule
                  and f.verdict.value == "fail" for c in f.cells)


def test_a_pies_slices_are_checked_as_acros_pie_checks_them(acro, tmp_path):
    assert "MinimumThresholdCheck" in acro["pie"]["checks"]
    table = _write(tmp_path / "pie.csv", ["slice", "count"], sorted(CASES["pie"].items()))
    result = check_file(table)
    flagged = sorted(c.row_labels["slice"] for f in result.findings
                     if f.verdict.value == "fail" for c in f.cells)
    assert flagged == acro["pie"]["flagged"]["MinimumThresholdCheck"] == ["nine", "three"]
    assert acro["pie"]["status"] == result.verdict.value == "fail"


def test_a_pie_picture_asks_for_its_table(tmp_path):
    from PIL import Image

    picture = tmp_path / "sex_pie_0.png"
    Image.new("RGB", (20, 20), "white").save(picture)
    review = [f for f in check_file(picture).findings if f.rule == "human_review"]
    assert "table of slice counts" in review[0].message


def test_survival_steps_fail_exactly_where_acros_mitigation_merges(acro, tmp_path):
    answer = acro["survival"][0]
    assert answer["merged"] == [2, 5]  # the steps of 9 and 3; 10 is kept
    raw = _write(tmp_path / "km.csv", ["Time", "Surv prob", "num at risk", "num events"],
                 zip(answer["time"], answer["survival"], answer["at_risk"], answer["events"]))
    result = check_file(raw)
    assert result.tables[0].kind == "survival"
    assert _failed_rows(result, "survival") == answer["merged"]
    # The table as ACRO's mitigation publishes it passes.
    mitigated = _write(tmp_path / "km_merged.csv", ["Time", "num at risk", "num events"],
                       _mitigated(answer))
    assert check_file(mitigated).verdict.value == "pass"


def _mitigated(answer: dict) -> list[tuple]:
    """The table as ACRO's mitigation publishes it: merged steps folded into the next."""
    rows, carried = [], 0.0
    for i, events in enumerate(answer["events"]):
        carried += events
        if i not in answer["merged"]:
            rows.append((answer["time"][i], answer["at_risk"][i], carried))
            carried = 0.0
    return rows


def test_on_random_cohorts_haven_passes_what_acro_publishes_and_fails_what_it_merges(
        acro, tmp_path):
    exact = merged = failed = 0
    for position, answer in enumerate(acro["survival"][2:]):
        raw = _write(tmp_path / f"km{position}.csv", ["Time", "num at risk", "num events"],
                     zip(answer["time"], answer["at_risk"], answer["events"]))
        flagged = _failed_rows(check_file(raw), "survival")
        assert set(answer["merged"]) <= set(flagged), position  # never laxer than ACRO
        exact += flagged == answer["merged"]
        merged, failed = merged + len(answer["merged"]), failed + len(flagged)
        mitigated = _write(tmp_path / f"km{position}m.csv", ["Time", "num at risk", "num events"],
                           _mitigated(answer))
        assert check_file(mitigated).verdict.value == "pass", position
    print(f"{RANDOM} random cohorts: ACRO's mitigated table passes in all; ACRO merges "
          f"{merged} steps, Haven fails {failed} (every merged one, plus steps after a merged "
          f"one); exactly the same steps in {exact}")
    assert merged >= RANDOM  # the cohorts do have steps to merge


def test_acro_fails_every_survival_table_on_degrees_of_freedom_which_haven_does_not_follow(
        acro, tmp_path):
    """ACRO 1.0.2 counts the table's rows per number at risk: dof is 0 whatever the data,
    so even a table of steps of 15 to 40 fails. Haven judges the steps instead."""
    answer = acro["survival"][1]
    assert answer["status"] == "fail" and "dof=0" in answer["summary"]
    assert answer["merged"] == []
    table = _write(tmp_path / "km.csv", ["Time", "num at risk", "num events"],
                   zip(answer["time"], answer["at_risk"], answer["events"]))
    assert check_file(table).verdict.value == "pass"


def test_survival_groups_and_cox_events(check):
    grouped = check("arm,day,at_risk,observed\nA,1,40,12\nA,2,28,9\nB,1,50,20\nB,2,30,10\n",
                    label_columns=["arm", "day"])
    assert _failed_rows(grouped, "survival") == []
    # lifelines' event_table: a first row at time 0 that removes nobody, then steps of 12, 4.
    lifelines = check("event_at,removed,observed,censored,entrance,at_risk\n0,0,0,0,40,40\n"
                      "1,12,10,2,0,40\n2,4,4,0,0,28\n3,24,20,4,0,24\n")
    assert _failed_rows(lifelines, "survival") == [3]
    cox = check("Cox proportional hazards\nnumber of events observed = 9\n", name="cox.txt")
    assert cox.kind == "model"
    assert [f.verdict.value for f in cox.findings if f.rule == "min_events"] == ["fail"]
    enough = check("Model: PH Reg\nNum. events: 10\n", name="cox.txt", kind="model")
    assert [f.verdict.value for f in enough.findings] == ["pass"]


def test_declared_rounding_is_recorded_as_acro_records_its_round_mitigation(acro, tmp_path):
    assert acro["rounding"]["properties"]["mitigation"] == "round"
    table = _write(tmp_path / "t.csv", ["cell", "a"], [("x", 15), ("y", 20)])
    result = check_file(table, controls=["rounded to base 5"])
    rounding = [f for f in result.findings if f.rule == "rounding"]
    assert rounding[0].verdict.value == "pass" and "mitigation" in rounding[0].message
    exported = acro_results.export(
        [{"path": "t.csv", "kind": "frequency_table",
          "check_results": {"verdict": "pass", "result": result.to_dict()}}],
        datetime(2026, 1, 1, tzinfo=timezone.utc))
    properties = exported["results"]["output_0"]["properties"]
    for key in ("mitigation", "round_base"):
        assert properties[key] == acro["rounding"]["properties"][key], key
    # The control: counts that are not multiples of the declared base fail and record nothing.
    unrounded = check_file(_write(tmp_path / "u.csv", ["cell", "a"], [("x", 16), ("y", 20)]),
                           controls=["rounded to base 5"])
    assert [f.verdict.value for f in unrounded.findings if f.rule == "rounding"] == ["fail"]
    assert "mitigation" not in acro_results._mitigation(unrounded.to_dict()["findings"])


def test_the_egress_checks_read_the_declared_rounding_from_the_requests_controls():
    from haven_egress.file_checks import CheckInput, CheckPolicy, check_one

    target = CheckInput("out/t.csv", b"cell,a\nx,15\ny,20\n", kind="frequency_table",
                        controls=("label columns: cell", "rounded to base 5"))
    outcome = check_one(target, {target.path: target}, "acro", CheckPolicy())
    rounding = [f for f in outcome.result["findings"] if f["rule"] == "rounding"]
    assert rounding[0]["parameters"]["mitigation"] == "rounding"
    assert acro_results._mitigation(outcome.result["findings"]) == {"mitigation": "round",
                                                                    "round_base": 5}
