"""WHAT each state allows, whoever asks: the truth table of states x deeds."""

import pytest

from haven_egress import policies
from haven_egress.errors import Conflict
from haven_egress.workflow import State

DEEDS = {
    "vote": policies.may_vote,
    "comment": policies.may_comment,
    "votes_visible": policies.votes_visible,
    "download": policies.may_download,
    "resubmit_files": policies.may_resubmit_files,
}
S = State
TABLE = {
    #                 vote comment visible download resubmit
    S.SUBMITTED:    (0, 1, 0, 0, 0),
    S.UNDER_REVIEW: (1, 1, 0, 0, 0),
    S.REVIEWED:     (0, 1, 1, 0, 0),
    S.APPROVED:     (0, 1, 1, 0, 0),
    S.RELEASED:     (0, 1, 1, 1, 0),
    S.RETURNED:     (0, 1, 1, 0, 1),
    S.REJECTED:     (0, 0, 1, 0, 0),
    S.WITHDRAWN:    (0, 0, 1, 0, 0),
    S.REVOKED:      (0, 0, 1, 0, 0),
}
CASES = [(state, deed, bool(row[i])) for state, row in TABLE.items() for i, deed in enumerate(DEEDS)]


def test_table_covers_every_state():
    assert set(TABLE) == set(State)


@pytest.mark.parametrize(("state", "deed", "expected"), CASES, ids=[f"{s}-{d}" for s, d, _ in CASES])
def test_truth_table(state, deed, expected):
    assert DEEDS[deed](state) is expected


def test_require_raises_conflict_naming_the_state():
    with pytest.raises(Conflict, match="cannot vote: the request is released"):
        policies.require(policies.may_vote(State.RELEASED), "vote", State.RELEASED)
