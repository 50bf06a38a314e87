"""The ingress workflow as data: every allowed (state, action), where it leads, who may take it.

One decision brings a thing in: an approval (with its reason) by a checker who is not the
author, or an admin. Delivery is the service's own step after an approval (the file written
into the workspace and checked, the package added to the index); until it succeeds the
request stays approved and delivery can be tried again. ``docs/ingress.md`` carries the
diagram ``render_mermaid`` draws from this table, and a test keeps it current.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    DELIVERED = "delivered"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class Action(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    WITHDRAW = "withdraw"
    DELIVER = "deliver"


class Actor(StrEnum):
    AUTHOR = "author"
    # A checker who is not the author, or an admin (``permissions.may_decide``).
    DECIDER = "decider"
    # The service, after an approval; never a person's call.
    SYSTEM = "system"


@dataclass(frozen=True)
class Transition:
    to: State
    actors: frozenset[Actor]


S, A, W = State, Action, Actor

TRANSITIONS: dict[tuple[State, Action], Transition] = {
    (S.SUBMITTED, A.APPROVE): Transition(S.APPROVED, frozenset({W.DECIDER})),
    (S.SUBMITTED, A.REJECT): Transition(S.REJECTED, frozenset({W.DECIDER})),
    (S.SUBMITTED, A.WITHDRAW): Transition(S.WITHDRAWN, frozenset({W.AUTHOR})),
    (S.APPROVED, A.DELIVER): Transition(S.DELIVERED, frozenset({W.SYSTEM})),
}

TERMINAL: frozenset[State] = frozenset({S.DELIVERED, S.REJECTED, S.WITHDRAWN})

WHY_NOT: dict[Action, str] = {
    A.APPROVE: "only a submitted request can be approved",
    A.REJECT: "only a submitted request can be rejected",
    A.WITHDRAW: "only a submitted request can be withdrawn",
    A.DELIVER: "only an approved request is delivered",
}

# The action on a request's first event; not a transition.
SUBMIT = "submit"


class TransitionRefused(Exception):
    """The workflow does not allow this action now, or not for this actor."""


def next_state(state: State, action: Action, actor: Actor) -> State:
    transition = TRANSITIONS.get((state, action))
    if transition is None:
        if state in TERMINAL:
            raise TransitionRefused(f"the ingress request is {state.value}, which is final")
        raise TransitionRefused(f"{WHY_NOT[action]} (it is {state.value})")
    if actor not in transition.actors:
        allowed = " or ".join(sorted(a.value for a in transition.actors))
        raise TransitionRefused(f"only the {allowed} may {action.value} a {state.value} ingress request")
    return transition.to


def render_mermaid() -> str:
    lines = ["stateDiagram-v2", f"    [*] --> {S.SUBMITTED.value}"]
    for (source, action), transition in TRANSITIONS.items():
        who = ", ".join(sorted(a.value for a in transition.actors))
        lines.append(f"    {source.value} --> {transition.to.value}: {action.value} ({who})")
    lines += [f"    {state.value} --> [*]" for state in State if state in TERMINAL]
    return "\n".join(lines) + "\n"
