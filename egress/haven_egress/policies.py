"""WHAT a request's state allows, whoever asks (``permissions`` says WHO).

State transitions themselves are in ``workflow.TRANSITIONS``; this module covers the
things that do not move the state: votes, comments, seeing votes, downloads.
"""

from __future__ import annotations

from .errors import Conflict
from .workflow import TERMINAL, State

# Until review closes each checker judges independently: others' votes and comments on a
# file reach a checker only once they have voted on it (review_rules.may_see).
_REVIEW_OPEN = frozenset({State.SUBMITTED, State.UNDER_REVIEW})


def may_vote(state: State) -> bool:
    return state is State.UNDER_REVIEW


def may_comment(state: State) -> bool:
    return state not in TERMINAL


def votes_visible(state: State) -> bool:
    """Whether checkers may see the current version's votes whether or not they voted (review
    closed); before that, only after their own vote on the file (review_rules.may_see)."""
    return state not in _REVIEW_OPEN


def may_download(state: State) -> bool:
    return state is State.RELEASED


def may_resubmit_files(state: State) -> bool:
    return state is State.RETURNED


def require(allowed: bool, what: str, state: State) -> None:
    if not allowed:
        raise Conflict(f"cannot {what}: the request is {state.value}")
