"""Who sees a vote or a comment on a file, and when a file's votes are in conflict: every
cell of role × visibility × voted-or-not × phase of the request (review_rules, no database)."""

import pytest

from haven_egress import review_rules
from haven_egress.review_rules import Viewer
from haven_egress.workflow import State

OPEN, WAITING, DECIDED = State.UNDER_REVIEW, State.REVIEWED, State.APPROVED


# (viewer, visibility, phase) -> seen? The item is by "dan", a checker, on the current version.
@pytest.mark.parametrize(("viewer", "visibility", "state", "seen"), [
    # A checker who may judge, before voting on the file: nothing of another checker's while open.
    (Viewer("cara", judges=True, voted=False), "shared", OPEN, False),
    (Viewer("cara", judges=True, voted=False), "private", OPEN, False),
    (Viewer("cara", judges=True, voted=False), "shared", State.SUBMITTED, False),
    # … after voting on it: both kinds.
    (Viewer("cara", judges=True, voted=True), "shared", OPEN, True),
    (Viewer("cara", judges=True, voted=True), "private", OPEN, True),
    # Once review closed (a checker decides what a reject vote means; decided): everything.
    (Viewer("cara", judges=True, voted=False), "private", WAITING, True),
    (Viewer("cara", judges=True, voted=False), "shared", DECIDED, True),
    (Viewer("cara", judges=True, voted=False), "private", DECIDED, True),
    # The author (and anyone else who does not judge): never a checkers-only one …
    (Viewer("alice", judges=False, voted=False), "private", OPEN, False),
    (Viewer("alice", judges=False, voted=False), "private", WAITING, False),
    (Viewer("alice", judges=False, voted=False), "private", DECIDED, False),
    (Viewer("alice", judges=False, voted=False), "private", State.RELEASED, False),
    # … and one for the author only once the request is decided.
    (Viewer("alice", judges=False, voted=False), "shared", State.SUBMITTED, False),
    (Viewer("alice", judges=False, voted=False), "shared", OPEN, False),
    (Viewer("alice", judges=False, voted=False), "shared", WAITING, False),
    (Viewer("alice", judges=False, voted=False), "shared", DECIDED, True),
    (Viewer("alice", judges=False, voted=False), "shared", State.RETURNED, True),
    (Viewer("alice", judges=False, voted=False), "shared", State.REJECTED, True),
    # Voting does not make a non-judge an insider (a barred checker's vote cannot exist; defensive).
    (Viewer("alice", judges=False, voted=True), "private", OPEN, False),
])
def test_who_sees_another_persons_vote_or_comment_on_a_file(viewer, visibility, state, seen):
    assert review_rules.may_see(viewer, "dan", visibility, state, current_version=True) is seen


@pytest.mark.parametrize("judges", [True, False])
@pytest.mark.parametrize("visibility", ["shared", "private"])
@pytest.mark.parametrize("state", [State.SUBMITTED, OPEN, WAITING, DECIDED])
def test_ones_own_vote_or_comment_is_always_seen(judges, visibility, state):
    assert review_rules.may_see(Viewer("dan", judges, False), "dan", visibility, state, True)


@pytest.mark.parametrize(("viewer", "visibility", "seen"), [
    (Viewer("cara", True, False), "private", True),  # an earlier version's review is closed
    (Viewer("alice", False, False), "shared", True),
    (Viewer("alice", False, False), "private", False),
])
def test_an_earlier_versions_votes_are_seen_as_decided_ones(viewer, visibility, seen):
    assert review_rules.may_see(viewer, "dan", visibility, OPEN, current_version=False) is seen


@pytest.mark.parametrize(("decisions", "outcome", "conflicted"), [
    ([], None, False),
    (["approve"], "approve", False),
    (["approve", "approve"], "approve", False),
    (["approve", "reject"], None, True),
    (["approve", "request_changes"], None, True),
    (["request_changes", "reject"], None, True),
    (["approve", "reject", "approve"], "approve", False),  # a third decision makes a majority
    (["approve", "reject", "request_changes"], None, True),  # three ways: still no majority
    (["reject", "reject", "approve"], "reject", False),
])
def test_a_files_outcome_is_a_strict_majority_and_a_tie_is_a_conflict(decisions, outcome, conflicted):
    assert review_rules.outcome(decisions) == outcome
    assert review_rules.conflicted(decisions) is conflicted
