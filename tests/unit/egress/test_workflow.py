"""The transition table is total, final states are final, and the doc matches the table."""

from pathlib import Path

import pytest

from haven_egress import workflow
from haven_egress.workflow import TERMINAL, TRANSITIONS, WHY_NOT, Action, Actor, State, TransitionRefused, next_state

DOC = Path(__file__).resolve().parents[3] / "docs" / "egress-workflow.md"
ALL_PAIRS = [(state, action) for state in State for action in Action]


@pytest.mark.parametrize(("state", "action"), ALL_PAIRS, ids=[f"{s}-{a}" for s, a in ALL_PAIRS])
def test_every_state_and_action_has_an_answer(state, action):
    transition = TRANSITIONS.get((state, action))
    if transition is None:
        # Refused for every actor, with a reason a person can read.
        for actor in Actor:
            with pytest.raises(TransitionRefused, match=r"\w"):
                next_state(state, action, actor)
    else:
        assert transition.actors, "a transition nobody may take is dead"
        for actor in Actor:
            if actor in transition.actors:
                assert next_state(state, action, actor) is transition.to
            else:
                with pytest.raises(TransitionRefused, match="only the"):
                    next_state(state, action, actor)


def test_every_action_has_a_refusal_reason_and_is_used():
    assert set(WHY_NOT) == set(Action)
    assert {action for _, action in TRANSITIONS} == set(Action)


@pytest.mark.parametrize("state", sorted(TERMINAL))
def test_terminal_states_have_no_way_out(state):
    assert not [key for key in TRANSITIONS if key[0] is state]
    for action in Action:
        with pytest.raises(TransitionRefused, match="final"):
            next_state(state, action, Actor.CHECKER)


def test_every_state_is_reachable_from_submitted():
    reached, frontier = {State.SUBMITTED}, [State.SUBMITTED]
    while frontier:
        source = frontier.pop()
        for (state, _), transition in TRANSITIONS.items():
            if state is source and transition.to not in reached:
                reached.add(transition.to)
                frontier.append(transition.to)
    assert reached == set(State)


def test_non_terminal_states_can_always_move():
    movable = {state for state, _ in TRANSITIONS}
    assert movable == set(State) - TERMINAL


def test_release_only_by_a_checker_and_only_when_approved():
    releasable = [state for (state, action) in TRANSITIONS if action is Action.RELEASE]
    assert releasable == [State.APPROVED]
    assert TRANSITIONS[(State.APPROVED, Action.RELEASE)].actors == {Actor.CHECKER}


def test_approval_is_never_a_persons_direct_action():
    # Approval follows from the votes; nobody may approve by fiat.
    approvals = [t for (_, a), t in TRANSITIONS.items() if a is Action.APPROVE]
    assert approvals and all(t.actors == {Actor.SYSTEM} for t in approvals)


def test_mermaid_has_one_edge_per_transition():
    text = workflow.render_mermaid()
    edges = [line for line in text.splitlines() if "-->" in line and "[*]" not in line]
    assert len(edges) == len(TRANSITIONS)
    assert "    approved --> released: release (checker)" in text


def test_doc_is_generated_from_the_table():
    assert DOC.read_text() == workflow.render_doc(), (
        "docs/egress-workflow.md is stale: run "
        "`python -m haven_egress.workflow > docs/egress-workflow.md`"
    )
