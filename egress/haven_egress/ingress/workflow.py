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

from ..workflow import TransitionRefused, mermaid, step

__all__ = ["Action", "Actor", "State", "TRANSITIONS", "TransitionRefused", "next_state", "render_mermaid"]


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


def next_state(state: State, action: Action, actor: Actor) -> State:
    return step(TRANSITIONS, TERMINAL, WHY_NOT, state, action, actor, noun="ingress request")


def render_mermaid() -> str:
    return mermaid(TRANSITIONS, TERMINAL, State, S.SUBMITTED)
