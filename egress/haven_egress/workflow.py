"""The release-request workflow as data.

``TRANSITIONS`` is the whole truth about how a request moves: for each (state, action)
pair that is allowed, the state it leads to and which actors may take it. Every other
pair is refused, and ``WHY_NOT`` gives the refusal a sentence a person understands.
``docs/egress-workflow.md`` is generated from this table (``render_mermaid``) and a test
keeps the page current, so the diagram can never drift from the code.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    # Every file has its required number of votes; waiting for approval or a decision.
    REVIEWED = "reviewed"
    APPROVED = "approved"
    RELEASED = "released"
    RETURNED = "returned"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    REVOKED = "revoked"


class Action(StrEnum):
    START_REVIEW = "start_review"
    COMPLETE_REVIEW = "complete_review"
    APPROVE = "approve"
    RETURN = "return"
    REJECT = "reject"
    WITHDRAW = "withdraw"
    RESUBMIT = "resubmit"
    RELEASE = "release"
    REVOKE = "revoke"


class Actor(StrEnum):
    AUTHOR = "author"
    CHECKER = "checker"
    # The service itself, acting on a rule (enough votes cast), never on a person's say-so.
    SYSTEM = "system"


@dataclass(frozen=True)
class Transition:
    to: State
    actors: frozenset[Actor]


def _t(to: State, *actors: Actor) -> Transition:
    return Transition(to, frozenset(actors))


S, A, W = State, Action, Actor

TRANSITIONS: dict[tuple[State, Action], Transition] = {
    (S.SUBMITTED, A.START_REVIEW): _t(S.UNDER_REVIEW, W.CHECKER),
    (S.SUBMITTED, A.REJECT): _t(S.REJECTED, W.CHECKER),
    (S.SUBMITTED, A.WITHDRAW): _t(S.WITHDRAWN, W.AUTHOR),
    (S.UNDER_REVIEW, A.COMPLETE_REVIEW): _t(S.REVIEWED, W.SYSTEM),
    (S.UNDER_REVIEW, A.RETURN): _t(S.RETURNED, W.CHECKER),
    (S.UNDER_REVIEW, A.REJECT): _t(S.REJECTED, W.CHECKER),
    (S.UNDER_REVIEW, A.WITHDRAW): _t(S.WITHDRAWN, W.AUTHOR),
    (S.REVIEWED, A.APPROVE): _t(S.APPROVED, W.SYSTEM),
    # The system returns a request when any vote asked for changes; a checker may also
    # return one whose votes include a rejection but that deserves another chance.
    (S.REVIEWED, A.RETURN): _t(S.RETURNED, W.SYSTEM, W.CHECKER),
    (S.REVIEWED, A.REJECT): _t(S.REJECTED, W.CHECKER),
    (S.REVIEWED, A.WITHDRAW): _t(S.WITHDRAWN, W.AUTHOR),
    (S.APPROVED, A.RELEASE): _t(S.RELEASED, W.CHECKER),
    (S.APPROVED, A.WITHDRAW): _t(S.WITHDRAWN, W.AUTHOR),
    (S.RELEASED, A.REVOKE): _t(S.REVOKED, W.CHECKER),
    (S.RETURNED, A.RESUBMIT): _t(S.SUBMITTED, W.AUTHOR),
    (S.RETURNED, A.WITHDRAW): _t(S.WITHDRAWN, W.AUTHOR),
}

TERMINAL: frozenset[State] = frozenset({S.REJECTED, S.WITHDRAWN, S.REVOKED})

# Why an action is refused in every state the table does not list it for.
WHY_NOT: dict[Action, str] = {
    A.START_REVIEW: "review can only start on a newly submitted request",
    A.COMPLETE_REVIEW: "review can only complete while the request is under review",
    A.APPROVE: "only a fully reviewed request can be approved",
    A.RETURN: "only a request under review or reviewed can be returned",
    A.REJECT: "only a request that is submitted, under review or reviewed can be rejected",
    A.WITHDRAW: "a request can no longer be withdrawn once released or closed",
    A.RESUBMIT: "only a returned request can be resubmitted",
    A.RELEASE: "only an approved request can be released",
    A.REVOKE: "only a released request can be revoked",
}


# The action recorded on a request's first state event; it is not a transition.
SUBMIT = "submit"


def actors_for(action: Action) -> frozenset[Actor]:
    """Everyone who may take ``action`` in some state."""
    return frozenset().union(*(t.actors for (_, a), t in TRANSITIONS.items() if a is action))


class TransitionRefused(Exception):
    """The workflow does not allow this action now (or not for this actor)."""


def step(transitions, terminal, why_not, state, action, actor, noun: str = "request"):  # noqa: ANN001, ANN201
    """Where ``action`` by ``actor`` leads from ``state`` in a workflow table, or TransitionRefused.
    Shared by every workflow kept as data (release requests here, ingress requests)."""
    transition = transitions.get((state, action))
    if transition is None:
        if state in terminal:
            raise TransitionRefused(f"the {noun} is {state.value}, which is final")
        raise TransitionRefused(f"{why_not[action]} (it is {state.value})")
    if actor not in transition.actors:
        allowed = " or ".join(sorted(a.value for a in transition.actors))
        raise TransitionRefused(f"only the {allowed} may {action.value} a {state.value} {noun}")
    return transition.to


def mermaid(transitions, terminal, states, start) -> str:  # noqa: ANN001
    """A workflow table as a Mermaid state diagram, one edge per row."""
    lines = ["stateDiagram-v2", f"    [*] --> {start.value}"]
    for (source, action), transition in transitions.items():
        who = ", ".join(sorted(a.value for a in transition.actors))
        lines.append(f"    {source.value} --> {transition.to.value}: {action.value} ({who})")
    lines += [f"    {state.value} --> [*]" for state in states if state in terminal]
    return "\n".join(lines) + "\n"


def next_state(state: State, action: Action, actor: Actor) -> State:
    """The state ``action`` by ``actor`` leads to from ``state``, or TransitionRefused."""
    return step(TRANSITIONS, TERMINAL, WHY_NOT, state, action, actor)


def render_mermaid() -> str:
    """The state diagram as Mermaid text, one edge per row of ``TRANSITIONS``."""
    return mermaid(TRANSITIONS, TERMINAL, State, S.SUBMITTED)


def render_doc() -> str:
    """The whole of ``docs/egress-workflow.md``."""
    return (
        "# Egress request workflow\n\n"
        "Generated from `egress/haven_egress/workflow.py` by "
        "`python -m haven_egress.workflow > docs/egress-workflow.md`; a unit test keeps it "
        "current. Edit the table, not this page.\n\n"
        "A request that is *returned* is revised by its author and resubmitted as a new "
        "version; earlier versions and their reviews stay visible. *rejected*, *withdrawn* "
        "and *revoked* are final.\n\n"
        "```mermaid\n" + render_mermaid() + "```\n"
    )


if __name__ == "__main__":
    print(render_doc(), end="")
