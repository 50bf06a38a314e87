"""The ingress workflow table is total: every (state, action, actor) has one answer."""

import itertools
from pathlib import Path

import pytest

from haven_egress.ingress import workflow
from haven_egress.ingress.workflow import TERMINAL, TRANSITIONS, Action, Actor, State, TransitionRefused, next_state

DOC = Path(__file__).resolve().parents[3] / "docs" / "ingress.md"


@pytest.mark.parametrize(("state", "action", "actor"), list(itertools.product(State, Action, Actor)))
def test_every_state_action_and_actor_has_one_answer(state, action, actor):
    transition = TRANSITIONS.get((state, action))
    if transition is not None and actor in transition.actors:
        assert next_state(state, action, actor) is transition.to
        return
    with pytest.raises(TransitionRefused) as refused:
        next_state(state, action, actor)
    assert str(refused.value)  # a sentence for a person, never an empty refusal


def test_final_states_have_no_way_out():
    assert {source for source, _ in TRANSITIONS} & TERMINAL == set()


def test_every_state_is_reachable_and_every_action_used():
    reached, frontier = {State.SUBMITTED}, [State.SUBMITTED]
    while frontier:
        state = frontier.pop()
        for (source, _), transition in TRANSITIONS.items():
            if source is state and transition.to not in reached:
                reached.add(transition.to)
                frontier.append(transition.to)
    assert reached == set(State)
    assert {action for _, action in TRANSITIONS} == set(Action) == set(workflow.WHY_NOT)


def test_only_a_decider_approves_or_rejects_and_only_the_system_delivers():
    for (_, action), transition in TRANSITIONS.items():
        if action in (Action.APPROVE, Action.REJECT):
            assert transition.actors == {Actor.DECIDER}
        if action is Action.DELIVER:
            assert transition.actors == {Actor.SYSTEM}


def test_the_diagram_in_the_docs_is_the_table():
    assert workflow.render_mermaid() in DOC.read_text(), (
        "docs/ingress.md's diagram is stale: paste `haven_egress.ingress.workflow.render_mermaid()` into it")
