"""The request page's parts without HTTP: marked cells, cell-level diffs, and the reasons a
control is disabled (from the same permissions and policies the service enforces)."""

from __future__ import annotations

import pytest

from haven_disclosure.errors import UnreadableTable
from haven_egress.permissions import RequestFacts
from haven_egress.web import controls, rendering
from haven_egress.workflow import State

from .factories import (AUTHOR, CHECKER, CHECKER_MEMBER, CO_MEMBER, create_request_at_status, submit,
                        upload, vote_all)

TABLE = b"region,count\nNorth,25\nSouth,3\nEast,40\n"


def finding(rule: str, verdict: str, row: int | None, column: int | None, table: int | None = 0) -> dict:
    return {"rule": rule, "verdict": verdict, "message": f"{rule} says so", "row_index": row,
            "column_index": column, "table": table}


def test_each_flagged_cell_carries_its_rules_and_fail_outranks_review():
    raw = rendering.parse(TABLE, "t.csv", "text/csv")
    shown = rendering.table(raw, 7, [finding("rounding", "review", 1, 1), finding("min_frequency", "fail", 1, 1),
                                     finding("zeros", "pass", 0, 1), finding("human_review", "review", None, None)])
    south = shown.rows[1][1]
    assert (south.text, south.verdict) == ("3", "fail")
    # Each rule in plain words (its id is for machines): "Small counts", not "min_frequency".
    assert south.title == "Counts not rounded: rounding says so\nSmall counts: min_frequency says so"
    assert south.described_by == "finding-7-0 finding-7-1"
    assert all(cell.verdict == "" for r, row in enumerate(shown.rows) for cell in row if (r, cell.text) != (1, "3"))


def test_findings_about_other_tables_or_outside_the_table_mark_nothing():
    raw = rendering.parse(TABLE, "t.csv", "text/csv")
    shown = rendering.table(raw, 1, [finding("min_frequency", "fail", 1, 1, table=2),
                                     finding("min_frequency", "fail", 99, 1), finding("min_frequency", "fail", 0, 9)])
    assert not any(cell.verdict for row in shown.rows for cell in row)


def test_a_diff_names_each_changed_cell_and_added_rows():
    before = rendering.parse(TABLE, "t.csv", "text/csv")
    after = rendering.parse(b"region,count\nNorth,25\nSouth,*\nEast,40\nWest,15\n", "t.csv", "text/csv")
    diff = rendering.diff(before, after)
    assert diff.cells == [rendering.CellChange(2, "count", "3", "*")]
    assert (diff.rows_added, diff.rows_removed, diff.header_before) == (1, 0, None)
    drawn = rendering.table(after, 1, [], previous=before)
    assert drawn.rows[1][1].changed_from == "3" and drawn.rows[0][1].changed_from is None


def test_a_diff_of_moved_columns_says_so_instead_of_comparing_cells():
    before = rendering.parse(TABLE, "t.csv", "text/csv")
    after = rendering.parse(b"count,region\n25,North\n", "t.csv", "text/csv")
    diff = rendering.diff(before, after)
    assert diff.header_before == ["region", "count"] and diff.cells == [] and diff.rows_removed == 2
    assert rendering.diff(before, before).unchanged


def test_an_unreadable_table_says_why():
    with pytest.raises(UnreadableTable, match="fields but the header has"):
        rendering.parse(b"a,b\n1,2,3\n", "bad.csv", "text/csv")


def by_name(controls_list):
    return {c.name: c for c in controls_list}


def test_the_author_sees_only_withdraw_and_a_checker_sees_why_each_decision_waits(service):
    request_id = create_request_at_status(service, State.SUBMITTED)
    view = service.get_request(CHECKER, request_id)
    assert set(by_name(controls.request_controls(AUTHOR, view, service.rules))) == {"withdraw"}
    checker = by_name(controls.request_controls(CHECKER, view, service.rules))
    assert checker["start-review"].allowed and checker["reject"].allowed
    assert not checker["release"].allowed
    assert checker["release"].reason == "only an approved request can be released (it is submitted)"
    assert checker["return"].needs_reason and not checker["start-review"].needs_reason


def test_a_checker_in_the_project_is_told_why_she_may_not_decide(service):
    request_id = create_request_at_status(service, State.SUBMITTED)
    view = service.get_request(CHECKER_MEMBER, request_id)
    release = by_name(controls.request_controls(CHECKER_MEMBER, view, service.rules))["start-review"]
    assert not release.allowed and "member of project alpha" in release.reason
    assert "do not hold the output-checker role" in controls.why_not_checker(
        CO_MEMBER, RequestFacts(AUTHOR.name, "alpha"), service.rules)


def test_vote_reasons_follow_the_state_and_the_votes_cast(service):
    request_id = create_request_at_status(service, State.SUBMITTED)
    view = service.get_request(CHECKER, request_id)
    table, _, supporting = view.versions[-1].files
    assert controls.vote_control(CHECKER, view, table, service.rules).reason == \
        "votes open once a checker starts the review"
    service.start_review(CHECKER, request_id)
    view = service.get_request(CHECKER, request_id)
    table, _, supporting = view.versions[-1].files
    assert controls.vote_control(CHECKER, view, table, service.rules).allowed
    assert "never released" in controls.vote_control(CHECKER, view, supporting, service.rules).reason
    vote_all(service, request_id, CHECKER, "approve")
    view = service.get_request(CHECKER, request_id)
    assert controls.vote_control(CHECKER, view, view.versions[-1].files[0], service.rules).reason == \
        "you have voted on this file"


def test_comments_close_when_the_request_is_final(service):
    request_id = submit(service, [upload()])
    service.reject(CHECKER, request_id, "identifies people")
    view = service.get_request(CHECKER, request_id)
    control = controls.comment_control(CHECKER, view, service.rules)
    assert not control.allowed and control.reason == "the request is rejected, which is final"
    assert not controls.comment_control(CO_MEMBER, view, service.rules).allowed
